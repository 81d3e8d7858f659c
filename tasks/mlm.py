"""Masked language modelling on multilingual text: one more task in multi-task intermediate training.

Schema: {"text"}. A corpus is local text files (one sentence per line, any languages; a file, a directory of
files, or a comma list) or a hub dataset `NAMESPACE/NAME[:CONFIG]` (its train split's "text" column). Masking
is done per batch by transformers' DataCollatorForLanguageModeling: 15% of the tokens, of which 80% become <mask>, 10% a
random token and 10% stay (BERT's recipe).

The model is transformers' AutoModelForMaskedLM, its prediction head run on the masked positions only
(predict_masked_only): with a 250k-word vocabulary (XLM-R) the output layer over every position is most of a
step's work, while the loss reads 15% of them.
"""
import logging
from functools import partial, wraps
from pathlib import Path
from types import SimpleNamespace

import datasets
from transformers import AutoModelForMaskedLM, DataCollatorForLanguageModeling

from tasks.kind import TrainedKind
from tasks.spec import Recipe, TaskSpec
from utils import data as data_utils
from utils.data import require_columns

logger = logging.getLogger(__name__)

MLM_PROBABILITY = 0.15
SPEC = TaskSpec("mlm", "mlm", "loss", hub_path=None, max_seq_length=128, recipe=Recipe(selects=False),
                description="masked language modelling on the --mlm_corpus text")
LOCAL_SUFFIXES = (".txt", ".text", ".raw", ".tok", ".jsonl")


def alone(given) -> bool:
    """Whether a run's flags (given: {name: value}) train MLM and no other task: --task mlm or --tasks mlm."""
    return [name.strip() for name in str(given.get("tasks") or given.get("task")).split(",") if name.strip()] == ["mlm"]


def corpus_files(source: str) -> list[Path] | None:
    """The local files named by a file, a directory (its files, sorted) or a comma list; None = a hub name."""
    parts = [p.strip() for p in source.split(",") if p.strip()]
    local = len(parts) > 1 or any(Path(p).exists() or Path(p).suffix in LOCAL_SUFFIXES or p.startswith(("/", "."))
                                  for p in parts)
    if not local:
        return None
    files = []
    for path in map(Path, parts):
        if path.is_dir():
            files += sorted(f for f in path.iterdir() if f.is_file() and not f.name.startswith("."))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"--mlm_corpus: {path} is not a file or directory")
    return files


def load_corpus(source: str, cache_dir=None) -> datasets.Dataset:
    """The corpus as a Dataset {"text"}, blank lines dropped; an empty corpus is an error naming its files."""
    files = corpus_files(source)
    if files == []:
        raise ValueError(f"--mlm_corpus: {source} has no files (expected text files, one sentence per line)")
    if files is not None:  # datasets' text loader: memory-mapped, and tokenisation is cached across runs
        where = ", ".join(map(str, files))
        dataset = datasets.load_dataset("text", data_files=[str(f) for f in files], split="train", cache_dir=cache_dir)
    else:  # a hub corpus NAME[:CONFIG]
        name, _, config = source.partition(":")
        dataset = data_utils.hub_read(name, config or None, split="train", cache_dir=cache_dir)[0]  # mirror too
        where = f"hub dataset {source} (train split)"
        require_columns(dataset, where, ("text",))
    dataset = dataset.select_columns(["text"]).filter(lambda texts: [bool(t and t.strip()) for t in texts],
                                                      batched=True, input_columns="text")
    if len(dataset) == 0:
        raise ValueError(f"--mlm_corpus: {where} has no text (expected one sentence per line)")
    return dataset


def from_hub(spec, dataset, lang):
    return dataset.select_columns(["text"])


def validate(spec, dataset, path):
    require_columns(dataset, path, ("text",))


def preprocess(spec, tokenizer, data_args, is_train, labels=None):
    max_length = data_args.max_seq_length or spec.max_seq_length
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=max_length, padding=padding)

    return tokenize


def model_class(spec, data_args):
    """What utils/modeling.load_with_new_head loads into: AutoModelForMaskedLM, made to predict the masked
    positions only."""
    return SimpleNamespace(from_pretrained=load_masked_only)


def load_masked_only(*args, **kwargs):
    """AutoModelForMaskedLM.from_pretrained(*args, **kwargs) (with output_loading_info: the pair), the model made to
    predict the masked positions only."""
    loaded = AutoModelForMaskedLM.from_pretrained(*args, **kwargs)
    predict_masked_only(loaded[0] if isinstance(loaded, tuple) else loaded)
    return loaded


# architectures whose *ForMaskedLM reads the encoder's last hidden state once, position by position (checked in
# transformers 5's code and tests/test_multitask.py); another model keeps transformers' forward
MASKED_ONLY_TYPES = frozenset({"bert", "xlm-roberta", "roberta", "camembert", "deberta-v2", "modernbert", "electra",
                               "distilbert", "rembert", "xlm-roberta-xl"})
_CLASSES = {}  # a *ForMaskedLM class -> its MaskedPositionsOnly subclass


def predict_masked_only(model):
    """Make model (a transformers *ForMaskedLM of MASKED_ONLY_TYPES) run its prediction head on the masked positions
    only, in place: its class becomes a subclass with MaskedPositionsOnly's forward (copies and data-parallel
    replicas run their own weights). Another architecture is left as it is (logged)."""
    cls = type(model)
    if getattr(model.config, "model_type", None) not in MASKED_ONLY_TYPES:
        logger.info("MLM: %s predicts every position (its head is not among the checked ones)", cls.__name__)
        return model
    if cls not in _CLASSES:
        @wraps(cls.forward)  # transformers' signature: the Trainer keeps the dataset columns it names
        def forward(self, *args, **kwargs):
            return MaskedPositionsOnly.forward(self, *args, **kwargs)

        _CLASSES[cls] = type(cls.__name__, (MaskedPositionsOnly, cls), {
            "forward": forward, "__module__": cls.__module__, "__qualname__": cls.__qualname__})
    model.__class__ = _CLASSES[cls]
    return model


class MaskedPositionsOnly:
    """Given labels, forward keeps, of the encoder's last hidden state, the positions whose label is not -100 (a
    forward hook on self.base_model, the encoder it has at that call: multi-task training shares one), as one
    sequence [1, masked, hidden], and the labels likewise. Every checked architecture's head works position by
    position, so the loss (the mean over the masked positions) and its gradients are the whole sequence's, for a
    fraction of the work; the logits are the masked positions' only. Without labels, forward is transformers' own."""

    def forward(self, *args, labels=None, **kwargs):
        if labels is None:
            return super().forward(*args, **kwargs)
        keep = labels != -100
        hook = self.base_model.register_forward_hook(partial(_keep_positions, keep=keep))
        try:
            return super().forward(*args, labels=labels[keep][None], **kwargs)
        finally:
            hook.remove()


def _keep_positions(module, args, output, keep):
    """A forward hook on the encoder: its last hidden state cut to the positions of keep ([batch, length])."""
    hidden = output[0][keep][None]
    if isinstance(output, tuple):
        return (hidden, *output[1:])
    output["last_hidden_state"] = hidden  # a ModelOutput: its key, its attribute and output[0] alike
    return output


def data_collator(spec, tokenizer, data_args):
    return DataCollatorForLanguageModeling(tokenizer, mlm_probability=MLM_PROBABILITY)


def postprocess(spec, predictions, examples, features, data_args, labels=None):
    raise NotImplementedError("MLM has no per-example predictions; its training loss is logged (loss_mlm)")


def compute_metrics(spec, records, lang):
    raise NotImplementedError("MLM has no per-example predictions; its training loss is logged (loss_mlm)")


def example_statistics(spec, records, lang):
    raise NotImplementedError("MLM has no per-example predictions; its training loss is logged (loss_mlm)")


def metric_from_statistics(spec, sums, n):
    raise NotImplementedError("MLM has no per-example predictions; its training loss is logged (loss_mlm)")


class MaskedLM(TrainedKind):
    """An auxiliary objective of multi-task training (engine/multitask.py), never a task of the registry."""
    name = "mlm"
    FIELDS = ("text",)
    HAS_FILES = False
    COST_SHAPE = "mlm"  # benchmarks/bench_mlm.py's rows
    from_hub = staticmethod(from_hub)
    validate = staticmethod(validate)
    model_class = staticmethod(model_class)
    preprocess = staticmethod(preprocess)
    data_collator = staticmethod(data_collator)
    postprocess = staticmethod(postprocess)
    compute_metrics = staticmethod(compute_metrics)
    example_statistics = staticmethod(example_statistics)
    metric_from_statistics = staticmethod(metric_from_statistics)


KIND = MaskedLM()
