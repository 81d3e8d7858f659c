#!/usr/bin/env python
"""Multi-task training cost: the task sampler's speed, and training throughput (samples/s) of one task through
the plain Trainer against the same task through the multi-task machinery, and of three task kinds together.

    python benchmarks/bench_multitask.py --model PATH_OR_HUB_ID [--steps 20] [--batch_size 8]
    python benchmarks/bench_multitask.py --model tiny     (a 2-layer model built on the fly)
"""
import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builders import build_tiny_model, make_sentence, nli_rows, write_jsonl  # noqa: E402
from utils.sampling import TaskBatchSampler, task_probabilities  # noqa: E402

PAPER_SIZES = {"anli": 162865, "ccg": 38015, "commonsenseqa": 9741, "cosmosqa": 25262, "hellaswag": 39905,
               "mnli": 392702, "qqp": 363846, "squad": 88641, "socialiqa": 33410}


def bench_sampler(batch_size):
    probabilities = task_probabilities(PAPER_SIZES)
    sampler = TaskBatchSampler(list(PAPER_SIZES.values()), list(probabilities.values()), batch_size, seed=0)
    start = time.perf_counter()
    count = sum(1 for _ in sampler)
    seconds = time.perf_counter() - start
    print(f"sampler: one epoch of the paper's nine tasks = {count} batches of {batch_size} in {seconds:.2f} s "
          f"({count / seconds:,.0f} batches/s)")


def write_data(directory, n):
    rng = random.Random(0)
    write_jsonl(directory / "mnli" / "train-en.jsonl", nli_rows(n, 1))
    write_jsonl(directory / "mnli" / "validation-en.jsonl", nli_rows(8, 2))
    mc = [{"id": f"m{i}", "context": make_sentence(rng), "choices": [make_sentence(rng, 4) for _ in range(4)],
           "label": i % 4} for i in range(n)]
    write_jsonl(directory / "hellaswag" / "train-en.jsonl", mc)
    write_jsonl(directory / "hellaswag" / "validation-en.jsonl", mc[:8])
    tags = [{"id": f"t{i}", "tokens": s.split(), "tags": ["X"] * len(s.split())}
            for i, s in enumerate(make_sentence(rng).rstrip(".") for _ in range(n))]
    write_jsonl(directory / "ccg" / "train-en.jsonl", tags)
    write_jsonl(directory / "ccg" / "validation-en.jsonl", tags[:8])


def timed_run(argv):
    import run_intermediate
    start = time.perf_counter()
    run_intermediate.main(argv)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=8)
    args = parser.parse_args()
    bench_sampler(args.batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = str(build_tiny_model(tmp / "tiny")) if args.model == "tiny" else args.model
        write_data(tmp / "data", args.steps * args.batch_size)
        common = ["--model_name_or_path", model, "--data_dir", str(tmp / "data"), "--max_steps", str(args.steps),
                  "--per_device_train_batch_size", str(args.batch_size), "--gradient_accumulation_steps", "1",
                  "--eval_strategy", "no",
                  "--save_strategy", "no", "--load_best_model_at_end", "false", "--use_cpu",
                  "--max_eval_samples", "8", "--logging_steps", "1000", "--disable_tqdm", "true"]
        samples = args.steps * args.batch_size
        for number, (name, extra) in enumerate((("single task (Trainer)", ["--task", "mnli"]),
                                                 ("single task (multi-task Trainer)", ["--tasks", "mnli"]),
                                                 ("3 kinds: mnli,hellaswag,ccg", ["--tasks", "mnli,hellaswag,ccg"]))):
            seconds = timed_run(common + extra + ["--output_dir", str(tmp / f"run{number}")])
            print(f"{name:<34} {args.steps} steps x {args.batch_size}: {seconds:6.1f} s end to end "
                  f"({samples / seconds:6.1f} samples/s incl. loading and dev evaluation)")


if __name__ == "__main__":
    main()
