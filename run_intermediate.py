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
from tasks import get_task, kind_of  # noqa: E402
from tasks.custom import build_custom_task  # noqa: E402
from tasks.kind import TrainedKind  # noqa: E402
from tasks.multitask import resolve_tasks, run_multitask  # noqa: E402
from tasks.preflight import check_multitask, check_run  # noqa: E402
from tasks.runner import needs_run, run_task  # noqa: E402
from tasks.spec import Recipe  # noqa: E402
from utils.args import (AugmentArguments, DataArguments, InputError, ModelArguments, MultiTaskArguments,  # noqa: E402
                        XTrainingArguments, cli, given_flags, input_errors, parse_args, recipe_arguments,
                        setup_logging, split_list)

GROUPS = (ModelArguments, DataArguments, XTrainingArguments, MultiTaskArguments, AugmentArguments)


def prepare(argv=None, planned=()):
    """Parse argv with the task's recipe as defaults (multi-task: the default Recipe) and check everything the run
    will read; returns (run function, its keyword arguments). planned: encoders earlier stages will write."""
    argv = sys.argv[1:] if argv is None else argv
    with input_errors():
        given = given_flags(argv)  # the task's recipe fills in the training flags not given
        task, tasks = given.get("task"), given.get("tasks")
        if tasks and task:
            raise InputError("give --task or --tasks, not both")
        if not (task or tasks) or True in (task, tasks):
            raise InputError("--task is required (e.g. --task mnli, or --tasks mnli,squad)")
        several = bool(tasks or given.get("mlm_corpus"))  # several tasks (and/or MLM) sharing one encoder
        recipe = Recipe() if several or task == "custom" else get_task(task).recipe
        full_argv, record = recipe_arguments(recipe, argv)
        model_args, data_args, training_args, multi_args, augment_args = parse_args(*GROUPS, argv=full_argv)
        training_args.do_train = True
        eval_splits, options = split_list(data_args.eval_splits, ["validation"]), (multi_args, augment_args)
        out = training_args.output_dir
        if several:
            tasks = resolve_tasks(multi_args.tasks or task, data_args, multi_args, out)
            if needs_run(out, data_args):
                check_multitask(tasks, model_args, training_args, options, eval_splits, planned)
            return run_multitask, dict(task_list=tasks, model_args=model_args, data_args=data_args,
                                       training_args=training_args, options=options, eval_splits=eval_splits,
                                       extra={"recipe": record}, checked=True)
        if task == "custom":  # the user's own files (--task_kind, --train_file, ...)
            spec, directory = build_custom_task(multi_args, out)
            data_args = replace(data_args, data_dir=str(directory))
        else:
            spec = get_task(task)
        if not isinstance(kind_of(spec), TrainedKind):
            raise InputError(f"--task {spec.name} has no training data (use {kind_of(spec).script})")
    if needs_run(out, data_args):
        check_run(spec, model_args, data_args, training_args, options, eval_splits=eval_splits, zero_shot=False,
                  planned=planned)
    return run_task, dict(task_name=spec, model_args=model_args, data_args=data_args, training_args=training_args,
                          eval_splits=eval_splits, options=options, save_encoder_to=Path(out) / "encoder",
                          zero_shot=False, extra={"recipe": record}, checked=True)


def main(argv=None):
    run, kwargs = prepare(argv)
    setup_logging(kwargs["training_args"])
    document = run(**kwargs)
    for task_document in document.get("per_task", {}).values():
        print_table(task_document)
    print_table(document)
    return document


if __name__ == "__main__":
    cli(main, "run_intermediate.py")
