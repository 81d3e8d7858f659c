"""What a run cost: the "cost" record of run_config.json (utils/lifecycle.finish_run writes it for every entry point).

    meter = CostMeter(model, trainer=None)   before the run's first forward pass: counts the real tokens of every
                                             forward pass of the model's encoder (a hook on model.base_model)
    meter.record(wall_s) -> dict             the record below; in a distributed run every process calls it (the
                                             counts are summed over the processes)

The record:
    wall_s                      the run's wall time (run_config.json's duration_s)
    device, device_type         e.g. "NVIDIA H200", "cuda" (torch.cuda.get_device_name); a CPU's model name, "cpu"
    processes, gpus             the run's processes; the GPUs it used (0 on a CPU)
    device_hours                wall_s x max(gpus, 1) / 3600: GPU-hours on GPUs, machine-hours on a CPU
    train                       the Trainer's train metrics (runtime_s, samples_per_second, steps_per_second, steps,
                                epochs); None without training
    train_tokens, eval_tokens   real tokens (attention mask = 1) the encoder processed in training (dual encoders:
                                queries and candidates) and in evaluation (dev-set selection during training, every
                                test language, retrieval encoding; embeddings read from the cache cost nothing and
                                count nothing), all processes together
    train_sequences, eval_sequences   the sequences of those passes (a multiple-choice example: one per choice)
    parameters                  every parameter of the model, heads included (shared and tied ones once)
    parameters_non_embedding    without the embedding tables (the weights of every nn.Embedding: words, positions,
                                token types), as transformers' num_parameters(exclude_embeddings=True); a table tied
                                to an MLM decoder counts (the decoder multiplies by it)
    flops                       FLOPS_FORMULA, with N = parameters_non_embedding (Kaplan et al. 2020's C = 6ND: a
                                forward pass costs 2N per token, a backward 4N: 2N for the gradients of the
                                activations, 2N for those of the weights, which frozen weights skip; an embedding is
                                a lookup, no product) and T = parameters_trained_non_embedding (N in full
                                fine-tuning; --peft lora: the adapters and heads)
    trainer_tokens_seen         the Trainer's own count (state.num_input_tokens_seen), when it was switched on with
                                --include_num_input_tokens_seen (it counts only the first input, not a dual
                                encoder's candidates, and synchronises the device every step, so it is off by default)
"""
import platform
from pathlib import Path

import torch

FLOPS_FORMULA = ("(4 x N + 2 x T) x train_tokens + 2 x N x eval_tokens, N = non-embedding parameters, T = those "
                 "trained (N in full fine-tuning: 6 x N)")


def parameter_counts(model, trained=False) -> tuple[int, int]:
    """(all parameters, those not held only by nn.Embedding tables); a parameter shared or tied counts once, and a
    table tied to an output layer (an MLM decoder) is not only a lookup: it counts. trained: only those that
    train (requires_grad)."""
    owners = {}  # parameter id -> whether each module holding it is an nn.Embedding
    for module in model.modules():
        for p in module.parameters(recurse=False):
            owners.setdefault(id(p), set()).add(isinstance(module, torch.nn.Embedding))
    parameters = [p for p in model.parameters() if p.requires_grad or not trained]  # distinct tensors
    return sum(p.numel() for p in parameters), sum(p.numel() for p in parameters if owners[id(p)] != {True})


def training_flops(non_embedding: int, train_tokens: int, eval_tokens: int, trained: int | None = None) -> int:
    """FLOPS_FORMULA; trained: the non-embedding parameters that train (default all: 6 N per training token)."""
    trained = non_embedding if trained is None else trained
    return (4 * non_embedding + 2 * trained) * train_tokens + 2 * non_embedding * eval_tokens


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "cpu"


def device_record(device, processes=1, gpus_per_process=1) -> dict:
    device = torch.device(device)
    if device.type == "cuda":
        return {"device": torch.cuda.get_device_name(device), "device_type": "cuda", "processes": processes,
                "gpus": processes * gpus_per_process}
    record = {"device": cpu_name() if device.type == "cpu" else device.type, "device_type": device.type,
              "processes": processes, "gpus": 0}
    return {**record, "threads": torch.get_num_threads()} if device.type == "cpu" else record


class CostMeter:
    """Counts the tokens and sequences of the forward passes of `model`'s encoder, apart for training and
    evaluation (the module's training flag). Counts stay on the device (no synchronisation per step)."""

    def __init__(self, model, trainer=None):
        self.model, self.trainer = model, trainer
        self.counts = {}  # (mode, device) -> [tokens tensor, sequences]
        self.hook = model.base_model.register_forward_pre_hook(self._count, with_kwargs=True)

    def _count(self, module, args, kwargs):
        mask = kwargs.get("attention_mask")
        ids = kwargs.get("input_ids", args[0] if args else None)
        if mask is not None and mask.dim() == 2:
            tokens, sequences = mask.sum(), mask.shape[0]
        elif isinstance(ids, torch.Tensor):
            tokens, sequences = ids.numel(), ids.shape[0]
        else:  # inputs_embeds only: nothing to count
            return
        key = ("train" if module.training else "eval", str(getattr(tokens, "device", "cpu")))
        total = self.counts.setdefault(key, [0, 0])
        total[0], total[1] = total[0] + tokens, total[1] + sequences

    def _totals(self) -> list[int]:
        """[train tokens, eval tokens, train sequences, eval sequences] of this process, then of all processes."""
        totals = [0, 0, 0, 0]
        for (mode, _), (tokens, sequences) in self.counts.items():
            at = 0 if mode == "train" else 1
            totals[at] += int(tokens)
            totals[2 + at] += sequences
        if self.trainer is not None and self.trainer.args.world_size > 1:
            local = torch.tensor(totals, dtype=torch.int64, device=self.trainer.args.device)
            totals = self.trainer.accelerator.gather(local).reshape(-1, 4).sum(0).tolist()
        return [int(n) for n in totals]

    def record(self, wall_s: float) -> dict:
        train_tokens, eval_tokens, train_sequences, eval_sequences = self._totals()
        parameters, non_embedding = parameter_counts(self.model)
        trained = parameter_counts(self.model, trained=True)[1]
        if self.trainer is not None:
            args = self.trainer.args
            hardware = device_record(args.device, args.world_size, max(args.n_gpu, 1))
        else:
            hardware = device_record(next(self.model.parameters()).device)
        record = {"wall_s": wall_s, **hardware, "device_hours": wall_s * max(hardware["gpus"], 1) / 3600,
                  "train": self._train_metrics(), "train_tokens": train_tokens, "eval_tokens": eval_tokens,
                  "train_sequences": train_sequences, "eval_sequences": eval_sequences, "parameters": parameters,
                  "parameters_non_embedding": non_embedding, "parameters_trained_non_embedding": trained,
                  "flops": training_flops(non_embedding, train_tokens, eval_tokens, trained),
                  "flops_formula": FLOPS_FORMULA}
        if self.trainer is not None and self.trainer.args.include_num_input_tokens_seen not in ("no", False):
            record["trainer_tokens_seen"] = int(self.trainer.state.num_input_tokens_seen)
        return record

    def _train_metrics(self):
        """The train metrics the Trainer logged at the end of training (this session's, after a resume)."""
        logs = [entry for entry in self.trainer.state.log_history if "train_runtime" in entry] if self.trainer else []
        if not logs:
            return None
        state, logged = self.trainer.state, logs[-1]
        return {"runtime_s": logged["train_runtime"], "samples_per_second": logged.get("train_samples_per_second"),
                "steps_per_second": logged.get("train_steps_per_second"), "steps": state.global_step,
                "epochs": state.epoch}
