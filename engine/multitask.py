"""Multi-task intermediate training (run_intermediate.py --tasks mnli,squad,... | all, --mlm_corpus), and MLM alone
(--task mlm --mlm_corpus FILE: a language adapter with --peft lora).

Each task's model is built exactly as a single-task run builds it (its kind's model_class, loaded by
utils/modeling.load_with_new_head); utils/multitask.MultiTaskModel then gives them one shared encoder, so every
head runs its own forward and loss unchanged, and `model.base_model` is that encoder: save_encoder writes what a
single-task run writes. Writes metrics.json (each task's English dev metrics under "per_task", their mean as
"average"), predictions/<task>/validation-en.jsonl, log_history.json (with per-task training losses), encoder/.
An MLM-only run has no dev set: it trains its steps without checkpoint selection, and its metrics.json gives the
MLM training loss, first and last logged ("mlm_loss").
"""
import logging
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable

from transformers import IntervalStrategy, set_seed

from engine.lifecycle import Run
from engine.plan import plan_run
from engine.preflight import check_multitask
from engine.runner import TaskData, build_model, evaluate_language, needs_run
from engine.training_set import training_examples
from tasks import INTERMEDIATE_TASKS, TASKS, get_task, mlm
from tasks.kinds import kind_of
from tasks.kind import TrainedKind
from tasks.custom import build_custom_task
from utils.cost import CostMeter
from utils import device
from utils.lifecycle import resume_checkpoint
from utils.modeling import head_record, load_tokenizer, save_encoder
from utils.peft_setup import peft_record
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


def build_entry(data, train_examples, selection_limit=None, peft=None):
    """Tokenise one task's training set (and English dev set, its first selection_limit examples) and build its
    model; data: a TaggedTaskData; peft: the run's utils.args.PeftArguments (LoRA on the encoder)."""
    spec, model = data.spec, build_model(data, train_examples, peft)
    entry = TaskEntry(spec.name, spec, data.kind, data, model, data.features(train_examples, True))
    if spec.kind != "mlm":
        entry.dev_examples = data.examples("validation", "en", selection_limit)
        entry.dev_features = data.features(entry.dev_examples, False)
        entry.selection = partial(_selection_metrics, entry)
    return entry


def _selection_metrics(entry, prediction):
    records = entry.kind.postprocess(entry.spec, prediction.predictions, entry.dev_examples, entry.dev_features,
                                     entry.data.data_args, labels=entry.data.labels)
    return entry.kind.compute_metrics(entry.spec, records, "en")


# ---- the run: resolve the tasks, build entries, train, evaluate every task's English dev set ----------------

def resolve_tasks(names: str, data_args, multi, output_dir) -> list:
    """[(training spec, its data arguments)] for --tasks: names, 'all' (the paper's nine), 'custom'; 'mlm' is the
    --mlm_corpus objective (added by load_entries), no task of its own: --task mlm alone resolves to none."""
    wanted = list(INTERMEDIATE_TASKS) if names.strip() == "all" else [n.strip() for n in names.split(",") if n.strip()]
    trainable = sorted(name for name, spec in TASKS.items() if isinstance(kind_of(spec), TrainedKind))
    resolved = {}
    for name in wanted:
        if name == "mlm" and multi.mlm_corpus:
            continue
        if name == "custom":
            spec, directory = build_custom_task(multi, output_dir)
            resolved[name] = (spec, replace(data_args, data_dir=str(directory)))
            continue
        if name not in trainable:
            raise ValueError(f"--tasks: unknown or untrainable task {name!r}; known: all, custom, {', '.join(trainable)}")
        spec = get_task(name)
        spec = get_task(spec.train_task) if spec.is_target else spec  # a target trains on its English task
        resolved.setdefault(spec.name, (spec, data_args))
    if not resolved and not multi.mlm_corpus:
        raise ValueError("--tasks: no task given (e.g. --tasks mnli,squad or --tasks all)")
    return list(resolved.values())


def load_entries(plans, data_args, tokenizer, model_args, training_args, options, multi):
    """One TaskEntry per task of plans [(its run plan, its data_args)], plus the MLM corpus when --mlm_corpus is
    given (read with data_args, the run's)."""
    entries = []
    for plan, data_args in plans:
        data = TaggedTaskData(len(entries), plan.train_task, tokenizer, data_args, model_args, training_args)
        examples = training_examples(data, data_args.max_train_samples, options, training_args.seed)
        entries.append(build_entry(data, examples, plan.selection_limit, options.peft))
    if multi.mlm_corpus:
        data = TaggedTaskData(len(entries), mlm.SPEC, tokenizer, data_args, model_args, training_args)
        corpus = mlm.load_corpus(multi.mlm_corpus, model_args.cache_dir)
        if data_args.max_train_samples:
            corpus = corpus.select(range(min(data_args.max_train_samples, len(corpus))))
        entries.append(build_entry(data, corpus, peft=options.peft))
    return entries


def sampling_probabilities(entries, multi) -> dict:
    sizes = {entry.name: len(entry.train_features) for entry in entries}
    fixed = {"mlm": multi.mlm_weight} if multi.mlm_corpus and multi.mlm_weight else None
    probabilities = task_probabilities(sizes, multi.sampling_strategy, multi.sampling_temperature,
                                       multi.task_examples_cap, fixed)
    logger.info("Task sampling (%s): %s", multi.sampling_strategy,
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


def plan_tasks(task_list, options) -> list:
    """[(run plan, data_args)] of each task of task_list [(spec, data_args)]: trained, its English dev set selecting
    the checkpoint and evaluated (engine/plan.py)."""
    return [(plan_run(spec, data_args, options, do_train=True, zero_shot=False, selection=["en"]), data_args)
            for spec, data_args in task_list]


def run_multitask(plans, model_args, data_args, training_args, options, extra=None, checked=False):
    """Train the tasks of plans [(run plan, data_args)] (plan_tasks) together; returns the metrics document.
    options: the run's utils.args.RunOptions (multi-task and augmentation arguments); extra: more run_config.json
    fields."""
    if needs_run(training_args.output_dir, data_args) and not checked:
        check_multitask(plans, model_args, training_args, options)
    return MultiTaskRun(plans, model_args, data_args, training_args, options, extra or {})()


class MultiTaskRun(Run):
    """Several tasks (and MLM) trained with one shared encoder, each task's English dev set evaluated
    (engine/lifecycle.py's order)."""

    def __init__(self, plans, model_args, data_args, training_args, options, extra):
        super().__init__(training_args.output_dir, overwrite=data_args.overwrite,
                         main=training_args.process_index == 0)
        self.plans, self.model_args, self.data_args, self.training_args = plans, model_args, data_args, training_args
        self.options, self.extra, self.keep_checkpoints = options, extra, data_args.keep_checkpoints
        self.multi = options.multitask

    def start(self):
        model_args, training_args = self.model_args, self.training_args
        if not self.plans:  # MLM alone: no dev set to evaluate or select on
            training_args.eval_strategy, training_args.load_best_model_at_end = IntervalStrategy.NO, False
            logger.info("MLM alone: no dev set; training runs its steps and keeps the last (no checkpoint selection)")
        set_seed(training_args.seed)
        self.tokenizer = load_tokenizer(model_args)
        settings = device.settings(training_args, model_args)
        logger.info(device.summary(settings))
        return run_config(model_args, self.data_args, training_args, *self.options.groups(),
                          *self.data_args.kind_options, task="multitask",
                          intermediate_tasks=[plan.task.name for plan, _ in self.plans] or ["mlm"],
                          base_model=model_args.model_name_or_path, device_settings=settings, **self.extra)

    def load(self):
        self.entries = load_entries(self.plans, self.data_args, self.tokenizer, self.model_args, self.training_args, self.options,
                                    self.multi)
        self.probabilities = sampling_probabilities(self.entries, self.multi)
        self.trainer = make_trainer(self.entries, self.probabilities, self.tokenizer, self.training_args)
        self.meter = CostMeter(self.trainer.model, self.trainer)
        return {"heads": {entry.name: head_record(entry.model) for entry in self.entries},  # transformers' or ours
                "peft": peft_record(self.trainer.model, self.model_args)}  # LoRA or full, trainable parameters

    def train(self):
        trainer = self.trainer
        trainer.train(resume_from_checkpoint=resume_checkpoint(self.out, self.main))
        if trainer.is_world_process_zero():
            save_encoder(trainer.model, self.tokenizer, self.out / "encoder")
            write_json_atomic(self.out / "log_history.json", trainer.state.log_history)

    def evaluate(self):
        if not self.plans:
            return mlm_document(self.trainer.state.log_history)
        per_task, eval_splits, trainer = {}, self.plans[0][0].eval_splits, self.trainer
        for entry in (entry for entry in self.entries if entry.selection is not None):
            with trainer.task(entry, with_metrics=False):
                scores = {split: evaluate_language(trainer, entry.data, split, "en", self.out,
                                                   self.data_args.max_eval_samples) for split in eval_splits}
            per_task[entry.name] = metrics_document(entry.name, entry.spec.metric, {"en": scores},
                                                    selection_metric=entry.spec.selection_metric)
        return summary_document(per_task, eval_splits, self.probabilities)


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


def mlm_document(log_history):
    """metrics.json of an MLM-only run: no dev set; the MLM training loss, first and last logged (loss_mlm)."""
    losses = [(entry["step"], entry["loss_mlm"]) for entry in log_history if "loss_mlm" in entry]
    loss = {"first": losses[0][1], "last": losses[-1][1], "first_step": losses[0][0], "last_step": losses[-1][0]} \
        if losses else None
    return metrics_document("mlm", "loss_mlm", {}, mlm_loss=loss)
