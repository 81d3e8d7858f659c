#!/usr/bin/env python
"""Phase 2: train a pretrained multilingual encoder on an English intermediate task, report its English dev
metrics, and save the bare encoder (no head) to <output_dir>/encoder for run_target.py.

    python run_intermediate.py --task mnli --model_name_or_path xlm-roberta-large --output_dir runs/mnli \
        [--data_dir DIR] [any TrainingArguments flag]

A language adapter (masked language modelling on one language's text, LoRA; run_target.py --language_adapters):

    python run_intermediate.py --task mlm --mlm_corpus de.txt --mlm_language de --peft lora \
        --model_name_or_path xlm-roberta-large --output_dir runs/lang/de
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # engine/, tasks/ and utils/ live beside this script

from dataclasses import replace  # noqa: E402

from run_target import print_table  # noqa: E402
from tasks import get_task, mlm  # noqa: E402
from tasks.kinds import KIND_OPTIONS, kind_of  # noqa: E402
from tasks.custom import build_custom_task  # noqa: E402
from engine.multitask import plan_tasks, resolve_tasks, run_multitask  # noqa: E402
from engine.plan import plan_run  # noqa: E402
from engine.preflight import check_multitask, check_run  # noqa: E402
from engine.runner import needs_run, run_task  # noqa: E402
from tasks.kind import TrainedKind  # noqa: E402
from tasks.spec import Recipe  # noqa: E402
from utils.args import (AugmentArguments, DataArguments, InputError, ModelArguments, MultiTaskArguments,  # noqa: E402
                        PeftArguments, RunOptions, XTrainingArguments, cli, input_errors, parse_with_defaults,
                        setup_logging)

GROUPS = (ModelArguments, DataArguments, XTrainingArguments, MultiTaskArguments, AugmentArguments, PeftArguments,
          *KIND_OPTIONS)  # the kinds' own options (tasks/kind.py OPTIONS), each a group


def prepare(argv=None, planned=()):
    """Parse argv with the task's recipe as defaults (multi-task: the default Recipe) and check everything the run
    will read; returns (run function, its keyword arguments). planned: encoders earlier stages will write."""
    with input_errors():  # the task's recipe fills in the training flags not given
        parsed, given, record = parse_with_defaults(GROUPS, argv, intermediate_recipe)
        (model_args, data_args, training_args, multi_args, augment_args, peft_args), kinds = parsed[:6], parsed[6:]
        data_args.kind_options = kinds  # each kind's own options (tasks/kind.py OPTIONS)
        task, several = data_args.task, is_multitask(given)
        training_args.do_train = True
        options = RunOptions(multitask=multi_args, augment=augment_args, peft=peft_args)
        out = training_args.output_dir
        if several:
            plans = plan_tasks(resolve_tasks(multi_args.tasks or task, data_args, multi_args, out), options)
            if needs_run(out, data_args):
                check_multitask(plans, model_args, training_args, options, planned)
            return run_multitask, dict(plans=plans, model_args=model_args, data_args=data_args,
                                       training_args=training_args, options=options, extra={"recipe": record},
                                       checked=True)
        if task == "custom":  # the user's own files (--task_kind, --train_file, ...)
            spec, directory = build_custom_task(multi_args, out)
            data_args = replace(data_args, data_dir=str(directory))
        else:
            spec = get_task(task)
        if not isinstance(kind_of(spec), TrainedKind):
            raise InputError(f"--task {spec.name} has no training data (use {kind_of(spec).script})")
        plan = plan_run(spec, data_args, options, do_train=True, zero_shot=False)
    if needs_run(out, data_args):
        check_run(plan, model_args, data_args, training_args, options, planned=planned)
    return run_task, dict(plan=plan, model_args=model_args, data_args=data_args, training_args=training_args,
                          options=options, save_encoder_to=Path(out) / "encoder", extra={"recipe": record},
                          checked=True)


def is_multitask(given) -> bool:
    """Several tasks (and/or MLM) sharing one encoder: --tasks, or --mlm_corpus."""
    return bool(given.get("tasks") or given.get("mlm_corpus"))


def intermediate_recipe(given):
    """The recipe of --task (multi-task and custom tasks: the default Recipe)."""
    task, tasks = given.get("task"), given.get("tasks")
    if tasks and task:
        raise InputError("give --task or --tasks, not both")
    if not (task or tasks):
        raise InputError("--task is required (e.g. --task mnli, or --tasks mnli,squad)")
    if "mlm" in (task, *(tasks or "").split(",")) and not given.get("mlm_corpus"):
        raise InputError("--task mlm: --mlm_corpus is required (the text to train on, one sentence per line)")
    if mlm.alone(given):  # its own recipe (no dev set)
        return mlm.SPEC.recipe
    return Recipe() if is_multitask(given) or task == "custom" else get_task(task).recipe


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
