#!/usr/bin/env python
"""Phase 2: train a pretrained multilingual encoder on an English intermediate task, report its English dev
metrics, and save the bare encoder (no head) to <output_dir>/encoder for run_target.py.

    python run_intermediate.py --task mnli --model_name_or_path xlm-roberta-large --output_dir runs/mnli \
        [--data_dir DIR] [any TrainingArguments flag]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tasks/ and utils/ live beside this script

from dataclasses import replace  # noqa: E402

from run_target import print_table  # noqa: E402
from tasks import get_task  # noqa: E402
from tasks.custom import build_custom_task  # noqa: E402
from tasks.multitask import resolve_tasks, run_multitask  # noqa: E402
from tasks.runner import run_task  # noqa: E402
from utils.args import (AugmentArguments, DataArguments, ModelArguments, MultiTaskArguments,  # noqa: E402
                        XTrainingArguments, parse_args, setup_logging, split_list)


def main(argv=None):
    model_args, data_args, training_args, multi_args, augment_args = parse_args(
        ModelArguments, DataArguments, XTrainingArguments, MultiTaskArguments, AugmentArguments, argv=argv)
    setup_logging(training_args)
    training_args.do_train = True
    eval_splits, options = split_list(data_args.eval_splits, ["validation"]), (multi_args, augment_args)
    if multi_args.tasks or multi_args.mlm_corpus:  # several tasks (and/or MLM) sharing one encoder
        if multi_args.tasks and data_args.task:
            raise SystemExit("run_intermediate.py: give --task or --tasks, not both")
        tasks = resolve_tasks(multi_args.tasks or data_args.task or "", data_args, multi_args, training_args.output_dir)
        document = run_multitask(tasks, model_args, data_args, training_args, options, eval_splits)
        for task_document in document.get("per_task", {}).values():
            print_table(task_document)
        return print_table(document)
    if not data_args.task:
        raise SystemExit("run_intermediate.py: --task is required (e.g. --task mnli, or --tasks mnli,squad)")
    if data_args.task == "custom":  # the user's own files (--task_kind, --train_file, ...)
        spec, directory = build_custom_task(multi_args, training_args.output_dir)
        data_args = replace(data_args, data_dir=str(directory))
    else:
        spec = get_task(data_args.task)
    if spec.kind == "retrieval":
        raise SystemExit(f"run_intermediate.py: --task {spec.name} has no training data (use run_retrieval.py)")
    document = run_task(spec, model_args, data_args, training_args, eval_splits=eval_splits, options=options,
                        save_encoder_to=Path(training_args.output_dir) / "encoder", zero_shot=False)
    print_table(document)


if __name__ == "__main__":
    main()
