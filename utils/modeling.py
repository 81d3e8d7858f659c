"""Loading an encoder into a freshly initialised task head, and saving the bare encoder back."""
import copy
import logging
import os
import shutil
from pathlib import Path

from transformers import AutoConfig, AutoTokenizer

from utils import peft_setup
from utils.heads import head_class

logger = logging.getLogger(__name__)

# A config's task-head fields (id2label/label2id/num_labels, problem_type, architectures, finetuning_task,
# task_specific_params) describe the head, not the encoder: an intermediate run's values (three NLI labels) must
# never reach the next task's fresh head (a QA head built with three outputs crashes). reset_head_fields drops
# them when an encoder is saved and again when any checkpoint is loaded into a new head.
# Encoder settings a new head is built from (logged, so a run says what its head took over).
HEAD_INPUTS = ("hidden_size", "classifier_dropout", "hidden_dropout_prob", "initializer_range", "layer_norm_eps")


def reset_head_fields(config) -> dict:
    """Reset config's task-head fields to a bare encoder's defaults (2 generic labels, no problem type, no
    architecture); returns the non-default values that were dropped."""
    dropped = {}
    default_labels = {i: f"LABEL_{i}" for i in range(2)}
    if {int(k): v for k, v in (getattr(config, "id2label", None) or {}).items()} not in ({}, default_labels):
        dropped["id2label"] = dict(config.id2label)
    for name in ("problem_type", "architectures", "finetuning_task", "task_specific_params"):
        if getattr(config, name, None):
            dropped[name] = getattr(config, name)
            setattr(config, name, None)
    config.id2label, config.label2id = dict(default_labels), {v: k for k, v in default_labels.items()}
    return dropped


def head_labels(config) -> list | None:
    """The label names of a config's head in output order (its id2label), or None where it names none (a bare
    encoder's or an unnamed head's generic LABEL_0, LABEL_1, ...)."""
    id2label = {int(k): v for k, v in (getattr(config, "id2label", None) or {}).items()}
    labels = [id2label[i] for i in range(len(id2label))] if set(id2label) == set(range(len(id2label))) else []
    return labels if labels and labels != [f"LABEL_{i}" for i in range(len(labels))] else None


def checkpoint_head_labels(model_args) -> list | None:
    """head_labels of --model_name_or_path's config (a trained head's labels, in its order), or None."""
    config = AutoConfig.from_pretrained(model_args.model_name_or_path, cache_dir=model_args.cache_dir,
                                        trust_remote_code=model_args.trust_remote_code)
    return head_labels(config)


def load_with_new_head(model_class, model_args, peft=None, **config_kwargs):
    """Load model_args.model_name_or_path into model_class (e.g. AutoModelForSequenceClassification), or into the
    toolkit's own head of that kind where transformers has none for the encoder (utils/heads.py; logged).

    An adapter folder (an intermediate --peft run's encoder) loads the base model it names and merges its adapter;
    peft: the run's utils.args.PeftArguments, whose --peft lora puts LoRA on the encoder (utils/peft_setup.py).

    The encoder's weights must all be found in the checkpoint; the head is new. Logs which checkpoint weights
    were dropped (an old head) and which are new. A checkpoint that is not an encoder of a compatible model
    (no config, another architecture's weights) is a clear error.
    """
    path = model_args.model_name_or_path
    common = dict(cache_dir=model_args.cache_dir, trust_remote_code=model_args.trust_remote_code)
    adapter = peft_setup.is_adapter_folder(path)
    weights, revision = peft_setup.adapter_base(path) if adapter else (path, None)
    try:
        config = AutoConfig.from_pretrained(path, **common)
        dropped = reset_head_fields(config)
        for name in ("num_labels", "id2label", "label2id"):  # the new task's labels, in this order
            if name in config_kwargs:
                setattr(config, name, config_kwargs[name])
        for name, value in config_kwargs.items():
            if name not in ("num_labels", "id2label", "label2id"):
                setattr(config, name, value)
        model_class = head_class(model_class, config)  # the toolkit's own head where transformers has none
        model, info = model_class.from_pretrained(weights, config=config, output_loading_info=True, **common,
                                                  **({"revision": revision} if revision else {}),
                                                  **attention_kwargs(model_args))
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"--model_name_or_path {path}: not a loadable encoder checkpoint or hub model "
                         f"(expected a directory with config.json and model weights, e.g. runs/mnli/encoder): "
                         f"{error}") from error
    prefix = model.base_model_prefix + "."
    new = info.get("missing_keys", [])
    missing_encoder = [k for k in new if k.startswith(prefix) and ".pooler." not in k]
    if missing_encoder:
        raise ValueError(f"--model_name_or_path {path}: not an encoder of a compatible {config.model_type} model: "
                         f"{len(missing_encoder)} encoder weights are missing (e.g. {missing_encoder[:3]})")
    logger.info("Loaded %s into %s: new (randomly initialised) weights: %s; dropped checkpoint weights: %s",
                path, type(model).__name__, sorted(new) or "none",
                sorted(info.get("unexpected_keys", [])) or "none")
    logger.info("New head: %s labels %s; from the encoder's config: %s; earlier head's config dropped: %s",
                config.num_labels, list(config.id2label.values()) if "num_labels" in config_kwargs else "(unused)",
                ", ".join(f"{n}={getattr(config, n)}" for n in HEAD_INPUTS if hasattr(config, n)),
                dropped or "none")
    logger.info("Attention: %s (--attn_implementation %s)", getattr(model.config, "_attn_implementation", "?"),
                getattr(model_args, "attn_implementation", None) or "not given: transformers' default")
    if info.get("mismatched_keys"):
        logger.warning("%s: %s re-initialised (shape mismatch)", path, info["mismatched_keys"])
    if adapter:
        peft_setup.merge_adapter(model.base_model, path)
    if getattr(peft, "peft", None):
        new_modules = sorted({key[len(prefix):].split(".")[0] for key in new if key.startswith(prefix)})
        peft_setup.add_lora(model, peft, *peft_setup.base_identity(model_args, config), new_modules=new_modules)
    elif getattr(model_args, "freeze_embeddings", False):
        model.get_input_embeddings().requires_grad_(False)
        logger.info("Word embeddings frozen (--freeze_embeddings)")
    return model


def attention_kwargs(model_args) -> dict:
    """from_pretrained's attn_implementation when --attn_implementation is given (utils/device.py gives sdpa on a
    GPU); else none, and transformers picks (SDPA for models that support it, XLM-R and BERT included)."""
    name = getattr(model_args, "attn_implementation", None)
    return {"attn_implementation": name} if name else {}


def load_tokenizer(model_args):
    """The tokenizer of --tokenizer_name or the model; a path that is no model is a clear error first."""
    path = model_args.tokenizer_name or model_args.model_name_or_path
    common = dict(cache_dir=model_args.cache_dir, trust_remote_code=model_args.trust_remote_code)
    try:
        AutoConfig.from_pretrained(model_args.model_name_or_path, **common)
        return right_padded(with_special_tokens(AutoTokenizer.from_pretrained(path, **common)))
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"--model_name_or_path {model_args.model_name_or_path}: not a loadable encoder checkpoint "
                         f"or hub model (expected a directory with config.json, weights and a tokenizer, e.g. "
                         f"runs/mnli/encoder): {error}{sentencepiece_hint(path)}") from error


def sentencepiece_hint(path) -> str:
    """What to install when a tokenizer directory holds only a SentencePiece model and `sentencepiece` is missing
    (transformers then says "`tiktoken` is required to read a `tiktoken` file")."""
    import importlib.util
    folder = Path(path)
    if not folder.is_dir() or (folder / "tokenizer.json").is_file() or not any(folder.glob("*.model")):
        return ""
    missing = [name for name, module in (("sentencepiece", "sentencepiece"), ("protobuf", "google.protobuf"))
               if importlib.util.find_spec(module.split(".")[0]) is None]
    return f" (its tokenizer is a SentencePiece model: pip install {' '.join(missing)})" if missing else ""


def right_padded(tokenizer):
    """The tokenizer, padding on the right: CLS pooling, the heads' first token and QA windows read position 0 as the
    first real token (a tokenizer published for decoding may pad on the left; logged when changed)."""
    if tokenizer.padding_side != "right":
        logger.warning("The tokenizer pads on the %s; padding on the right (an encoder's first token is its CLS)",
                       tokenizer.padding_side)
        tokenizer.padding_side = "right"
    return tokenizer


def with_special_tokens(tokenizer):
    """The tokenizer, with [CLS] A [SEP] (pairs: [CLS] A [SEP] B [SEP]) put back where it has a CLS and a SEP token
    but adds neither (logged): transformers 5.25 loads a SentencePiece-only RemBERT tokenizer so (RemBertTokenizer's
    _post_init replaces its post-processor)."""
    cls, sep = tokenizer.cls_token, tokenizer.sep_token
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or cls is None or sep is None or \
            {tokenizer.cls_token_id, tokenizer.sep_token_id} & set(tokenizer("a")["input_ids"]):
        return tokenizer
    from tokenizers import processors
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0", pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, tokenizer.cls_token_id), (sep, tokenizer.sep_token_id)])
    logger.warning("The tokenizer (%s) adds neither %s nor %s: its post-processor is missing; using %s A %s "
                   "(pairs: %s A %s B %s)", type(tokenizer).__name__, cls, sep, cls, sep, cls, sep, sep)
    return tokenizer


def save_encoder(model, tokenizer, directory):
    """Save the bare encoder (no head) and the tokenizer as safetensors, atomically (tmp dir, then rename); an
    encoder with a LoRA adapter (--peft) saves the adapter with its base model's id instead of the weights."""
    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    if not peft_setup.save_adapter(model.base_model, tmp):  # --peft: the adapter, in peft's format, not the weights
        model.base_model.save_pretrained(tmp, safe_serialization=True)
    config = copy.deepcopy(model.base_model.config)  # a copy: the trained model keeps its own config
    reset_head_fields(config)  # the encoder carries nothing of the task head (labels, problem type)
    config.architectures = [type(model.base_model).__name__]
    config.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)
    logger.info("Saved the encoder (%s, no head) to %s", type(model.base_model).__name__, directory)


def has_pooler(config) -> bool | None:
    """Whether config's bare encoder has a pooler (BERT, XLM-R, RemBERT do; DeBERTa-v2, ModernBERT, ELECTRA,
    DistilBERT and EuroBERT do not): the model built on the meta device, no weights read or allocated. None where
    transformers cannot build it here (an architecture of --trust_remote_code code)."""
    import torch
    from transformers import AutoModel
    try:
        with torch.device("meta"):
            model = AutoModel.from_config(copy.deepcopy(config))
    except Exception:  # noqa: BLE001 (any architecture that cannot be built here: decided when the model loads)
        return None
    return getattr(model, "pooler", None) is not None


def head_record(model) -> dict:
    """run_config.json's "head": the model's class, whose head it is (transformers' or the toolkit's), and a dual
    encoder's pooling with the rule that chose it."""
    record = {"class": type(model).__name__, "source": getattr(model, "head_source", "transformers")}
    if getattr(model, "pooling", None):
        record.update(embedding_pooling=model.pooling, pooling_rule=model.pooling_rule)
    return record
