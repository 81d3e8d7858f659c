#!/usr/bin/env python
"""One cell of every kind on the device, a few steps each, and one JSON summary (scripts/gpu_check.sh runs it).

    python scripts/gpu_check.py [--cpu] [--tokenizer DIR] [--steps 4] [--out gpu_check.json] [--workdir DIR]

The encoder is built here with random weights (no hub): on a GPU XLM-R large's shape (24 layers, hidden 1024,
vocabulary of the tokenizer: 250,002 for XLM-R's), with --cpu the tiny model's (2 layers, hidden 32). The tokenizer:
--tokenizer, else the XLM-R tokenizer that ../shared/tools/real-model builds (multilingual-e5-small's), else one
trained here (tests/builders.py). Training cells pad to the kind's real lengths (--pad_to_max_length: 128 for pairs,
tags and choices, 384 for QA windows) with the recipe's per-device batch (8) and accumulation (4; QA 2), so the
shapes are those of a real run; on a GPU the scripts' own defaults apply (utils/device.py: bf16, TF32, SDPA, fused
AdamW). Every cell goes through a real entry point, in this process:

    classification   run_target.py --task xnli     (MNLI-shaped training, XNLI test)
    multiple_choice  run_target.py --task xcopa    (COPA training)
    span_qa          run_target.py --task xquad    (SQuAD training, 384-token windows)
    tagging          run_target.py --task panx
    *_lora           the classification and tagging cells with --peft lora (utils/peft_setup.py)
    dual_encoder     run_target.py --task lareqa   (in-batch softmax on SQuAD pairs, a candidate pool)
    multitask        run_intermediate.py --tasks mnli,squad,ccg
    retrieval        run_retrieval.py --task tatoeba
    mining           run_retrieval.py --task bucc  (margin mining, tasks/mining.py)
    benchmark        benchmarks/bench_training.py  (samples/s, real tokens/s, MFU on a GPU; pairs, qa, tagging;
                     full fine-tuning and LoRA, --methods full,lora)

The summary: {"device", "model", "tokenizer", "seconds", "cells": {name: {"status" ("ok" or "failed: ..."),
"seconds", "samples_per_s", "train_tokens_per_s", "peak_gpu_memory_gib" (GPU only), "mfu" (benchmark rows: "<shape>" full fine-tuning, "<shape>/lora"
LoRA, each with its trainable parameters and peak memory)}}}.
A failing cell is recorded and the others still run; the exit status is 1 if any failed.
"""
import argparse
import gc
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

from builders import SHARED, build_tiny_model, make_sentence, nli_rows, write_jsonl  # noqa: E402
from builders import mc_rows, synthetic_qa_rows, tag_rows  # noqa: E402  (synthetic rows of each kind's schema)

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
XLMR_VOCAB = 250_002  # the large shape's embedding table at least this big, whatever tokenizer stands in
SHAPE = dict(max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5)


# ---- the encoder -------------------------------------------------------------------------------------------------
def find_tokenizer(workdir, given=None):
    """(tokenizer directory, where it came from): --tokenizer, the real XLM-R tokenizer, or a trained one."""
    if given:
        return Path(given), given
    tool = SHARED / "tools" / "real-model"
    if tool.exists():
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        result = subprocess.run([str(tool)], capture_output=True, text=True, env=env, timeout=900)
        if result.returncode == 0 and result.stdout.strip():
            path = Path(result.stdout.strip().splitlines()[-1])
            return path, f"XLM-R's ({path.name}, {tool})"
    return build_tiny_model(Path(workdir) / "trained"), "trained here (tests/builders.py build_tiny_model)"


def build_encoder(directory, tokenizer_dir, large):
    """An XLM-R encoder with random weights and the tokenizer's vocabulary (the large shape: at least XLM-R's, so a
    stand-in tokenizer leaves the embedding table, its gradient and its optimizer step as large), saved to
    directory."""
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    vocab = max(len(tokenizer), XLMR_VOCAB) if large else len(tokenizer)
    config = XLMRobertaConfig(vocab_size=vocab, pad_token_id=tokenizer.pad_token_id, bos_token_id=0,
                              eos_token_id=2, **SHAPE, **(LARGE if large else TINY))
    torch.manual_seed(0)
    with torch.device("cuda" if large and torch.cuda.is_available() else "cpu"):  # initialised where it is fast
        model = XLMRobertaModel(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return Path(directory), model.num_parameters()


# ---- data --------------------------------------------------------------------------------------------------------
def write_data(data, n, pool):
    """Every kind's files in the local layout: n training rows a task, small dev and test sets, and retrieval sets
    of `pool` sentences."""
    rng = random.Random(0)
    dev = max(8, n // 8)
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(n, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(dev, 2))
    write_jsonl(data / "xnli" / "test-de.jsonl", nli_rows(dev, 3, prefix="de-"))
    write_jsonl(data / "copa" / "train-en.jsonl", mc_rows(n, 3, 2))
    write_jsonl(data / "copa" / "validation-en.jsonl", mc_rows(dev, 4, 2))
    write_jsonl(data / "xcopa" / "test-et.jsonl", mc_rows(dev, 5, 2, prefix="et-"))
    write_jsonl(data / "squad" / "train-en.jsonl", synthetic_qa_rows(n, 1))
    write_jsonl(data / "squad" / "validation-en.jsonl", synthetic_qa_rows(dev, 2))
    write_jsonl(data / "xquad" / "test-de.jsonl", synthetic_qa_rows(dev, 3, prefix="de-"))
    for task in ("ccg", "panx"):
        write_jsonl(data / task / "train-en.jsonl", tag_rows(n, 1, task))
        write_jsonl(data / task / "validation-en.jsonl", tag_rows(dev, 2, task))
    write_jsonl(data / "panx" / "test-de.jsonl", tag_rows(dev, 3, "panx", prefix="de-"))
    sentences = list(dict.fromkeys(make_sentence(rng) for _ in range(3 * pool)))
    write_jsonl(data / "tatoeba" / "test-de.jsonl", [{"source": f"{s} {i}", "target": s}
                                                    for i, s in enumerate(sentences[:pool])])
    write_jsonl(data / "lareqa" / "candidates.jsonl",
                [{"id": f"de_{i}", "text": s, "context": s, "lang": "de"} for i, s in enumerate(sentences[:pool])])
    write_jsonl(data / "lareqa" / "test-de.jsonl",
                [{"id": f"q{i}", "query": s.split()[0] + " ?", "label": [f"de_{i}"]}
                 for i, s in enumerate(sentences[:dev])])
    for split, offset in (("validation", 0), ("test", pool)):
        texts = sentences[offset:offset + pool]
        gold = len(texts) // 4
        parts = {"source": [{"id": f"de-{i}", "text": t} for i, t in enumerate(texts)],
                 "target": [{"id": f"en-{i}", "text": t} for i, t in enumerate(texts[:gold] + sentences[-pool:])],
                 "gold": [{"source_id": f"de-{i}", "target_id": f"en-{i}"} for i in range(gold)]}
        for part, rows in parts.items():
            write_jsonl(data / "bucc" / f"{split}-de.{part}.jsonl", rows)


# ---- the cells ---------------------------------------------------------------------------------------------------
def cells(model, data, out, steps, batch, cpu):
    """{name: (script module name, argv)}: every kind, through its entry point."""
    train = ["--max_steps", str(steps), "--per_device_train_batch_size", str(batch), "--per_device_eval_batch_size",
             str(batch), "--eval_strategy", "steps", "--eval_steps", str(steps), "--save_steps", str(steps),
             "--logging_steps", str(steps), "--pad_to_max_length", "--data_dir", str(data), "--seed", "1",
             "--warmup_steps", "0", "--learning_rate", "1e-5", "--overwrite",
             "--save_only_model"]  # a checkpoint without XLM-R large's 4.5 GB of optimizer state
    train += ["--use_cpu", "--freeze_embeddings", "--dataloader_num_workers", "0"] if cpu else []
    accumulation = lambda n: ["--gradient_accumulation_steps", str(n)]  # noqa: E731  (the recipe's on one device)
    common = ["--model_name_or_path", str(model)]
    def target(task, lang, *extra, folder=None):
        return "run_target", ["--task", task, "--languages", lang, *common, *train, *extra, "--output_dir",
                              str(out / (folder or task))]
    retrieval = ["--data_dir", str(data), "--batch_size", str(4 * batch), "--overwrite",
                 "--embedding_cache_dir", str(out / "embeddings")]
    return {
        "classification": target("xnli", "de", *accumulation(4)),
        "multiple_choice": target("xcopa", "et", *accumulation(4)),
        "span_qa": target("xquad", "de", *accumulation(2)),
        "tagging": target("panx", "de", *accumulation(4)),
        "classification_lora": target("xnli", "de", *accumulation(4), "--peft", "lora", folder="xnli_lora"),
        "tagging_lora": target("panx", "de", *accumulation(4), "--peft", "lora", folder="panx_lora"),
        "dual_encoder": target("lareqa", "de", *accumulation(4)),
        "multitask": ("run_intermediate", ["--tasks", "mnli,squad,ccg", *common, *train, *accumulation(4),
                                           "--output_dir", str(out / "multitask")]),
        "retrieval": ("run_retrieval", ["--task", "tatoeba", "--languages", "de", *common, *retrieval,
                                        "--output_dir", str(out / "tatoeba")]),
        "mining": ("run_retrieval", ["--task", "bucc", "--languages", "de", *common, *retrieval,
                                     "--output_dir", str(out / "bucc")]),
    }


def cell_figures(out_dir, seconds) -> dict:
    """samples/s and real training tokens/s from the run's cost record (run_config.json, utils/cost.py); for a run
    without training (retrieval) the sentences encoded per second of the run (its wall time, whole seconds, or the
    cell's own `seconds` when that rounds to 0)."""
    cost = json.loads((Path(out_dir) / "run_config.json").read_text(encoding="utf-8")).get("cost") or {}
    train = cost.get("train") or {}
    if train.get("runtime_s"):
        return {"samples_per_s": train.get("samples_per_second"),
                "train_tokens_per_s": round(cost.get("train_tokens", 0) / train["runtime_s"], 1)}
    wall = cost.get("wall_s") or seconds
    return {"samples_per_s": round(cost.get("eval_sequences", 0) / wall, 1) if wall else None}


def timed(run):
    """(record with status, seconds and peak GPU memory, run's result)."""
    cuda = torch.cuda.is_available()
    gc.collect()  # the previous cell's model and Trainer
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    started, result = time.time(), None
    try:
        result = run()
        record = {"status": "ok"}
    except BaseException as error:  # noqa: BLE001 (SystemExit too: a cell's error must not end the check)
        if isinstance(error, KeyboardInterrupt):
            raise
        traceback.print_exc()
        record = {"status": f"failed: {type(error).__name__}: {' '.join(str(error).split())[:300]}"}
    record["seconds"] = round(time.time() - started, 2)
    record["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2 ** 30, 2) if cuda else None
    return record, result


def run_cell(script, argv, out_dir):
    from importlib import import_module
    record, _ = timed(lambda: import_module(script).main(argv))
    if record["status"] == "ok":
        try:
            record.update(cell_figures(out_dir, record["seconds"]))
        except (OSError, ValueError) as error:
            record["status"] = f"failed: no cost record ({error})"
    return record


def run_benchmark(model, steps, cpu, out_file):
    """benchmarks/bench_training.py on the same encoder (its Trainer path; MFU on a GPU), this project's config."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_training
    argv = ["--model", str(model), "--steps", str(steps), "--warmup_steps", "2" if not cpu else "1",
            "--configs", "xstilts", "--methods", "full,lora", "--out", str(out_file)]
    argv += ["--device", "cpu", "--freeze_embeddings", "--batch_size", "4", "--grad_accum", "1"] if cpu else []
    record, document = timed(lambda: bench_training.run(bench_training.parse(argv)))
    if document:
        record["rows"] = {row["shape"] + ("" if row["method"] == "full" else f"/{row['method']}"): {
            "samples_per_s": round(row["samples_per_s"], 2), "tokens_per_s": round(row["tokens_per_s"], 1),
            "mfu": row["mfu"], "batch": row["batch"], "precision": row["precision"],
            "trainable_parameters": row["trainable_parameters"], "peak_memory_mb": row["peak_memory_mb"]}
            for row in document["rows"]}
        record["peak_tflops"] = document.get("peak_tflops")
    return record


def check(args):
    started = time.time()
    cpu = args.cpu or not torch.cuda.is_available()
    if not args.cpu and cpu:
        raise SystemExit("gpu_check.py: no CUDA device is visible (pass --cpu to run the plan on the CPU)")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="gpu_check_"))
    tokenizer_dir, tokenizer_source = find_tokenizer(workdir, args.tokenizer)
    model, parameters = build_encoder(workdir / "encoder", tokenizer_dir, large=not cpu)
    batch = 4 if cpu else 8
    write_data(workdir / "data", n=max(args.steps * batch * 4, 32), pool=64 if cpu else 2000)
    summary = {"device": "cpu" if cpu else torch.cuda.get_device_name(), "model": {
        "shape": "tiny" if cpu else "xlm-roberta-large", "parameters": parameters, "weights": "random",
        **(TINY if cpu else LARGE)}, "tokenizer": tokenizer_source, "steps": args.steps, "cells": {}}
    for name, (script, argv) in cells(model, workdir / "data", workdir / "runs", args.steps, batch, cpu).items():
        print(f"gpu_check: {name} ({script}.py)", flush=True)
        output_dir = Path(argv[argv.index("--output_dir") + 1])
        summary["cells"][name] = run_cell(script, argv, output_dir)
        write_summary(summary, started, args.out)  # after every cell: a run cut short still leaves its figures
    print("gpu_check: benchmark (benchmarks/bench_training.py)", flush=True)
    summary["cells"]["benchmark"] = run_benchmark(model, args.steps, cpu, workdir / "bench.json")
    write_summary(summary, started, args.out)
    for name, cell in summary["cells"].items():
        print(f"  {name:<20} {cell['status'][:60]:<8} {cell['seconds']:>7.1f}s  samples/s "
              f"{cell.get('samples_per_s')}  peak GiB {cell.get('peak_gpu_memory_gib')}")
    print(f"gpu_check: {summary['seconds']} s; summary in {args.out}")
    return summary


def write_summary(summary, started, out):
    from utils.results import write_json_atomic
    summary["seconds"] = round(time.time() - started, 1)
    write_json_atomic(Path(out), summary)


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu", action="store_true", help="the same plan on the tiny model, on the CPU")
    parser.add_argument("--tokenizer", help="a tokenizer directory (default: XLM-R's from ../shared, else trained)")
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps a training cell (default 4)")
    parser.add_argument("--out", default="gpu_check.json", help="the JSON summary (default gpu_check.json)")
    parser.add_argument("--workdir", help="models, data and runs (default: a new temporary folder)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    if args.tokenizer and not Path(args.tokenizer).is_dir():
        parser.error(f"--tokenizer {args.tokenizer}: not a directory")
    return args


def main(argv=None):
    logging.basicConfig(level=logging.WARNING)
    summary = check(parse(argv))
    return 1 if any(c["status"] != "ok" for c in summary["cells"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
