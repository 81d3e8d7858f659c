#!/usr/bin/env python
"""Phase 2: train a pretrained multilingual encoder on an English intermediate task, report its English dev
metrics, and save the bare encoder (no head) to <output_dir>/encoder for run_target.py.

    python run_intermediate.py --task mnli --model_name_or_path xlm-roberta-large --output_dir runs/mnli \
        [--data_dir DIR] [any TrainingArguments flag]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tasks/ and utils/ live beside this script

from run_target import print_table  # noqa: E402
from tasks import get_task  # noqa: E402
from tasks.runner import run_task  # noqa: E402
from utils.args import DataArguments, ModelArguments, XTrainingArguments, parse_args, setup_logging, split_list  # noqa: E402


def main(argv=None):
    model_args, data_args, training_args = parse_args(ModelArguments, DataArguments, XTrainingArguments, argv=argv)
    setup_logging(training_args)
    if not data_args.task:
        raise SystemExit("run_intermediate.py: --task is required (e.g. --task mnli)")
    spec = get_task(data_args.task)
    if spec.kind == "retrieval":
        raise SystemExit(f"run_intermediate.py: --task {spec.name} has no training data (use run_retrieval.py)")
    training_args.do_train = True
    document = run_task(spec.name, model_args, data_args, training_args,
                        eval_splits=split_list(data_args.eval_splits, ["validation"]),
                        save_encoder_to=Path(training_args.output_dir) / "encoder", zero_shot=False)
    print_table(document)


if __name__ == "__main__":
    main()
