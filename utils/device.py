"""Device defaults: what every entry point switches on by default on a CUDA device, how the user turns each off,
and how the choice is recorded (run_config.json "device_settings") and logged.

On a CUDA device, where the user gave no flag of their own:
    --bf16 true                  where the device supports bf16 (torch.cuda.is_bf16_supported), else
    --fp16 true                  mixed precision with loss scaling (the Trainer's GradScaler); off: --bf16/--fp16 false
    --tf32 true                  TF32 matmuls and convolutions (compute capability 8.0 and newer); off: --tf32 false
    --attn_implementation sdpa   PyTorch's scaled-dot-product attention (transformers 5 already picks it for
                                 models that support it, XLM-R and BERT included; explicit here); off: eager
    --optim adamw_torch_fused    fused AdamW (the Trainer's default since torch 2.8; explicit); off: adamw_torch
    --dataloader_pin_memory true                                                      off: false
    --dataloader_num_workers N   N = min(4, CPUs per process - 1); off: 0
Any flag the user gives wins (utils/args.py parse_with_defaults). On CPU (or with --use_cpu) nothing is switched on.
Retrieval (tasks/retrieval.py) and the dual encoders encode in bf16 (fp16 where unsupported) on a GPU unless
--encoding_precision fp32 (encoding_dtype).
"""
import os

import torch

TRUE = ("true", "t", "yes", "y", "1")  # what HfArgumentParser reads as true


def cuda_capabilities():
    """The first visible CUDA device as {"name", "bf16", "tf32", "count"}; None without one."""
    if not torch.cuda.is_available():
        return None
    major, _ = torch.cuda.get_device_capability(0)
    return {"name": torch.cuda.get_device_name(0), "bf16": bool(torch.cuda.is_bf16_supported()),
            "tf32": major >= 8, "count": torch.cuda.device_count()}


def dataloader_workers(gpus: int) -> int:
    """min(4, CPUs per process - 1): one process per GPU (LOCAL_WORLD_SIZE under torchrun), each keeping a CPU of
    its own share to drive its GPU."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    per_process = cpus // max(int(os.environ.get("LOCAL_WORLD_SIZE") or gpus or 1), 1)
    return max(0, min(4, per_process - 1))


def device_defaults(given: dict) -> dict:
    """{flag: value} that a training run takes on this machine's device where `given` (the user's flags) has none."""
    device = cuda_capabilities()
    if not device or str(given.get("use_cpu")).lower() in TRUE:
        return {}
    defaults = {}
    if "bf16" not in given and "fp16" not in given:
        defaults["bf16" if device["bf16"] else "fp16"] = True
    if device["tf32"]:
        defaults["tf32"] = True
    defaults.update(attn_implementation="sdpa", optim="adamw_torch_fused", dataloader_pin_memory=True,
                    dataloader_num_workers=dataloader_workers(device["count"]))
    return {name: value for name, value in defaults.items() if name not in given}


def with_device_defaults(argv, given: dict):
    """(argv with device_defaults appended as flags, or a config dict completed; the defaults applied)."""
    applied = device_defaults(given)
    if isinstance(argv, dict):
        return {**applied, **argv}, applied
    return [*argv, *(item for name, value in applied.items() for item in (f"--{name}", str(value)))], applied


def tf32_enabled() -> bool:
    """Whether float32 CUDA matmuls run as TF32 (torch's fp32_precision API, as the Trainer's --tf32 sets it)."""
    matmul = torch.backends.cuda.matmul.fp32_precision
    return (matmul if matmul != "none" else torch.backends.fp32_precision) == "tf32"


def settings(training_args, model_args) -> dict:
    """What a training run uses, for run_config.json's "device_settings" and the log line (summary)."""
    cuda = training_args.device.type == "cuda"
    precision = "bf16" if training_args.bf16 else "fp16" if training_args.fp16 else "fp32"
    return {"device": torch.cuda.get_device_name(training_args.device) if cuda else training_args.device.type,
            "precision": precision, "tf32": cuda and tf32_enabled(),
            "attn_implementation": getattr(model_args, "attn_implementation", None) or "default",
            "optim": str(getattr(training_args.optim, "value", training_args.optim)),
            "dataloader_pin_memory": bool(training_args.dataloader_pin_memory and cuda),
            "dataloader_num_workers": training_args.dataloader_num_workers}


def summary(s: dict) -> str:
    """One log line, e.g. "device: NVIDIA H200; bf16, TF32 matmuls, SDPA attention, fused AdamW, pinned memory, 4
    dataloader workers"."""
    attention = {"default": "transformers' default attention (SDPA where the model supports it)",
                 "sdpa": "SDPA attention"}.get(s["attn_implementation"], f"{s['attn_implementation']} attention")
    parts = [s["precision"], "TF32 matmuls" if s["tf32"] else None, attention,
             "fused AdamW" if s["optim"] == "adamw_torch_fused" else s["optim"],
             "pinned memory" if s["dataloader_pin_memory"] else None,
             f"{s['dataloader_num_workers']} dataloader workers"]
    return f"device: {s['device']}; " + ", ".join(p for p in parts if p)


# ---- encoding (retrieval, dual encoders) -------------------------------------------------------------------------
ENCODING_PRECISIONS = ("auto", "fp32")


def encoding_dtype(device, choice="auto", training_args=None):
    """The autocast dtype sentences are encoded in, None for fp32. auto: a Trainer's precision when one is given
    (--bf16/--fp16), else bf16 on a CUDA device that supports it, fp16 on one that does not, fp32 on CPU."""
    if choice not in ENCODING_PRECISIONS:
        raise ValueError(f"--encoding_precision {choice!r}: expected one of {', '.join(ENCODING_PRECISIONS)}")
    if choice == "fp32":
        return None
    if training_args is not None:
        return torch.bfloat16 if training_args.bf16 else torch.float16 if training_args.fp16 else None
    if torch.device(device).type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device, dtype):
    """torch.autocast on the device in dtype; a no-op context for fp32 (dtype None)."""
    from contextlib import nullcontext
    return torch.autocast(torch.device(device).type, dtype=dtype) if dtype is not None else nullcontext()


def precision_key(device, dtype) -> dict:
    """The part of an embedding cache key that names the precision: nothing for exact fp32 (old caches stay
    valid), else {"precision": "bf16" | "fp16" | "tf32"}."""
    if dtype is not None:
        return {"precision": {torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]}
    if torch.device(device).type == "cuda" and tf32_enabled():
        return {"precision": "tf32"}
    return {}
