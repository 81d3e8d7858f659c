#!/usr/bin/env python
"""Steady-state training speed of the scripts' Trainer path: samples/s, real tokens/s (attention mask = 1, padding
not counted) and, on a GPU, model FLOPs utilisation, for three shapes and two configurations side by side.

    python benchmarks/bench_training.py --config tiny --steps 5 --warmup_steps 2        # CPU, a minute
    python benchmarks/bench_training.py --config tiny --methods full,lora --configs xstilts   # LoRA beside full
    python benchmarks/bench_training.py --model $(../shared/tools/real-model | tail -1) --steps 10 \
        --grad_accum 1 --freeze_embeddings                                              # CPU, the real model
    # GPU, XLM-R large (random weights, built locally; the tokenizer decides the token lengths of real text):
    python benchmarks/bench_training.py --config xlmr-large --tokenizer xlm-roberta-large \
        --steps 30 --warmup_steps 5 --out bench_h200.json
    python benchmarks/bench_training.py --model xlm-roberta-large --steps 30 --out bench.json  # the real weights

Shapes (the scripts' own preprocessing, collators and utils/trainer.py Trainer; the recipe's batch split on one
device: 8 per device x 4 accumulation, QA 8 x 2):
    pairs    XNLI-shaped sentence pairs, max length 128: ../shared/data/xnli_de/train.txt when present and a real
             tokenizer is used (--model or --tokenizer), else synthetic pairs whose token lengths follow that file's
             distribution under XLM-R's tokenizer (PAIR_LENGTHS; mean 46 tokens)
    qa       SQuAD windows of 384 tokens, all full (synthetic long contexts; partial windows are dropped)
    tagging  PAN-X-like sentences, max length 128: ../shared/data/panx/en/train likewise, else synthetic with
             PAN-X English's lengths (TAGGING_LENGTHS; mean 14 tokens)
Configurations:
    xstilts     this project's defaults: dynamic padding, length-grouped batches, and on a GPU what utils/device.py
                switches on (bf16 or fp16, TF32, SDPA, fused AdamW, pinned memory, dataloader workers)
    hf_example  HF's example scripts' defaults: padding to max length, random batches, fp32 (no TF32),
                TrainingArguments' default optimizer and transformers' default attention
Steady state: the first --warmup_steps optimizer steps are not timed; the device is synchronised when the clock
starts and stops. MFU = 6 x N x real tokens/s / the device's dense bf16 peak (PEAK_TFLOPS by device name, or
--peak_tflops), N the non-embedding parameters (utils/cost.py; attention's own products are not counted), so
padding and the embedding lookup count as waste. On CPU MFU is n/a unless --peak_tflops is given.
Methods (--methods, each row's "method"): full (the whole model trained) and lora (--peft lora: utils/peft_setup.py,
LoRA of rank --lora_r on every linear module of the encoder layers, the head fully trained). LoRA skips the frozen
weights' gradients: model FLOPs per token are 4 x N + 2 x the trained non-embedding parameters (utils/cost.py
training_flops; 6 x N for full fine-tuning). Each row gives the trainable parameters and the peak memory of its
run: the process's peak resident memory on CPU (VmHWM, reset before each row where Linux allows, else the process's
peak so far), the peak memory allocated on the GPU.
--out writes {"device", "model" (--model's last path component, or xlm-roberta-large, tiny), "weights", "rows":
[{"shape", "config", "setting" (= config, for pipeline/cost.py), "method", "samples_per_s", "tokens_per_s", "mfu",
"trainable_parameters", "peak_memory_mb", ...}]}.
"""
import argparse
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import datasets  # noqa: E402
import transformers  # noqa: E402
from transformers import PrinterCallback, TrainerCallback  # noqa: E402

from tests.builders import SHARED, WORDS, build_tiny_model  # noqa: E402  (the tests' vocabulary and tiny model)
from tasks import get_task  # noqa: E402
from tasks.kinds import kind_of  # noqa: E402
from utils.args import DataArguments, ModelArguments, PeftArguments, XTrainingArguments  # noqa: E402
from utils.cost import parameter_counts, training_flops  # noqa: E402
from utils.device import cuda_capabilities, device_defaults  # noqa: E402
from utils.modeling import load_tokenizer, load_with_new_head  # noqa: E402
from utils.results import write_json_atomic  # noqa: E402
from utils.trainer import Trainer  # noqa: E402

# Dense bf16 tensor peaks in TFLOP/s (NVIDIA's datasheets, without the 2x of sparsity; V100: fp16), matched as
# substrings of torch.cuda.get_device_name in this order. A10G: AWS publishes none; the A10's figure.
PEAK_TFLOPS = (("H100 PCIe", 756), ("H100", 989), ("H200", 989), ("A100", 312), ("V100", 125), ("L40S", 362),
               ("L4", 121), ("A10", 125))
# Token lengths (after truncation to 128) at these percentiles, measured with XLM-R's tokenizer
# (multilingual-e5-small's) on ../shared/data: xnli_de/train.txt (2,245 pairs) and panx/en/train (20,000 sentences).
PERCENTILES = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99, 99.9, 100)
PAIR_LENGTHS = (14, 27, 32, 36, 41, 45, 50, 54, 59, 66, 72, 78, 82, 92, 96)
TAGGING_LENGTHS = (5, 7, 9, 9, 10, 12, 13, 15, 18, 23, 29, 37, 44, 79, 128)
# shape -> (target task whose training task and preprocessing it uses, max length, recipe's gradient accumulation)
SHAPES = {"pairs": ("xnli", 128, 4), "qa": ("xquad", 384, 2), "tagging": ("panx", 128, 4)}
SETTINGS = ("xstilts", "hf_example")
METHODS = ("full", "lora")
XLMR_LARGE = dict(vocab_size=250002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                  intermediate_size=4096, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
                  pad_token_id=1, bos_token_id=0, eos_token_id=2)


def peak_tflops(device_name, given=None):
    if given:
        return given
    for name, peak in PEAK_TFLOPS:
        if name.lower() in device_name.lower():
            return peak
    return None


# ---- data --------------------------------------------------------------------------------------------------------
def sample_lengths(table, n, rng):
    """n token lengths drawn from a percentile table (linear between the percentiles)."""
    return [round(v) for v in np.interp(rng.random(n) * 100, PERCENTILES, table)]


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(max(n, 1)))


def synthetic_rows(shape, n, seed=0):
    """Rows of the shape's schema; with the tiny tokenizer every word is one token, so a row's length in tokens
    is the drawn one (special tokens included)."""
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    labels = ("entailment", "neutral", "contradiction")
    if shape == "pairs":  # <s> A </s></s> B </s>: 4 special tokens; premises twice as long as hypotheses
        rows = []
        for i, length in enumerate(sample_lengths(PAIR_LENGTHS, n, np_rng)):
            a = max(1, round((length - 4) * 2 / 3))
            rows.append({"id": str(i), "text_a": words(rng, a), "text_b": words(rng, length - 4 - a),
                         "label": labels[i % 3]})
        return rows
    if shape == "tagging":
        tags = get_task("panx").labels
        return [{"id": str(i), "tokens": words(rng, length - 2).split(), "tags": [rng.choice(tags)
                 for _ in range(max(length - 2, 1))]} for i, length in enumerate(sample_lengths(TAGGING_LENGTHS, n,
                                                                                                np_rng))]
    rows = []  # qa: contexts of ~900 words, several full 384-token windows each
    for i in range(n):
        context = words(rng, 900)
        start = context.index(" ", rng.randrange(0, len(context) - 40)) + 1
        answer = " ".join(context[start:].split()[:3])
        rows.append({"id": str(i), "context": context, "question": words(rng, 10) + "?",
                     "answers": {"text": [answer], "answer_start": [start]}})
    return rows


def real_rows(shape, data_dir):
    """The shape's real training-like rows from ../shared/data, or None where absent (QA: windows are synthetic)."""
    from tasks import classification, tagging
    path = Path(data_dir) / {"pairs": "xnli_de/train.txt", "tagging": "panx/en/train", "qa": "-"}[shape]
    if shape == "qa" or not path.is_file():
        return None, None
    reader = classification.xnli_tsv if shape == "pairs" else tagging.wikiann
    return list(reader(path)), str(path)


def features(shape, rows, tokenizer, pad):
    """Training features as the scripts make them (the training task's preprocess), QA: full windows only."""
    target, max_length, _ = SHAPES[shape]
    spec = get_task(get_task(target).train_task or target)
    data_args = DataArguments(max_seq_length=max_length, pad_to_max_length=pad)
    dataset = datasets.Dataset.from_list(rows)
    out = dataset.map(kind_of(spec).preprocess(spec, tokenizer, data_args, True), batched=True,
                      remove_columns=dataset.column_names, load_from_cache_file=False)
    if shape == "qa":
        out = out.filter(lambda f: sum(f["attention_mask"]) == max_length, load_from_cache_file=False)
    return spec, data_args, out


# ---- the measurement ---------------------------------------------------------------------------------------------
class SteadyState(TrainerCallback):
    """Clock and real-token count from the end of optimizer step `warmup` to the end of the last step."""

    def __init__(self, model, warmup, cuda):
        self.warmup, self.cuda, self.counting = warmup, cuda, False
        self.tokens, self.padded, self.samples, self.start, self.stop = 0, 0, 0, None, None
        model.register_forward_pre_hook(self.count, with_kwargs=True)

    def count(self, module, args, kwargs):
        if self.counting:
            mask = kwargs["attention_mask"]
            self.tokens = self.tokens + mask.sum()  # a device tensor: no synchronisation per step
            self.padded += mask.numel()
            self.samples += len(mask)

    def now(self):
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def begin(self):
        self.start, self.counting = self.now(), True

    def on_train_begin(self, args, state, control, **kwargs):
        if self.warmup == 0:
            self.begin()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup:
            self.begin()
        if state.global_step == state.max_steps:
            self.stop, self.counting = self.now(), False


def setting_arguments(setting, device):
    """(TrainingArguments fields, ModelArguments fields, pad to max length) of a configuration on this device."""
    cuda = device == "cuda"
    if setting == "xstilts":
        training = device_defaults({} if cuda else {"use_cpu": True})
        model = {"attn_implementation": training.pop("attn_implementation", None)}
        return training, model, False
    capabilities = cuda_capabilities() if cuda else None
    training = {"train_sampling_strategy": "random", **({"tf32": False} if capabilities and capabilities["tf32"]
                                                         else {})}
    return training, {}, True


def reset_peak_memory(device):
    """Start a row's peak memory: the GPU's peak allocation; on CPU the process's peak resident set (Linux: writing 5
    to /proc/self/clear_refs resets VmHWM; where it cannot, the peak stays the process's so far)."""
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        return
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_memory_mb(device) -> float:
    """The peak since reset_peak_memory, in MB (10^6 bytes)."""
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 1e6
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) * 1024 / 1e6
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # Linux: kB


def measure(shape, setting, model_dir, tokenizer, rows, args, device, method="full"):
    """One row of the table: the shape trained under one configuration and method (full, lora) for warmup + steps
    optimizer steps."""
    training, model_fields, pad = setting_arguments(setting, device)
    spec, data_args, train = features(shape, rows, tokenizer, pad)
    kind = kind_of(spec)
    accumulation = args.grad_accum or SHAPES[shape][2]
    labels = {"num_labels": len(spec.labels), "id2label": dict(enumerate(spec.labels)),
              "label2id": {n: i for i, n in enumerate(spec.labels)}} if spec.labels else {}
    model_args = ModelArguments(model_name_or_path=str(model_dir), freeze_embeddings=args.freeze_embeddings,
                                **model_fields)
    gc.collect()  # the previous row's model (its cycles too) is freed before this row's peak starts
    if device == "cuda":
        torch.cuda.empty_cache()
    reset_peak_memory(device)
    peft = PeftArguments(peft="lora", lora_r=args.lora_r, lora_alpha=2 * args.lora_r) if method == "lora" else None
    model = load_with_new_head(kind.model_class(spec, data_args), model_args, peft=peft, **labels)
    with tempfile.TemporaryDirectory() as out:
        training_args = XTrainingArguments(
            output_dir=out, per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=accumulation,
            max_steps=args.warmup_steps + args.steps, eval_strategy="no", save_strategy="no",
            load_best_model_at_end=False, metric_for_best_model=None, logging_steps=10 ** 6, disable_tqdm=True,
            warmup_steps=0, seed=0, dataloader_drop_last=True, use_cpu=device == "cpu", **training)
        trainer = Trainer(model=model, args=training_args, train_dataset=train, processing_class=tokenizer,
                          data_collator=kind.data_collator(spec, tokenizer, data_args))
        clock = SteadyState(model, args.warmup_steps, device == "cuda")
        trainer.add_callback(clock)
        trainer.remove_callback(PrinterCallback)  # the Trainer's own log lines
        trainer.train()
    seconds = clock.stop - clock.start
    tokens = int(clock.tokens)
    device_name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    peak = peak_tflops(device_name, args.peak_tflops) if device == "cuda" or args.peak_tflops else None
    non_embedding = parameter_counts(model)[1]
    trainable = [p for p in model.parameters() if p.requires_grad]
    flops_per_token = training_flops(non_embedding, 1, 0, parameter_counts(model, trained=True)[1])  # full: 6 N
    memory = peak_memory_mb(device)
    precision = "bf16" if training_args.bf16 else "fp16" if training_args.fp16 else "fp32"
    del trainer, model
    if device == "cuda":
        torch.cuda.empty_cache()
    return {"shape": shape, "config": setting, "setting": setting, "method": method,
            "samples_per_s": clock.samples / seconds,
            "tokens_per_s": tokens / seconds, "padded_tokens_per_s": clock.padded / seconds,
            "mfu": flops_per_token * tokens / seconds / (peak * 1e12) if peak else None,
            "trainable_parameters": sum(p.numel() for p in trainable), "peak_memory_mb": memory,
            "steps": args.steps, "batch": f"{args.batch_size}x{accumulation}", "samples": clock.samples,
            "tokens": tokens, "seconds": seconds, "precision": precision, "non_embedding_parameters": non_embedding,
            "training_features": len(train)}


# ---- models ------------------------------------------------------------------------------------------------------
def model_source(args, workdir):
    """(model directory, tokenizer, model name, real tokenizer?) for --model or --config."""
    if args.model:
        tokenizer = load_tokenizer(ModelArguments(model_name_or_path=args.model, tokenizer_name=args.tokenizer))
        return args.model, tokenizer, Path(args.model.rstrip("/")).name, True
    directory = build_tiny_model(Path(workdir) / "tiny")
    if args.config == "xlmr-large":
        from transformers import XLMRobertaConfig, XLMRobertaModel
        torch.manual_seed(0)
        directory = Path(workdir) / "xlmr-large"
        XLMRobertaModel(XLMRobertaConfig(**XLMR_LARGE)).save_pretrained(directory)
        load_tokenizer(ModelArguments(model_name_or_path=str(args.tokenizer or Path(workdir) / "tiny"))) \
            .save_pretrained(directory)
    tokenizer = load_tokenizer(ModelArguments(model_name_or_path=str(directory)))
    name = "xlm-roberta-large" if args.config == "xlmr-large" else "tiny"  # as pipeline/cost.py matches base models
    return directory, tokenizer, name, bool(args.tokenizer)


def rows_for(shape, args, real_tokenizer):
    """(rows, where they came from): real data only with a real tokenizer (the tiny one splits real words)."""
    needed = (args.warmup_steps + args.steps) * args.batch_size * (args.grad_accum or SHAPES[shape][2])
    if real_tokenizer:
        rows, path = real_rows(shape, args.data_dir)
        if rows:
            return rows, path
    batch = args.batch_size * (args.grad_accum or SHAPES[shape][2])
    n = needed // 3 + 8 if shape == "qa" else max(needed, 100 * batch)  # length grouping: megabatches of 50
    return synthetic_rows(shape, n), f"synthetic ({n} rows)"


def run(args):
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    rows_out, sources = [], {}
    with tempfile.TemporaryDirectory() as workdir:
        model_dir, tokenizer, name, real_tokenizer = model_source(args, workdir)
        for shape in args.shapes.split(","):
            rows, sources[shape] = rows_for(shape, args, real_tokenizer)
            for setting in args.configs.split(","):
                for method in args.methods.split(","):
                    rows_out.append(measure(shape, setting, model_dir, tokenizer, rows, args, device, method))
                    print_row(rows_out[-1], rows_out)
    document = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "model": name,
                "weights": "pretrained" if args.model else "random",
                "peak_tflops": peak_tflops(torch.cuda.get_device_name(), args.peak_tflops) if device == "cuda"
                else args.peak_tflops, "data": sources, "rows": rows_out}
    if args.out:
        write_json_atomic(Path(args.out), document)
    return document


def print_row(row, rows):
    if len(rows) == 1:
        print("| shape | config | method | trainable params | peak memory MB | batch | precision | samples/s | "
              "real tokens/s | padded tokens/s | MFU | xstilts / hf_example |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|")
    other = {r["config"]: r for r in rows if r["shape"] == row["shape"] and r["method"] == row["method"]}
    ratio = (f"{other['xstilts']['samples_per_s'] / other['hf_example']['samples_per_s']:.2f}x"
             if len(other) == 2 and row["config"] == list(other)[-1] else "")
    mfu = f"{row['mfu']:.1%}" if row["mfu"] is not None else "n/a"
    print(f"| {row['shape']} | {row['config']} | {row['method']} | {row['trainable_parameters']:,} | "
          f"{row['peak_memory_mb']:,.0f} | {row['batch']} | {row['precision']} | {row['samples_per_s']:.1f} | "
          f"{row['tokens_per_s']:,.0f} | {row['padded_tokens_per_s']:,.0f} | {mfu} | {ratio} |", flush=True)


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", help="a model directory or hub id (the real model)")
    source.add_argument("--config", choices=("tiny", "xlmr-large"), default="tiny",
                        help="a model built locally with random weights (default tiny)")
    parser.add_argument("--tokenizer", help="tokenizer for --config (default: the tiny one; real data needs a real "
                                            "one) or instead of --model's own")
    parser.add_argument("--shapes", default="pairs,qa,tagging")
    parser.add_argument("--configs", default=",".join(SETTINGS), help="xstilts,hf_example (or one of them)")
    parser.add_argument("--methods", default="full", help="full,lora (or one of them; default full)")
    parser.add_argument("--lora_r", type=int, default=8, help="--methods lora: the rank (alpha = 2 r)")
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps")
    parser.add_argument("--warmup_steps", type=int, default=5, help="optimizer steps run first, not timed")
    parser.add_argument("--batch_size", type=int, default=8, help="per-device batch (the scripts' default: 8)")
    parser.add_argument("--grad_accum", type=int, default=None,
                        help="gradient accumulation (default: the recipe's on one device, 4; QA 2)")
    parser.add_argument("--freeze_embeddings", action="store_true",
                        help="keep the word embeddings fixed (the scripts' flag: on CPUs XLM-R's 250k-word table's "
                             "optimizer step otherwise dominates every step)")
    parser.add_argument("--peak_tflops", type=float, default=None, help="the device's peak (default: PEAK_TFLOPS)")
    parser.add_argument("--device", choices=("cuda", "cpu"), default=None, help="default: cuda when available")
    parser.add_argument("--data_dir", default=str(SHARED / "data"), help="real data (default ../shared/data)")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)
    for shape in args.shapes.split(","):
        if shape not in SHAPES:
            parser.error(f"--shapes: {shape!r} is not one of {', '.join(SHAPES)}")
    for setting in args.configs.split(","):
        if setting not in SETTINGS:
            parser.error(f"--configs: {setting!r} is not one of {', '.join(SETTINGS)}")
    for method in args.methods.split(","):
        if method not in METHODS:
            parser.error(f"--methods: {method!r} is not one of {', '.join(METHODS)}")
    if args.steps < 1 or args.warmup_steps < 0 or args.batch_size < 1 or args.lora_r < 1:
        parser.error("--steps, --batch_size and --lora_r must be >= 1, --warmup_steps >= 0")
    if args.tokenizer and args.config == "tiny" and not args.model:
        parser.error("--tokenizer: only with --config xlmr-large or --model (the tiny model has a 400-word vocabulary)")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible")
    return args


if __name__ == "__main__":
    arguments = parse()
    print(f"training speed: {arguments.model or arguments.config}, {arguments.steps} timed steps after "
          f"{arguments.warmup_steps}, per-device batch {arguments.batch_size}", flush=True)
    run(arguments)
