"""Choosing the source language (run_target.py --train_languages auto): for each evaluation language, the training
language nearest to it by typological distance, among the languages the training task has training data in (the
evaluation language itself left out: the setting stays cross-lingual transfer).

The distance is utils/typology.py's transfer_distance: the mean of URIEL's syntactic, genetic and geographic
distances (those URIEL can compute for the pair); ties go to English, then to the code. Each
source is one training run (`<output_dir>/sources/<source>`, a complete target run of its languages); the parent
run merges their scores and records every choice with its distance and English's.
"""
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from engine.lifecycle import Run
from engine.plan import plan_run
from engine.preflight import check_run
from engine.runner import needs_run, provenance, run_task
from engine.training_set import has_language_configs
from utils.args import InputError
from utils.data import local_path
from utils.results import metrics_document, run_config
from utils.typology import transfer_distance

logger = logging.getLogger(__name__)

AUTO = "auto"


@dataclass(frozen=True)
class Choice:
    source: str
    distance: float
    english_distance: float | None


def training_candidates(train_spec, data_args) -> list[str]:
    """The languages the training task has training data in: local train-<lang>.jsonl files, else the hub copy's
    per-language configs that have a training split (English always, for a hub task)."""
    if data_args.data_dir:
        folder = Path(data_args.data_dir) / (train_spec.data_task or train_spec.name)
        return sorted(path.name[len("train-"):-len(".jsonl")] for path in folder.glob("train-*.jsonl"))
    if not has_language_configs(train_spec):
        return ["en"]
    return [lang for lang in dict.fromkeys(["en", *train_spec.languages])
            if lang not in train_spec.hub_missing and train_spec.hub_has_split("train", lang)]


def choose_sources(train_spec, languages, data_args) -> dict:
    """{evaluation language: Choice} (see the module's docstring)."""
    candidates = training_candidates(train_spec, data_args)
    choices = {}
    for lang in languages:
        ranked = sorted((value, code != "en", code) for code in candidates if code != lang
                        for value in [transfer_distance(lang, code)] if value is not None)
        if not ranked:
            example = local_path("DIR", train_spec.name, "train", "xx")
            raise InputError(f"--train_languages auto: no candidate source language for {lang} (training data in "
                             f"{', '.join(candidates) or 'no language'}; URIEL distances needed); pass "
                             f"--train_languages or --data_dir with {example}")
        value, _, source = ranked[0]
        english = next((v for v, _, code in ranked if code == "en"), None)
        choices[lang] = Choice(source, value, english)
        logger.info("%s: source %s (distance %.3f; English %s)", lang, source, value,
                    "n/a" if english is None else f"{english:.3f}")
    return choices


def source_runs(plan, model_args, data_args, training_args, options, choices, planned=()) -> list:
    """[(source, its run's arguments)]: one target run per chosen source, of the languages that chose it, each
    checked now (before anything trains); planned: encoders earlier pipeline stages will write."""
    runs = []
    for source in sorted({choice.source for choice in choices.values()}):
        langs = [lang for lang, choice in choices.items() if choice.source == source]
        args = replace(data_args, train_languages=source, languages=",".join(langs))
        training = replace(training_args, output_dir=str(Path(training_args.output_dir) / "sources" / source))
        sub_plan = plan_run(plan.task, args, options, do_train=training_args.do_train, zero_shot=True)
        if needs_run(training.output_dir, args):
            check_run(sub_plan, model_args, args, training, options, planned=planned)
        runs.append((source, dict(plan=sub_plan, model_args=model_args, data_args=args, training_args=training,
                                  options=options)))
    return runs


class SourceChoiceRun(Run):
    """--train_languages auto: the per-source runs (engine/runner.py TaskRun each, skipped when finished), their
    scores merged into one metrics.json with each language's source."""

    def __init__(self, plan, runs, choices, config, out, data_args, main):
        super().__init__(out, overwrite=data_args.overwrite, main=main)
        self.plan, self.runs, self.choices, self.config = plan, runs, choices, config
        self.documents = {}

    def start(self):
        return self.config

    def load(self):
        return {"sources": {lang: vars(choice) for lang, choice in self.choices.items()}}

    def train(self):
        for source, arguments in self.runs:
            self.documents[source] = run_task(**arguments, checked=True)

    def evaluate(self):
        per_language = {}
        for source, document in self.documents.items():
            per_language.update(document["per_language"])
        return metrics_document(self.plan.task.name, self.plan.task.metric, per_language,
                                sources={lang: vars(choice) for lang, choice in self.choices.items()})


def prepare_sources(plan, model_args, data_args, training_args, options, extra=None, planned=()) -> SourceChoiceRun:
    """run_target.py --train_languages auto: the sources chosen and every source's run checked (nothing trained)."""
    choices = choose_sources(plan.train_task, plan.languages, data_args)
    runs = source_runs(plan, model_args, data_args, training_args, options, choices, planned)
    config = run_config(model_args, data_args, training_args, *options.groups(), task=plan.task.name,
                        train_task=plan.train_task.name, **provenance(model_args.model_name_or_path), **(extra or {}))
    return SourceChoiceRun(plan, runs, choices, config, training_args.output_dir, data_args,
                           training_args.process_index == 0)
