"""Multi-task intermediate training (run_intermediate.py --tasks mnli,squad,... | all, --mlm_corpus).

Each task's model is built exactly as a single-task run builds it (its kind's model_class, loaded by
utils/modeling.load_with_new_head); utils/multitask.MultiTaskModel then gives them one shared encoder, so every
head runs its own forward and loss unchanged, and `model.base_model` is that encoder: save_encoder writes what a
single-task run writes. Writes metrics.json (each task's English dev metrics under "per_task", their mean as
"average"), predictions/<task>/validation-en.jsonl, log_history.json (with per-task training losses), encoder/.
"""
import logging
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

from transformers import set_seed

from tasks import INTERMEDIATE_TASKS, TASKS, get_task, kind_of, mlm
from tasks.kind import TrainedKind
from tasks.custom import build_custom_task
from tasks.preflight import check_multitask
from tasks.runner import TaskData, _labels, evaluate_language, needs_run, selection_limit
from tasks.training_set import training_examples
from utils.cost import CostMeter
from utils import device
from utils.lifecycle import finish_run, resume_checkpoint, run_once
from utils.modeling import head_record, load_tokenizer, load_with_new_head, save_encoder
from utils.multitask import MultiTaskCollator, MultiTaskDataset, MultiTaskModel, MultiTaskTrainer
from utils.results import metrics_document, run_config, write_json_atomic
from utils.trainer import selection_callbacks
from utils.sampling import task_probabilities

logger = logging.getLogger(__name__)


@dataclass
class TaskEntry:
    """One task of a multi-task run: its spec, data, head and (supervised tasks) dev-set selection metrics."""
    name: str
    spec: Any
    kind: Any
    data: Any
    model: Any
    train_features: Any
    dev_examples: Any = None
    dev_features: Any = None
    selection: Callable | None = None   # EvalPrediction -> metrics of the English dev set; None for MLM


class TaggedTaskData(TaskData):
    """TaskData whose features carry the task's index, which routes their batches to the task's head."""

    def __init__(self, task_id, *args):
        super().__init__(*args)
        self.task_id = task_id

    def features(self, examples, is_train):
        features = super().features(examples, is_train)
        return features.add_column("task_id", [self.task_id] * len(features))


def task_model(spec, kind, train_examples, model_args):
    """(spec with its labels, model): the kind's model class with a new head, labels as run_task reads them."""
    labels = _labels(spec, kind, train_examples, model_args)
    if labels and spec.labels is None:
        spec = replace(spec, labels=tuple(labels))
    kwargs = {"num_labels": len(labels), "id2label": dict(enumerate(labels)),
              "label2id": {n: i for i, n in enumerate(labels)}} if labels else {}
    return spec, load_with_new_head(kind.model_class(spec), model_args, **kwargs)


def build_entry(data, train_examples, model_args):
    """Tokenise one task's training set (and English dev set) and build its model; data: a TaggedTaskData."""
    spec, model = task_model(data.spec, data.kind, train_examples, model_args)
    data.spec = spec
    entry = TaskEntry(spec.name, spec, data.kind, data, model, data.features(train_examples, True))
    if spec.kind != "mlm":
        entry.dev_examples = data.examples("validation", "en", selection_limit(data.data_args))
        entry.dev_features = data.features(entry.dev_examples, False)
        entry.selection = partial(_selection_metrics, entry)
    return entry


def _selection_metrics(entry, prediction):
    records = entry.kind.postprocess(entry.spec, prediction.predictions, entry.dev_examples, entry.dev_features,
                                     entry.data.data_args)
    return entry.kind.compute_metrics(entry.spec, records, "en")


# ---- the run: resolve the tasks, build entries, train, evaluate every task's English dev set ----------------

def resolve_tasks(names: str, data_args, options, output_dir) -> list:
    """[(training spec, its data arguments)] for --tasks: names, 'all' (the paper's nine), 'custom'."""
    wanted = list(INTERMEDIATE_TASKS) if names.strip() == "all" else [n.strip() for n in names.split(",") if n.strip()]
    trainable = sorted(name for name, spec in TASKS.items() if isinstance(kind_of(spec), TrainedKind))
    resolved = {}
    for name in wanted:
        if name == "custom":
            spec, directory = build_custom_task(options, output_dir)
            resolved[name] = (spec, replace(data_args, data_dir=str(directory)))
            continue
        if name not in trainable:
            raise ValueError(f"--tasks: unknown or untrainable task {name!r}; known: all, custom, {', '.join(trainable)}")
        spec = get_task(name)
        spec = get_task(spec.train_task) if spec.is_target else spec  # a target trains on its English task
        resolved.setdefault(spec.name, (spec, data_args))
    if not resolved:
        raise ValueError("--tasks: no task given (e.g. --tasks mnli,squad or --tasks all)")
    return list(resolved.values())


def load_entries(task_list, tokenizer, model_args, training_args, options, multi):
    """One TaskEntry per task of task_list [(spec, data_args)], plus the MLM corpus when --mlm_corpus is given."""
    entries = []
    for spec, data_args in task_list:
        data = TaggedTaskData(len(entries), spec, tokenizer, data_args, model_args, training_args)
        examples = training_examples(data, data_args.max_train_samples, options, training_args.seed)
        entries.append(build_entry(data, examples, model_args))
    if multi.mlm_corpus:
        data_args = task_list[0][1]
        data = TaggedTaskData(len(entries), mlm.SPEC, tokenizer, data_args, model_args, training_args)
        corpus = mlm.load_corpus(multi.mlm_corpus, model_args.cache_dir)
        if data_args.max_train_samples:
            corpus = corpus.select(range(min(data_args.max_train_samples, len(corpus))))
        entries.append(build_entry(data, corpus, model_args))
    return entries


def sampling_probabilities(entries, options) -> dict:
    sizes = {entry.name: len(entry.train_features) for entry in entries}
    fixed = {"mlm": options.mlm_weight} if options.mlm_corpus and options.mlm_weight else None
    probabilities = task_probabilities(sizes, options.sampling_strategy, options.sampling_temperature,
                                       options.task_examples_cap, fixed)
    logger.info("Task sampling (%s): %s", options.sampling_strategy,
                ", ".join(f"{n}: {sizes[n]} features, p={p:.3f}" for n, p in probabilities.items()))
    return probabilities


def make_trainer(entries, probabilities, tokenizer, training_args):
    """A MultiTaskTrainer over the entries; checkpoints selected on "average" unless --metric_for_best_model."""
    if training_args.metric_for_best_model == "task":
        training_args.metric_for_best_model = "average"
    collators = [entry.kind.data_collator(entry.spec, tokenizer, entry.data.data_args) for entry in entries]
    return MultiTaskTrainer(model=MultiTaskModel({entry.name: entry.model for entry in entries}), args=training_args,
                            processing_class=tokenizer,
                            train_dataset=MultiTaskDataset([entry.train_features for entry in entries]),
                            eval_dataset={e.name: e.dev_features for e in entries if e.selection is not None},
                            data_collator=MultiTaskCollator(collators), entries=entries,
                            probabilities=[probabilities[entry.name] for entry in entries],
                            callbacks=selection_callbacks(training_args))


def run_multitask(task_list, model_args, data_args, training_args, options, eval_splits=("validation",), extra=None,
                  checked=False):
    """Train the tasks of task_list [(spec, data_args)] together; returns the metrics document.
    options: the argument dataclasses of the run (MultiTaskArguments, AugmentArguments); extra: more
    run_config.json fields."""

    def body():
        started, out = time.time(), Path(training_args.output_dir)
        set_seed(training_args.seed)
        tokenizer = load_tokenizer(model_args)
        multi = next(group for group in options if hasattr(group, "mlm_corpus"))
        settings = device.settings(training_args, model_args)
        logger.info(device.summary(settings))
        config = run_config(model_args, data_args, training_args, *options, task="multitask",
                            intermediate_tasks=[spec.name for spec, _ in task_list],
                            base_model=model_args.model_name_or_path, device_settings=settings, **(extra or {}))
        if training_args.process_index == 0:
            write_json_atomic(out / "run_config.json", config)
        entries = load_entries(task_list, tokenizer, model_args, training_args, options, multi)
        config["heads"] = {entry.name: head_record(entry.model) for entry in entries}  # transformers' or ours
        probabilities = sampling_probabilities(entries, multi)
        trainer = make_trainer(entries, probabilities, tokenizer, training_args)
        meter = CostMeter(trainer.model, trainer)
        trainer.train(resume_from_checkpoint=resume_checkpoint(out, training_args.process_index == 0))
        if trainer.is_world_process_zero():
            save_encoder(trainer.model, tokenizer, out / "encoder")
            write_json_atomic(out / "log_history.json", trainer.state.log_history)
        per_task = {}
        for entry in (entry for entry in entries if entry.selection is not None):
            with trainer.task(entry, with_metrics=False):
                scores = {split: evaluate_language(trainer, entry.data, split, "en", out, data_args.max_eval_samples)
                          for split in eval_splits}
            per_task[entry.name] = metrics_document(entry.name, entry.spec.metric, {"en": scores},
                                                    selection_metric=entry.spec.selection_metric)
        document = summary_document(per_task, eval_splits, probabilities)
        finish_run(out, document, config, started, data_args.keep_checkpoints, trainer.is_world_process_zero(),
                   meter=meter)
        return document

    out = Path(training_args.output_dir)
    if needs_run(out, data_args) and not checked:
        check_multitask(task_list, model_args, training_args, options, eval_splits)
    return run_once(out, body, overwrite=data_args.overwrite, main=training_args.process_index == 0)


def summary_document(per_task, eval_splits, probabilities):
    """metrics.json of a multi-task run: per split, each task's selection metric as <task>_<metric> (QA: avg) and
    their mean ("average", the checkpoint-selection metric); each task's full document under "per_task"."""
    scores = {}
    for split in eval_splits:
        main = {f"{name}_{metric}": doc["per_language"]["en"][split][metric]
                for name, doc in per_task.items() for metric in [doc["selection_metric"]]}
        scores[split] = {**main, "average": sum(main.values()) / len(main)}
    return metrics_document("multitask", "average", {"en": scores}, tasks=list(per_task), per_task=per_task,
                            sampling_probabilities=probabilities)
