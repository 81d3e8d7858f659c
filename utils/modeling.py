"""Loading an encoder into a freshly initialised task head, and saving the bare encoder back."""
import logging
import os
import shutil
from pathlib import Path

from transformers import AutoConfig, AutoTokenizer

logger = logging.getLogger(__name__)


def load_with_new_head(model_class, model_args, **config_kwargs):
    """Load model_args.model_name_or_path into model_class (e.g. AutoModelForSequenceClassification).

    The encoder's weights must all be found in the checkpoint; the head is new. Logs which checkpoint weights
    were dropped (an old head) and which are new. A checkpoint that is not an encoder of a compatible model
    (no config, another architecture's weights) is a clear error.
    """
    path = model_args.model_name_or_path
    common = dict(cache_dir=model_args.cache_dir, trust_remote_code=model_args.trust_remote_code)
    try:
        config = AutoConfig.from_pretrained(path, **config_kwargs, **common)
        model, info = model_class.from_pretrained(path, config=config, output_loading_info=True, **common)
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
    if info.get("mismatched_keys"):
        logger.warning("%s: %s re-initialised (shape mismatch)", path, info["mismatched_keys"])
    if getattr(model_args, "freeze_embeddings", False):
        model.get_input_embeddings().requires_grad_(False)
        logger.info("Word embeddings frozen (--freeze_embeddings)")
    return model


def load_tokenizer(model_args):
    """The tokenizer of --tokenizer_name or the model; a path that is no model is a clear error first."""
    path = model_args.tokenizer_name or model_args.model_name_or_path
    common = dict(cache_dir=model_args.cache_dir, trust_remote_code=model_args.trust_remote_code)
    try:
        AutoConfig.from_pretrained(model_args.model_name_or_path, **common)
        return AutoTokenizer.from_pretrained(path, **common)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"--model_name_or_path {model_args.model_name_or_path}: not a loadable encoder checkpoint "
                         f"or hub model (expected a directory with config.json, weights and a tokenizer, e.g. "
                         f"runs/mnli/encoder): {error}") from error


def save_encoder(model, tokenizer, directory):
    """Save the bare encoder (no head) and the tokenizer as safetensors, atomically (tmp dir, then rename)."""
    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.base_model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)
    logger.info("Saved the encoder (%s, no head) to %s", type(model.base_model).__name__, directory)
