"""The toolkit's own task heads, for encoders that transformers has no head class of a kind for (transformers 5 has
no EuroBERT question-answering or multiple-choice head), so that every kind runs on every encoder.

own_head_class(auto_class, config) builds, once per (kind, architecture), a subclass of the architecture's own
PreTrainedModel base (EuroBertPreTrainedModel) holding the bare encoder under the architecture's base_model_prefix
("model") and a small head, as transformers' head classes are built. So from_pretrained loads a bare encoder, a
hub checkpoint or another head's checkpoint into it (the head is new, initialised by the architecture's own
_init_weights); Trainer checkpoints, resume and best-model loading are its state dict; and `base_model` is the
bare encoder that utils/modeling.save_encoder saves (it loads as a bare encoder for the next stage).

The heads follow BERT's: sequence-level heads read the first token ([CLS], <s>, <|begin_of_text|>) through
dense + tanh (BERT's pooler, here part of the head), then dropout and a linear layer; QA and tagging heads are a
linear layer on every token. Losses are transformers': cross-entropy (QA: start and end averaged, positions
outside the sequence ignored; tagging: -100 ignored; one label: mean squared error).
"""
import inspect
import logging

import torch
from torch import nn
from transformers import (AutoModelForMultipleChoice, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          AutoModelForTokenClassification, PreTrainedModel)
from transformers.modeling_outputs import (MultipleChoiceModelOutput, QuestionAnsweringModelOutput,
                                           SequenceClassifierOutput, TokenClassifierOutput)
from transformers.models.auto.modeling_auto import MODEL_MAPPING

logger = logging.getLogger(__name__)
SOURCE = "toolkit (utils/heads.py)"


def encoder_inputs(encoder, input_ids, attention_mask, token_type_ids=None) -> dict:
    """The keyword arguments of a bare encoder's forward: token_type_ids only where its forward takes them
    (DistilBERT, ModernBERT and EuroBERT have none; a BERT-style tokenizer gives them all the same)."""
    inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
    if token_type_ids is not None and "token_type_ids" in inspect.signature(encoder.forward).parameters:
        inputs["token_type_ids"] = token_type_ids
    return inputs


class OwnHead:
    """The part every own head shares (mixed in before the architecture's PreTrainedModel base)."""
    head_source = SOURCE
    bare_class = None  # the architecture's bare model class (set by own_head_class)

    def __init__(self, config):
        super().__init__(config)
        setattr(self, self.base_model_prefix, self.bare_class(config))
        rate = getattr(config, "classifier_dropout", None)
        rate = getattr(config, "hidden_dropout_prob", 0.0) if rate is None else rate
        self.dropout = nn.Dropout(rate or 0.0)
        self.build(config)  # each head's own layers
        self.post_init()

    def hidden(self, input_ids, attention_mask, token_type_ids):
        encoder = self.base_model
        return encoder(**encoder_inputs(encoder, input_ids, attention_mask, token_type_ids))[0]

    def first_token(self, hidden):
        """BERT's pooler on the first token (dense + tanh), then dropout."""
        return self.dropout(torch.tanh(self.dense(hidden[:, 0])))


class SequenceClassificationHead(OwnHead):
    def build(self, config):
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None):
        logits = self.classifier(self.first_token(self.hidden(input_ids, attention_mask, token_type_ids)))
        loss = None
        if labels is not None and self.config.num_labels == 1:
            loss = nn.functional.mse_loss(logits.squeeze(-1), labels.to(logits.dtype))
        elif labels is not None:
            loss = nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)


class TokenClassificationHead(OwnHead):
    def build(self, config):
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None):
        logits = self.classifier(self.dropout(self.hidden(input_ids, attention_mask, token_type_ids)))
        loss = None if labels is None else nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten())
        return TokenClassifierOutput(loss=loss, logits=logits)


class QuestionAnsweringHead(OwnHead):
    def build(self, config):
        self.qa_outputs = nn.Linear(config.hidden_size, 2)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, start_positions=None,
                end_positions=None):
        logits = self.qa_outputs(self.hidden(input_ids, attention_mask, token_type_ids))
        start, end = (part.squeeze(-1).contiguous() for part in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            outside = start.size(1)  # positions past the sequence are ignored, as transformers' heads do
            loss = sum(nn.functional.cross_entropy(scores, positions.clamp(0, outside), ignore_index=outside)
                       for scores, positions in ((start, start_positions), (end, end_positions))) / 2
        return QuestionAnsweringModelOutput(loss=loss, start_logits=start, end_logits=end)


class MultipleChoiceHead(OwnHead):
    def build(self, config):
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.classifier = nn.Linear(config.hidden_size, 1)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None):
        choices = input_ids.shape[1]
        flat = [None if t is None else t.reshape(-1, t.shape[-1]) for t in (input_ids, attention_mask,
                                                                             token_type_ids)]
        logits = self.classifier(self.first_token(self.hidden(*flat))).view(-1, choices)
        loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
        return MultipleChoiceModelOutput(loss=loss, logits=logits)


# transformers' auto class of a kind -> (the own head, the suffix of its class name, which names it as
# transformers' own do: the Trainer finds a QA model's label columns by "QuestionAnswering" in its class name)
HEADS = {AutoModelForSequenceClassification: (SequenceClassificationHead, "ForSequenceClassification"),
         AutoModelForTokenClassification: (TokenClassificationHead, "ForTokenClassification"),
         AutoModelForQuestionAnswering: (QuestionAnsweringHead, "ForQuestionAnswering"),
         AutoModelForMultipleChoice: (MultipleChoiceHead, "ForMultipleChoice")}
_CLASSES = {}


def needs_own_head(auto_class, config) -> bool:
    """Whether transformers lacks auto_class's head for config's architecture (and has its bare model)."""
    if not isinstance(auto_class, type) or auto_class not in HEADS:  # e.g. tasks/dual_encoder.py's loader
        return False
    remote = auto_class.__name__ in (getattr(config, "auto_map", None) or {})  # --trust_remote_code heads
    return not remote and type(config) not in auto_class._model_mapping and type(config) in MODEL_MAPPING


def own_head_class(auto_class, config):
    """The toolkit's head of auto_class's kind on config's bare encoder (a class, built once per pair)."""
    bare = MODEL_MAPPING[type(config)]
    head, suffix = HEADS[auto_class]
    if (head, bare) not in _CLASSES:
        base = next(c for c in bare.__mro__[1:] if issubclass(c, PreTrainedModel))  # EuroBertPreTrainedModel
        name = "Xstilts" + bare.__name__.removesuffix("Model") + suffix
        _CLASSES[head, bare] = type(name, (head, base), {"bare_class": bare, "__module__": __name__})
    return _CLASSES[head, bare]


def head_class(model_class, config):
    """model_class, or the toolkit's own head where transformers has none of its kind for config's encoder."""
    if not needs_own_head(model_class, config):
        return model_class
    own = own_head_class(model_class, config)
    logger.warning("transformers has no %s class for %s: the toolkit's own head %s (%s)",
                   HEADS[model_class][1].removeprefix("For"), config.model_type, own.__name__, SOURCE)
    return own
