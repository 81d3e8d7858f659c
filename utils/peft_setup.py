"""Parameter-efficient training of the encoder on `peft` (--peft lora): the one place that wraps, merges, saves and
checks adapters; nothing of LoRA is written here, peft does it.

- `add_lora`: LoRA on the bare encoder of a task model (`model.base_model`), through peft's `get_peft_model`. Its
  target modules default to every linear module of the encoder's layers (the attention and feed-forward
  projections), read from the model itself (`layer_linears`), so every architecture has its own without a table.
  The encoder's other weights are frozen; everything outside the encoder (the task head, an MLM head's dense and
  norm) stays fully trained, and an encoder module the checkpoint lacked (a new pooler) is trained and saved with
  the adapter (peft's modules_to_save). The Trainer sees the task model as before (checkpoints, resume, best model).
- `save_adapter`: an intermediate run's encoder folder holds the adapter in peft's own format (adapter_config.json
  with the base model's id and revision, adapter_model.safetensors), beside the encoder's config.json and tokenizer.
- `merge_adapter`: a run given such a folder loads the base model it names and merges the adapter into it
  (utils/modeling.py load_with_new_head), then trains its own LoRA or the whole encoder.
- `check_peft`: the pre-flight's checks (engine/preflight.py), from configs alone: the method, the rank, the target
  modules against the encoder's (built on the meta device), an adapter folder's base model.
"""
import copy
import json
import logging
import re
from pathlib import Path

logger = logging.getLogger(__name__)

METHODS = ("lora",)
ADAPTER_CONFIG = "adapter_config.json"
STASH = "_xstilts_peft_model"  # the encoder's PeftModel, kept out of the module tree (no second copy of its weights)
# a base model's configuration fields an adapter depends on: a folder whose base now differs in one was trained on
# another model
ARCHITECTURE = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                "vocab_size")


# ---- the encoder's layers and their linear modules --------------------------------------------------------------

def encoder_layers(encoder):
    """(path of the encoder's layer list relative to the encoder, e.g. "encoder.layer", one layer): the ModuleList
    that holds most of the encoder's parameters (BERT's encoder.layer, DistilBERT's transformer.layer, ModernBERT's
    layers)."""
    from torch import nn
    lists = [(name, module) for name, module in encoder.named_modules()
             if isinstance(module, nn.ModuleList) and len(module)]
    if not lists:
        raise ValueError(f"{type(encoder).__name__}: no list of layers found for --peft")
    name, layers = max(lists, key=lambda item: sum(p.numel() for p in item[1].parameters()))
    return name, layers[0]


def layer_linears(encoder) -> list[str]:
    """The linear modules of one encoder layer, by their names inside it (e.g. attention.self.query,
    intermediate.dense)."""
    from torch import nn
    _, layer = encoder_layers(encoder)
    return [name for name, module in layer.named_modules() if isinstance(module, nn.Linear)]


def target_names(encoder, wanted=None) -> list[str]:
    """--lora_target_modules resolved against the encoder: the names given (each the last part or a dotted suffix
    of a layer's linear module), default every linear module's last part. A name that picks none is a ValueError
    naming the modules the layers have."""
    linears = layer_linears(encoder)
    names = [name.strip() for name in (wanted or "").split(",") if name.strip()]
    if not names:
        return sorted({name.rsplit(".", 1)[-1] for name in linears})
    for name in names:
        if not any(linear == name or linear.endswith("." + name) for linear in linears):
            raise ValueError(f"--lora_target_modules {name}: the {encoder.config.model_type} encoder's layers have "
                             f"no linear module {name!r}; they have: {', '.join(linears)}")
    return names


def target_pattern(encoder, names) -> str:
    """peft's target_modules as a regular expression: the named linear modules inside the encoder's layers only (a
    head's own `dense` is not an encoder projection), whatever holds the encoder (a task model, the multi-task
    model)."""
    path, _ = encoder_layers(encoder)
    return rf"(?:.*\.)?{re.escape(path)}\.\d+\.(?:.*\.)?(?:{'|'.join(re.escape(n) for n in names)})"


def meta_encoder(config):
    """The bare encoder of config built on the meta device (no weights read or allocated), or None where
    transformers cannot build it here (remote code)."""
    import torch
    from transformers import AutoModel
    try:
        with torch.device("meta"):
            return AutoModel.from_config(copy.deepcopy(config))
    except Exception:  # noqa: BLE001 (an architecture that cannot be built here: decided when the model loads)
        return None


# ---- adapter folders ------------------------------------------------------------------------------------------

def is_adapter_folder(path) -> bool:
    """Whether path is a folder holding a peft adapter (an intermediate --peft run's encoder folder)."""
    return (Path(str(path)) / ADAPTER_CONFIG).is_file()


def adapter_base(path, flag="--model_name_or_path") -> tuple[str, str | None]:
    """(base model id or path, revision) an adapter folder names; flag: the argument that named it (errors)."""
    config = json.loads((Path(str(path)) / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    base = config.get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{flag} {path}: its {ADAPTER_CONFIG} names no base model "
                         f"(base_model_name_or_path)")
    return base, config.get("revision")


def base_identity(model_args, config) -> tuple[str, str | None]:
    """(id, revision) of the base model a new adapter is trained on: an adapter folder's own base, else
    --model_name_or_path (a local folder as an absolute path) at the hub revision it was loaded from."""
    path = str(model_args.model_name_or_path)
    if is_adapter_folder(path):
        return adapter_base(path)
    if Path(path).is_dir():
        return str(Path(path).resolve()), None
    return path, getattr(config, "_commit_hash", None)


# ---- building, merging, saving ----------------------------------------------------------------------------------

def lora_config(peft_args, encoder, modules_to_save=()):
    from peft import LoraConfig
    return LoraConfig(r=peft_args.lora_r, lora_alpha=peft_args.lora_alpha, lora_dropout=peft_args.lora_dropout,
                      target_modules=target_pattern(encoder, target_names(encoder, peft_args.lora_target_modules)),
                      modules_to_save=list(modules_to_save) or None)


def add_lora(model, peft_args, base, revision=None, new_modules=()):
    """LoRA on model's bare encoder (model.base_model), in place: the encoder's weights frozen but the adapters
    and new_modules (encoder modules the checkpoint lacked, e.g. a new pooler: trained, saved with the adapter);
    the rest of model (the head) untouched, fully trained. base, revision: the base model the adapter belongs to
    (its adapter_config.json)."""
    from peft import get_peft_model
    encoder = model.base_model
    config = lora_config(peft_args, encoder, new_modules)
    names = target_names(encoder, peft_args.lora_target_modules)  # before peft wraps them (base_layer, default)
    peft_model = get_peft_model(encoder, config, revision=revision)
    peft_model.peft_config["default"].base_model_name_or_path = base
    object.__setattr__(encoder, STASH, peft_model)  # not a submodule: the encoder's weights stay listed once
    model.enable_input_require_grads()  # gradient checkpointing reaches the adapters past the frozen embeddings
    logger.info("LoRA (r=%s, alpha=%s, dropout=%s) on %s of the encoder layers; trainable: %s", peft_args.lora_r,
                peft_args.lora_alpha, peft_args.lora_dropout, ", ".join(names), parameter_counts(model))
    return model


def merge_adapter(encoder, folder):
    """Merge the adapter of an adapter folder into a bare encoder (loaded from the base model the folder names), in
    place; the encoder is then fully trainable again (a later add_lora freezes it)."""
    from peft import PeftConfig, PeftModel
    config = PeftConfig.from_pretrained(str(folder))
    if config.modules_to_save:  # a module this model's encoder lacks (a pooler) is not used by it
        names = {name.rsplit(".", 1)[-1] for name, _ in encoder.named_modules()}
        config.modules_to_save = [name for name in config.modules_to_save if name in names] or None
    PeftModel.from_pretrained(encoder, str(folder), config=config).merge_and_unload()
    encoder.requires_grad_(True)
    logger.info("Merged the adapter of %s into its base model %s", folder, config.base_model_name_or_path)


def load_encoder(path, **kwargs):
    """AutoModel.from_pretrained(path, **kwargs); an adapter folder: the base model it names, the adapter merged
    (run_retrieval.py evaluates an intermediate --peft run's encoder so)."""
    from transformers import AutoModel
    if not is_adapter_folder(path):
        return AutoModel.from_pretrained(path, **kwargs)
    base, revision = adapter_base(path)
    encoder = AutoModel.from_pretrained(base, **kwargs, **({"revision": revision} if revision else {}))
    merge_adapter(encoder, path)
    return encoder


def peft_model_of(encoder):
    """The PeftModel add_lora made of encoder, or None."""
    return encoder.__dict__.get(STASH)


def save_adapter(encoder, directory) -> bool:
    """Save encoder's adapter in peft's format into directory (adapter_config.json, adapter_model.safetensors);
    False where the encoder has none."""
    peft_model = peft_model_of(encoder)
    if peft_model is None:
        return False
    peft_model.save_pretrained(str(directory))
    readme = Path(directory) / "README.md"  # peft's model card template, not this run's
    readme.unlink(missing_ok=True)
    size = (Path(directory) / "adapter_model.safetensors").stat().st_size
    logger.info("Saved the adapter (%.2f MB) of base model %s", size / 1e6,
                peft_model.peft_config["default"].base_model_name_or_path)
    return True


def parameter_counts(model) -> dict:
    """{"trainable": n, "total": n} parameters of model (each tensor once)."""
    params = list(model.parameters())
    return {"trainable": sum(p.numel() for p in params if p.requires_grad), "total": sum(p.numel() for p in params)}


def adapter_bytes(encoder) -> int | None:
    """The bytes of encoder's adapter tensors (what adapter_model.safetensors holds, less its header), or None."""
    from peft import get_peft_model_state_dict
    peft_model = peft_model_of(encoder)
    if peft_model is None:
        return None
    return sum(t.numel() * t.element_size() for t in get_peft_model_state_dict(peft_model).values())


def peft_record(model, model_args=None) -> dict:
    """run_config.json's "peft": the method, the trainable and total parameters, the adapter's size, the target
    modules, and the intermediate adapter merged into the base (a folder given as --model_name_or_path)."""
    encoder = model.base_model
    peft_model = peft_model_of(encoder)
    record = {"method": "lora" if peft_model is not None else "full", **{
        f"{name}_parameters": count for name, count in parameter_counts(model).items()}}
    if peft_model is not None:
        config = peft_model.peft_config["default"]
        record.update(adapter_bytes=adapter_bytes(encoder), target_modules=config.target_modules,
                      base_model=config.base_model_name_or_path, base_revision=config.revision)
    path = getattr(model_args, "model_name_or_path", None)
    if path and is_adapter_folder(path):
        record["merged_adapter"] = {"folder": str(path), "base_model": adapter_base(path)[0],
                                    "base_revision": adapter_base(path)[1]}
    return record


# ---- the pre-flight -------------------------------------------------------------------------------------------

def check_peft(peft_args, model_args, saves_encoder=False):
    """--peft and its options, and an adapter folder given as --model_name_or_path, from configs alone (nothing
    loaded): the method, the rank, the target modules the encoder has, the adapter's base model. Raises ValueError
    (one line)."""
    from transformers import AutoConfig
    path = str(model_args.model_name_or_path)
    method = getattr(peft_args, "peft", None)
    if method is not None and method not in METHODS:
        raise ValueError(f"--peft {method}: unknown method; expected {' or '.join(METHODS)} (or leave it out: full "
                         "fine-tuning)")
    if not method and peft_args is not None:  # a LoRA option set, LoRA not asked for: say so, do not ignore it
        import dataclasses
        changed = [f"--{f.name} {getattr(peft_args, f.name)}" for f in dataclasses.fields(peft_args)
                   if f.name.startswith("lora_") and getattr(peft_args, f.name) != f.default]
        if changed:
            raise ValueError(f"{changed[0]}: a LoRA option without --peft lora (add --peft lora, or leave it out)")
    if method:
        if peft_args.lora_r < 1:
            raise ValueError(f"--lora_r {peft_args.lora_r}: the rank must be a positive integer (e.g. 8)")
        if peft_args.lora_alpha <= 0:
            raise ValueError(f"--lora_alpha {peft_args.lora_alpha}: expected a positive number (e.g. 16)")
        if not 0 <= peft_args.lora_dropout < 1:
            raise ValueError(f"--lora_dropout {peft_args.lora_dropout}: expected a probability in [0, 1)")
    if is_adapter_folder(path):
        check_adapter_folder(path, model_args)
        if method and saves_encoder:
            raise ValueError(f"--peft {method} with --model_name_or_path {path}, an adapter folder: the adapter this "
                             "run saves would hold only its own update, not the one merged into the base; start from "
                             "the base model, or train the whole encoder (leave --peft out)")
    if not method:
        return
    try:
        config = AutoConfig.from_pretrained(path, cache_dir=model_args.cache_dir,
                                            trust_remote_code=model_args.trust_remote_code)
    except (OSError, ValueError):
        return  # a hub id that cannot be read now, a planned encoder: left to the run
    encoder = meta_encoder(config)
    if encoder is not None:
        target_names(encoder, peft_args.lora_target_modules)


def check_adapter_folder(path, model_args, flag="--model_name_or_path"):
    """An adapter folder's base model is there and is the model the adapter was trained on: the encoder
    configuration saved beside the adapter (config.json) agrees with the base's on ARCHITECTURE. flag: the argument
    that named the folder (errors)."""
    from transformers import AutoConfig
    base, revision = adapter_base(path, flag)
    if not Path(base).is_dir() and Path(base).is_absolute():
        raise ValueError(f"{flag} {path}: its adapter's base model {base} is missing (it was trained "
                         "on that folder; restore it, or point base_model_name_or_path in "
                         f"{Path(path) / ADAPTER_CONFIG} at a copy)")
    saved = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    try:
        now = AutoConfig.from_pretrained(base, revision=revision, cache_dir=model_args.cache_dir,
                                         trust_remote_code=model_args.trust_remote_code).to_dict()
    except (OSError, ValueError) as error:
        raise ValueError(f"{flag} {path}: its adapter's base model {base} cannot be read "
                         f"({' '.join(str(error).split())[:200]})") from None
    differ = [f"{name} {saved.get(name)} vs {now.get(name)}" for name in ARCHITECTURE
              if saved.get(name) != now.get(name)]
    if differ:
        raise ValueError(f"{flag} {path}: its adapter was trained on another base model than "
                         f"{base} holds now ({'; '.join(differ)})")
