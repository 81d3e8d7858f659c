#!/usr/bin/env python
"""Preprocessing (examples/s) and training (samples/s) throughput for sentence-pair classification.

Compares padding every batch to --max_seq_length, dynamic padding, and dynamic padding with length-grouped
batches (the default of run_target.py), with the HF Trainer and this project's classification kind.

    python benchmarks/bench_classification.py --model PATH_OR_HUB_ID [--data ../shared/data/xnli_de/train.txt]
        [--steps 30] [--batch_size 16] [--max_seq_length 128]
    python benchmarks/bench_classification.py --model tiny     (a 2-layer model built on the fly)
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import datasets  # noqa: E402
from transformers import Trainer  # noqa: E402

from tasks import classification, get_task  # noqa: E402
from utils.args import DataArguments, ModelArguments, XTrainingArguments  # noqa: E402
from utils.modeling import load_tokenizer, load_with_new_head  # noqa: E402


def load_examples(path):
    if path and Path(path).is_file():
        return datasets.Dataset.from_list(list(classification.xnli_tsv(path)))
    from tests.builders import nli_rows
    return datasets.Dataset.from_list(nli_rows(2000, 0))


def preprocessing_throughput(examples, tokenizer, data_args):
    function = classification.preprocess(get_task("xnli"), tokenizer, data_args, True)
    start = time.perf_counter()
    features = examples.map(function, batched=True, remove_columns=examples.column_names, load_from_cache_file=False)
    return features, len(examples) / (time.perf_counter() - start)


def training_throughput(model_args, features, tokenizer, batch_size, steps, sampling):
    with tempfile.TemporaryDirectory() as out:
        args = XTrainingArguments(output_dir=out, per_device_train_batch_size=batch_size, max_steps=steps,
                                  eval_strategy="no", save_strategy="no", load_best_model_at_end=False,
                                  train_sampling_strategy=sampling, logging_steps=10 ** 6, use_cpu=True,
                                  dataloader_num_workers=0, learning_rate=1e-5, warmup_steps=0)
        model = load_with_new_head(classification.model_class(None, None), model_args, num_labels=3)
        trainer = Trainer(model=model, args=args, train_dataset=features, processing_class=tokenizer,
                          data_collator=classification.data_collator(None, tokenizer, None))
        start = time.perf_counter()
        trainer.train()
        return steps * batch_size / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="model path or hub id, or 'tiny'")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/xnli_de/train.txt"))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--max_seq_length", type=int, default=128)
    args = parser.parse_args()
    model = args.model
    if model == "tiny":
        from tests.builders import build_tiny_model
        model = str(build_tiny_model(tempfile.mkdtemp()))
    model_args = ModelArguments(model_name_or_path=model)
    tokenizer = load_tokenizer(model_args)
    examples = load_examples(args.data)
    print(f"model {args.model}; {len(examples)} examples; batch {args.batch_size}; {args.steps} steps")
    for label, pad, sampling in (("pad to max length", True, "random"), ("dynamic padding", False, "random"),
                                 ("dynamic + length grouping", False, "group_by_length")):
        data_args = DataArguments(max_seq_length=args.max_seq_length, pad_to_max_length=pad)
        features, prep = preprocessing_throughput(examples, tokenizer, data_args)
        train = training_throughput(model_args, features, tokenizer, args.batch_size, args.steps, sampling)
        print(f"{label:<28} preprocessing {prep:9.0f} examples/s   training {train:7.1f} samples/s")


if __name__ == "__main__":
    main()
