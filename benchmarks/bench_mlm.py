#!/usr/bin/env python
"""Masked language modelling (run_intermediate.py --task mlm, --mlm_corpus): training steps per second with the
prediction head over every position (transformers' *ForMaskedLM as published: the anchor) against the toolkit's
head over the masked positions only (tasks/mlm.py predict_masked_only), on the same batches.

    python benchmarks/bench_mlm.py --config tiny --steps 3                               # CPU, seconds
    python benchmarks/bench_mlm.py --model $(../shared/tools/real-model | tail -1) --steps 10 --peft lora
    python benchmarks/bench_mlm.py --config xlmr-large --steps 20 --batch_size 32        # GPU, XLM-R large shapes

Text: WikiANN English sentences (../shared/data/panx/en/train) with a real tokenizer, else synthetic sentences of
the tests' words. Each row: the head, samples/s, masked tokens/s and the peak memory (process RSS on CPU, max
allocated on the GPU), after --warmup_steps untimed steps; plus the loss of both heads on the first batch (equal up
to float rounding: the masked-only head computes the same mean over the masked positions).
--out writes the rows as pipeline/cost.py reads them (--estimate FILE: the language adapters' MLM stages): {"device",
"model", "rows": [{"shape": "mlm", "setting": "xstilts" (the masked-only head, the scripts') or "transformers_head",
"method": full or lora, "samples_per_s", ...}]}.
"""
import argparse
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import transformers  # noqa: E402
from transformers import AutoModelForMaskedLM, DataCollatorForLanguageModeling  # noqa: E402

from bench_training import model_source, peak_memory_mb, reset_peak_memory, words  # noqa: E402
from tasks.mlm import MLM_PROBABILITY, predict_masked_only  # noqa: E402
from tests.builders import SHARED  # noqa: E402
from utils.args import PeftArguments  # noqa: E402
from utils.peft_setup import add_lora  # noqa: E402
from utils.results import write_json_atomic  # noqa: E402

HEADS = ("every position", "masked only")


def sentences(n, real_tokenizer, seed=0):
    panx = SHARED / "data" / "panx" / "en" / "train"
    if real_tokenizer and panx.is_file():
        text, words_of = [], []
        for line in panx.read_text(encoding="utf-8").splitlines():
            if line.strip():
                words_of.append(line.split("\t")[0].removeprefix("en:"))
            elif words_of:
                text.append(" ".join(words_of))
                words_of = []
        return text[:n], str(panx)
    rng = random.Random(seed)
    return [words(rng, rng.randint(5, 40)) for _ in range(n)], "synthetic"


def batches(tokenizer, text, batch_size, count, max_length):
    """count masked batches (the same ones for every row: seeded masking)."""
    torch.manual_seed(0)
    collate = DataCollatorForLanguageModeling(tokenizer, mlm_probability=MLM_PROBABILITY)
    features = [tokenizer(t, truncation=True, max_length=max_length) for t in text]
    return [collate(features[i * batch_size:(i + 1) * batch_size]) for i in range(count)]


def measure(head, model_dir, data, args, device):
    gc.collect()
    reset_peak_memory(device)
    torch.manual_seed(0)
    model = AutoModelForMaskedLM.from_pretrained(model_dir)
    if head == "masked only":
        predict_masked_only(model)
    if args.peft == "lora":
        add_lora(model, PeftArguments(peft="lora", lora_r=8, lora_alpha=16), str(model_dir))
    model.to(device).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    first_loss, start = None, None
    for step, batch in enumerate(data):
        if step == args.warmup_steps:
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        first_loss = float(loss.detach()) if first_loss is None else first_loss
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    timed = data[args.warmup_steps:]
    del model, optimizer
    return {"head": head, "samples_per_s": sum(len(b["input_ids"]) for b in timed) / seconds,
            "masked_tokens_per_s": sum(int((b["labels"] != -100).sum()) for b in timed) / seconds,
            "peak_memory_mb": peak_memory_mb(device), "first_loss": first_loss, "seconds": seconds}


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", help="a model directory or hub id")
    source.add_argument("--config", choices=("tiny", "xlmr-large"), default="tiny",
                        help="a model built here with random weights (default tiny)")
    parser.add_argument("--tokenizer", help="tokenizer for --config (default: the tiny one)")
    parser.add_argument("--peft", choices=("lora",), help="train LoRA on the encoder (a language adapter's run)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup_steps", type=int, default=2, help="steps run first, not timed")
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--max_length", type=int, default=128, help="the MLM recipe's (tasks/mlm.py SPEC)")
    parser.add_argument("--device", choices=("cuda", "cpu"), default=None, help="default: cuda when available")
    parser.add_argument("--out", help="write the rows as JSON here (pipeline/cost.py's --estimate reads it)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup_steps < 0:
        parser.error("--steps must be at least 1 and --warmup_steps at least 0")
    return args


def main(argv=None):
    args = parse(argv)
    transformers.logging.set_verbosity_error()  # each row's load report (the new MLM head) once is enough
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as workdir:
        model_dir, tokenizer, name, real = model_source(args, workdir)
        text, where = sentences(args.batch_size * (args.warmup_steps + args.steps), real)
        data = batches(tokenizer, text, args.batch_size, args.warmup_steps + args.steps, args.max_length)
        print(f"model {name}, {device}, {args.peft or 'full'} training, batch {args.batch_size}, text: {where}")
        rows = [measure(head, model_dir, data, args, device) for head in HEADS]
    for row in rows:
        row.update(shape="mlm", method=args.peft or "full", batch=args.batch_size,
                   setting="xstilts" if row["head"] == "masked only" else "transformers_head")
    if args.out:
        device_name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
        write_json_atomic(args.out, {"device": device_name, "model": name, "rows": rows})
    anchor = rows[0]["samples_per_s"]
    for row in rows:
        print(f"  head over {row['head']:<15} {row['samples_per_s']:8.2f} samples/s "
              f"{row['masked_tokens_per_s']:9.1f} masked tokens/s  x{row['samples_per_s'] / anchor:.2f}  "
              f"peak {row['peak_memory_mb']:8.0f} MB  first loss {row['first_loss']:.4f}")
    return rows


if __name__ == "__main__":
    main()
