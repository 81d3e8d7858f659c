#!/usr/bin/env python
"""Phase 3: fine-tune an encoder (e.g. runs/mnli/encoder) with a fresh head on a target task's English
training set, select the checkpoint on the English dev set, and evaluate zero-shot on every language.

    python run_target.py --task xnli --model_name_or_path runs/mnli/encoder --output_dir runs/mnli/xnli \
        [--data_dir DIR] [--languages de,fr] [any TrainingArguments flag]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tasks/ and utils/ live beside this script

from tasks import get_task  # noqa: E402
from tasks.runner import run_task  # noqa: E402
from utils.args import (AugmentArguments, DataArguments, ModelArguments, XTrainingArguments, parse_args,  # noqa: E402
                        setup_logging, split_list)


def main(argv=None):
    model_args, data_args, training_args, augment_args = parse_args(
        ModelArguments, DataArguments, XTrainingArguments, AugmentArguments, argv=argv)
    setup_logging(training_args)
    if not data_args.task:
        raise SystemExit("run_target.py: --task is required (e.g. --task xnli)")
    spec = get_task(data_args.task)
    if not spec.is_target:
        raise SystemExit(f"run_target.py: --task {spec.name} is not a target task (use run_intermediate.py; "
                         f"run_retrieval.py for bucc/tatoeba)")
    if not any(flag.startswith("--do_") for flag in (argv if argv is not None else sys.argv[1:])):
        training_args.do_train = True  # the whole phase by default: train, then evaluate
    document = run_task(spec.name, model_args, data_args, training_args,
                        eval_splits=split_list(data_args.eval_splits, ["test"]), options=(augment_args,))
    print_table(document)


def print_table(document):
    """A plain per-language table of the headline metric on stdout."""
    metric = document["metric"]
    rows = [(lang, split, scores.get(metric)) for lang, splits in document["per_language"].items()
            for split, scores in splits.items()]
    rows += [("avg", split, scores.get(metric)) for split, scores in document["average"].items()]
    print(f"\n{document['task']} ({metric})")
    for lang, split, value in rows:
        print(f"  {lang:>4} {split:<10} {value:6.2f}" if value is not None else f"  {lang:>4} {split:<10}    n/a")


if __name__ == "__main__":
    main()
