#!/usr/bin/env python
"""Span-QA post-processing time per 10,000 features: tasks/span_qa.postprocess (numpy over all features)
against a straightforward per-feature Python loop over the n-best start/end candidates. Asserts that both give
identical answers, and prints both times and the speed-up.

    .venv/bin/python benchmarks/bench_qa_postprocess.py [--examples 10000] [--tokenizer PATH] [--repeat 3]
        [--hf_examples PATH]

--hf_examples PATH: a huggingface/transformers checkout (or its examples/ folder, or the folder holding
utils_qa.py); its examples/pytorch/question-answering/utils_qa.py postprocess_qa_predictions, as run_qa.py calls it
(features and examples as datasets), is timed on the same logits too, its answers compared, and its ratio printed.
It is not a dependency.

Data: synthetic examples with contexts of ~120 words, max length 384, doc stride 128, tokenised by
span_qa.preprocess (default tokenizer: the tests' tiny WordPiece tokenizer, built in a second; any HF fast
tokenizer with --tokenizer). Logits: random, padded with -100 past each feature's length, as the Trainer
concatenates batches.
"""
import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks import get_task  # noqa: E402
from tasks import span_qa  # noqa: E402
from utils.args import DataArguments  # noqa: E402

from tests.builders import WORDS, build_tiny_model  # noqa: E402  (the tests' synthetic vocabulary and tiny tokenizer)


def loop_postprocess(start_logits, end_logits, examples, features, n_best, max_answer_length):
    """The usual implementation: for every feature, pair its n-best start and end tokens in Python."""
    by_example = defaultdict(list)
    for i, example_id in enumerate(features["example_id"]):
        by_example[example_id].append(i)
    offset_mapping = features["offset_mapping"]
    predictions = []
    for example_id, context in zip(examples["id"], examples["context"]):
        best = None
        for i in by_example[example_id]:
            offsets = offset_mapping[i]
            starts = np.argsort(start_logits[i])[-1:-n_best - 1:-1]
            ends = np.argsort(end_logits[i])[-1:-n_best - 1:-1]
            for s in starts:
                for e in ends:
                    if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                        continue
                    if e < s or e - s + 1 > max_answer_length:
                        continue
                    score = start_logits[i][s] + end_logits[i][e]
                    if best is None or score > best[0]:
                        best = (score, offsets[s][0], offsets[e][1])
        predictions.append(context[best[1]:best[2]] if best else "")
    return predictions


def synthetic_examples(n, seed=0):
    rng = random.Random(seed)
    words = WORDS
    rows = {"id": [], "context": [], "question": [], "answers": []}
    for i in range(n):
        context = " ".join(rng.choice(words) for _ in range(rng.randint(100, 140))) + "."
        start = rng.randrange(0, len(context) - 20)
        start = context.index(" ", start) + 1
        answer = " ".join(context[start:].split()[:rng.randint(1, 4)])
        rows["id"].append(f"q{i}")
        rows["context"].append(context)
        rows["question"].append(" ".join(rng.choice(words) for _ in range(rng.randint(6, 14))) + "?")
        rows["answers"].append({"text": [answer], "answer_start": [start]})
    return rows


def tiny_tokenizer(directory):
    return str(build_tiny_model(directory))


def load_hf_utils_qa(path):
    """HF's utils_qa.py as a module, from a transformers checkout, its examples/ folder or utils_qa.py's own."""
    import importlib.util
    for candidate in ("utils_qa.py", "pytorch/question-answering/utils_qa.py",
                      "examples/pytorch/question-answering/utils_qa.py"):
        file = Path(path) / candidate
        if file.is_file():
            spec = importlib.util.spec_from_file_location("hf_utils_qa", file)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.tqdm = lambda iterable, **_: iterable  # its progress bar, not its work
            return module, file
    sys.exit(f"--hf_examples {path}: no utils_qa.py there, nor in pytorch/question-answering/ or "
             f"examples/pytorch/question-answering/ (expected a huggingface/transformers checkout)")


def timed(function, repeat):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--tokenizer", default=None, help="HF fast tokenizer (default: the tests' tiny one)")
    parser.add_argument("--repeat", type=int, default=3, help="timings are the best of this many runs")
    parser.add_argument("--hf_examples", default=None, help="a huggingface/transformers checkout: time HF's "
                                                            "utils_qa.postprocess_qa_predictions too")
    args = parser.parse_args()
    hf_utils_qa, hf_file = load_hf_utils_qa(args.hf_examples) if args.hf_examples else (None, None)

    import datasets
    from transformers import AutoTokenizer
    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or tiny_tokenizer(tmp))
        spec, options = get_task("xquad"), span_qa.SpanQAOptions(doc_stride=128)
        data_args = DataArguments(max_seq_length=384, kind_options=(options,))
        examples = datasets.Dataset.from_dict(synthetic_examples(args.examples))
        features = examples.map(span_qa.preprocess(spec, tokenizer, data_args, is_train=False), batched=True,
                                remove_columns=examples.column_names)
    lengths = np.array([len(ids) for ids in features["input_ids"]])
    rng = np.random.default_rng(0)
    start_logits = rng.standard_normal((len(features), 384), dtype=np.float32)
    end_logits = rng.standard_normal((len(features), 384), dtype=np.float32)
    padding = np.arange(384)[None, :] >= lengths[:, None]
    start_logits[padding] = end_logits[padding] = -100.0

    fast_time, records = timed(lambda: span_qa.postprocess(spec, (start_logits, end_logits), examples, features,
                                                           data_args), args.repeat)
    loop_time, loop_answers = timed(lambda: loop_postprocess(start_logits, end_logits, examples, features,
                                                             options.n_best_size, options.max_answer_length), 1)
    answers = [record["prediction"] for record in records]
    differ = sum(a != b for a, b in zip(answers, loop_answers))
    assert differ == 0, f"{differ} of {len(answers)} answers differ between the two implementations"
    per_10k = 10000 / len(features)
    print(f"{len(examples)} examples -> {len(features)} features (max length 384, stride 128, "
          f"mean {lengths.mean():.0f} tokens); identical answers: yes")
    print(f"per-feature Python loop: {loop_time * per_10k:.3f} s per 10,000 features")
    print(f"vectorised (numpy):      {fast_time * per_10k:.3f} s per 10,000 features (best of {args.repeat})")
    print(f"speed-up:                {loop_time / fast_time:.1f}x")
    if hf_utils_qa:
        hf_time, hf_answers = timed(lambda: hf_utils_qa.postprocess_qa_predictions(
            examples, features, (start_logits, end_logits), n_best_size=options.n_best_size,
            max_answer_length=options.max_answer_length), 1)
        differ = sum(record["prediction"] != hf_answers[record["id"]] for record in records)
        print(f"HF utils_qa.postprocess_qa_predictions ({hf_file}): {hf_time * per_10k:.3f} s per 10,000 "
              f"features; answers differing from ours: {differ} of {len(records)}")
        print(f"speed-up over HF's:      {hf_time / fast_time:.1f}x")


if __name__ == "__main__":
    main()
