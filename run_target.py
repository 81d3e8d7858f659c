#!/usr/bin/env python
"""Phase 3: fine-tune an encoder (e.g. runs/mnli/encoder) with a fresh head on a target task's English
training set, select the checkpoint on the English dev set, and evaluate zero-shot on every language.

    python run_target.py --task xnli --model_name_or_path runs/mnli/encoder --output_dir runs/mnli/xnli \
        [--data_dir DIR] [--languages de,fr] [any TrainingArguments flag]
"""
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # engine/, tasks/ and utils/ live beside this script

from tasks import get_task  # noqa: E402
from tasks.kinds import KIND_OPTIONS  # noqa: E402
from engine.plan import plan_run  # noqa: E402
from engine.preflight import check_run  # noqa: E402
from engine.runner import needs_run, run_task  # noqa: E402
from engine.sources import AUTO, prepare_sources  # noqa: E402
from utils.args import (AugmentArguments, DataArguments, DomainArguments, FewShotArguments,  # noqa: E402
                        InputError, ModelArguments, PeftArguments, RunOptions, XTrainingArguments, cli,
                        input_errors, parse_with_defaults, setup_logging)

GROUPS = (ModelArguments, DataArguments, XTrainingArguments, AugmentArguments, DomainArguments, FewShotArguments,
          PeftArguments, *KIND_OPTIONS)  # the kinds' own options (tasks/kind.py OPTIONS), each a group


def prepare(argv=None, planned=()):
    """Parse argv with the task's recipe as defaults and check everything the run will read (nothing is
    loaded or written); returns run_task's arguments. planned: encoders earlier pipeline stages will write."""
    with input_errors():  # the task's recipe fills in the training flags not given
        parsed, given, recipe = parse_with_defaults(GROUPS, argv, target_recipe)
        (model_args, data_args, training_args, augment_args, domain_args, few_shot_args, peft_args), kinds = \
            parsed[:7], parsed[7:]
        data_args.kind_options = kinds  # each kind's own options (tasks/kind.py OPTIONS)
        spec = get_task(data_args.task)
        options = RunOptions(augment=augment_args, domain=domain_args, few_shot=few_shot_args, peft=peft_args)
    if not any(name.startswith("do_") for name in given):
        training_args.do_train = True  # the whole phase by default: train, then evaluate
    auto = data_args.train_languages == AUTO  # a source language chosen per evaluation language (engine/sources.py)
    plan = plan_run(spec, replace(data_args, train_languages=None) if auto else data_args, options,
                    do_train=training_args.do_train, zero_shot=True)
    if auto:
        return dict(sources=prepare_sources(plan, model_args, data_args, training_args, options,
                                            extra={"recipe": recipe}, planned=planned), training_args=training_args)
    if needs_run(training_args.output_dir, data_args):
        check_run(plan, model_args, data_args, training_args, options, planned=planned)
    return dict(plan=plan, model_args=model_args, data_args=data_args, training_args=training_args,
                options=options, extra={"recipe": recipe}, checked=True)


def target_recipe(given):
    """The recipe of --task, which must be a target task."""
    if not given.get("task"):
        raise InputError("--task is required (e.g. --task xnli)")
    spec = get_task(given["task"])
    if not spec.is_target:
        raise InputError(f"--task {spec.name} is not a target task (use run_intermediate.py; run_retrieval.py "
                         f"for bucc/tatoeba)")
    return spec.recipe


def main(argv=None):
    run = prepare(argv)
    setup_logging(run["training_args"])
    document = run["sources"]() if "sources" in run else run_task(**run)
    print_table(document)
    return document


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
    cli(main, "run_target.py")
