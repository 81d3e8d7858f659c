"""The engine behind run_intermediate.py and run_target.py: train one task with the HF Trainer, select the
checkpoint on the English dev set, evaluate every language, and write the run's outputs (DESIGN.md)."""
import logging
import time
from dataclasses import replace
from pathlib import Path

import datasets
from transformers import set_seed

from tasks import get_task, kind_of, resolve_languages
from tasks.training_set import training_examples, training_languages
from tasks.preflight import check_run, extra_eval_plan
from utils.cost import CostMeter
from utils.caching import cache_lock, features_fingerprint
from utils.data import load_extra_set, load_rows, read_jsonl
from utils import device
from utils.lifecycle import finish_run, resume_checkpoint, run_once
from utils.modeling import (checkpoint_head_labels, head_labels, head_record, load_tokenizer, load_with_new_head,
                            save_encoder)
from utils.results import is_done, metrics_document, read_json, run_config, write_json_atomic, write_jsonl_atomic
from utils.trainer import Trainer, selection_callbacks

logger = logging.getLogger(__name__)


class TaskData:
    """Loads and tokenises the splits of one task (cached by datasets' fingerprinting)."""

    def __init__(self, spec, tokenizer, data_args, model_args, training_args):
        self.spec, self.kind, self.tokenizer = spec, kind_of(spec), tokenizer
        self.data_args, self.model_args, self.training_args = data_args, model_args, training_args

    def examples(self, split, lang, limit=None):
        with self.training_args.main_process_first(desc=f"loading {self.spec.name} {split}-{lang}"):
            dataset = load_rows(self.spec, split, lang, self.data_args, self.kind, self.model_args.cache_dir)
        return dataset.select(range(min(limit, len(dataset)))) if limit else dataset

    def features(self, examples, is_train):
        """Tokenised once per examples, tokenizer content and preprocessing arguments (utils/caching.py): a later
        run, or one of another encoder with the same tokenizer, reads the cache; concurrent jobs take turns."""
        function = self.kind.preprocess(self.spec, self.tokenizer, self.data_args, is_train)
        fingerprint = features_fingerprint(examples, self.kind, self.spec, self.tokenizer, self.data_args, is_train)
        with self.training_args.main_process_first(desc=f"tokenising {self.spec.name}"), \
                cache_lock(examples, fingerprint):
            return examples.map(function, batched=True, remove_columns=examples.column_names,
                                num_proc=self.data_args.preprocessing_num_workers, new_fingerprint=fingerprint,
                                desc=f"Tokenising {self.spec.name} ({'train' if is_train else 'eval'})")


class ExtraEvalData(TaskData):
    """An --extra_eval set (tasks/preflight.py extra_eval_plan): DIR/<task>/test-<lang>.jsonl, evaluated as the split
    NAME, its gold labels mapped by --extra_eval_label_map."""

    def __init__(self, data, directory, mapping):
        super().__init__(data.spec, data.tokenizer, data.data_args, data.model_args, data.training_args)
        self.directory, self.mapping = directory, mapping

    def examples(self, split, lang, limit=None):
        with self.training_args.main_process_first(desc=f"loading {self.spec.name} {split}-{lang}"):
            dataset = load_extra_set(self.spec, self.directory, lang, self.kind, self.mapping)
        return dataset.select(range(min(limit, len(dataset)))) if limit else dataset


def _labels(train_spec, kind, train_examples, model_args):
    """The label list: evaluating a checkpoint's trained head (no training; a kind whose head outputs the labels,
    LABELLED_HEAD), the head's own in its order (the pre-flight checked they are the task's); else the registry's,
    else read from the training data, else (evaluation only) the model's."""
    if train_examples is None and getattr(kind, "LABELLED_HEAD", False):
        own = checkpoint_head_labels(model_args)
        if own:
            return own
    if train_spec.labels is not None:
        return list(train_spec.labels)
    if train_examples is not None:
        return kind.labels_from_data(train_spec, train_examples)
    if kind.LABELLED_HEAD:
        from transformers import AutoConfig
        config = AutoConfig.from_pretrained(model_args.model_name_or_path, cache_dir=model_args.cache_dir)
        return [config.id2label[i] for i in range(len(config.id2label))]
    return None


def decoded_with_head(spec, kind, model):
    """spec with the labels its predictions are decoded with: the model's own id2label (a LABELLED_HEAD kind)."""
    labels = head_labels(model.config) if getattr(kind, "LABELLED_HEAD", False) else None
    return replace(spec, labels=tuple(labels)) if labels and spec.labels is not None else spec


def evaluate_language(trainer, data, split, lang, out_dir, limit):
    """Predict one split of one language; predictions written by the main process, metrics returned.
    A predictions file left by an interrupted run is reused (the rerun resumes at language granularity)."""
    spec, kind = data.spec, data.kind
    path = Path(out_dir) / "predictions" / spec.name / f"{split}-{lang}.jsonl"
    if path.is_file():
        return kind.compute_metrics(spec, read_jsonl(path), lang)
    trainer.compute_metrics = None  # it scores the English dev set (checkpoint selection), not this split
    records = kind.evaluate(trainer, data, split, lang, limit)  # dual encoders: queries against a pool
    if records is None:
        examples = data.examples(split, lang, limit)
        features = data.features(examples, is_train=False)
        output = trainer.predict(features, metric_key_prefix=f"{split}_{lang}")
        records = kind.postprocess(spec, output.predictions, examples, features, data.data_args)
    if trainer.is_world_process_zero():
        write_jsonl_atomic(path, records)
    metrics = kind.compute_metrics(spec, records, lang)
    logger.info("%s %s-%s: %s", spec.name, split, lang, metrics)
    return metrics


def needs_run(output_dir, data_args) -> bool:
    """Whether a run will do anything: not finished (DONE), or --overwrite."""
    return data_args.overwrite or not is_done(output_dir)


def run_task(task_name, model_args, data_args, training_args, *, eval_splits, save_encoder_to=None, extra=None,
             zero_shot=True, options=(), checked=False):
    """Train (if asked) and evaluate one task (a registry name or a TaskSpec, e.g. --task custom); returns its
    metrics document. A finished run is skipped; everything it will read is checked first (tasks/preflight.py).
    zero_shot: evaluate every language of a target task (run_target.py); else English only (run_intermediate.py,
    which may train on a target's English data, e.g. UD POS as a syntactic intermediate task).
    options: more argument dataclasses, recorded in run_config.json; their train_languages and augment fields
    shape the training set (tasks/training_set.py). checked: the caller ran the checks (a script's prepare())."""
    spec = get_task(task_name) if isinstance(task_name, str) else task_name
    zero_shot = zero_shot and spec.is_target
    out = Path(training_args.output_dir)
    if needs_run(out, data_args) and not checked:
        check_run(spec, model_args, data_args, training_args, options, eval_splits=eval_splits, zero_shot=zero_shot)
    return run_once(out, lambda: _run(spec, model_args, data_args, training_args, eval_splits, save_encoder_to,
                                      extra or {}, zero_shot, options),
                    overwrite=data_args.overwrite, main=main_process(training_args))


def _run(spec, model_args, data_args, training_args, eval_splits, save_encoder_to, extra, zero_shot, options):
    started, out = time.time(), Path(training_args.output_dir)
    set_seed(training_args.seed)
    train_spec = get_task(spec.train_task) if spec.is_target else spec
    if getattr(data_args, "embedding_pooling", None):  # dual encoders: --embedding_pooling overrides the task's
        spec = replace(spec, pooling=data_args.embedding_pooling)
    kind = kind_of(spec)
    tokenizer = load_tokenizer(model_args)
    train_data = TaskData(train_spec, tokenizer, data_args, model_args, training_args)
    settings = device.settings(training_args, model_args)
    logger.info(device.summary(settings))
    config = run_config(model_args, data_args, training_args, *options, task=spec.name, train_task=train_spec.name,
                        **provenance(model_args.model_name_or_path), device_settings=settings, **extra)
    if main_process(training_args):
        write_json_atomic(out / "run_config.json", config)
    train_examples = training_examples(train_data, data_args.max_train_samples, options,
                                       training_args.seed) if training_args.do_train else None
    labels = _labels(train_spec, kind, train_examples, model_args)
    label_kwargs = {"num_labels": len(labels), "id2label": dict(enumerate(labels)),
                    "label2id": {n: i for i, n in enumerate(labels)}} if labels else {}
    if labels and spec.labels is None:  # labels read from the training data (CCG)
        spec, train_spec = replace(spec, labels=tuple(labels)), replace(train_spec, labels=tuple(labels))
        train_data.spec = train_spec
    model = load_with_new_head(kind.model_class(spec), model_args, **label_kwargs)
    spec, train_spec = decoded_with_head(spec, kind, model), decoded_with_head(train_spec, kind, model)
    train_data.spec = train_spec
    config["head"] = head_record(model)  # transformers' head or the toolkit's; a dual encoder's pooling
    if main_process(training_args):
        write_json_atomic(out / "run_config.json", config)

    dev_examples = selection_examples(train_data, data_args, options)
    dev_features = train_data.features(dev_examples, is_train=False)

    def selection_metrics(prediction):
        records = kind.postprocess(train_spec, prediction.predictions, dev_examples, dev_features, data_args)
        return kind.compute_metrics(train_spec, records, "en")

    if training_args.metric_for_best_model == "task":
        training_args.metric_for_best_model = train_spec.selection_metric
    trainer = Trainer(model=model, args=training_args, processing_class=tokenizer,
                      train_dataset=train_data.features(train_examples, True) if train_examples is not None else None,
                      eval_dataset=dev_features, data_collator=kind.data_collator(spec, tokenizer, data_args),
                      compute_metrics=selection_metrics, callbacks=selection_callbacks(training_args))
    meter = CostMeter(model, trainer)  # the run's tokens, FLOPs and device time (run_config.json "cost")
    if training_args.do_train:
        trainer.train(resume_from_checkpoint=resume_checkpoint(out, main_process(training_args)))
        if save_encoder_to and trainer.is_world_process_zero():
            save_encoder(trainer.model, tokenizer, save_encoder_to)

    eval_data = TaskData(spec, tokenizer, data_args, model_args, training_args)
    per_language = {}
    for lang in resolve_languages(spec, data_args.languages) if zero_shot else ["en"]:
        for split in eval_splits:
            data = eval_data if zero_shot else train_data
            scores = evaluate_language(trainer, data, split, lang, out, data_args.max_eval_samples)
            per_language.setdefault(lang, {})[split] = scores
    extra_sets, mapping = extra_eval_plan(spec, data_args, options) if zero_shot else ([], {})
    for name, directory, languages in extra_sets:  # --extra_eval: more test sets, each one more split NAME
        extra_data = ExtraEvalData(eval_data, directory, mapping)
        for lang in languages:
            per_language.setdefault(lang, {})[name] = evaluate_language(trainer, extra_data, name, lang, out,
                                                                        data_args.max_eval_samples)
    selection = {"metric": training_args.metric_for_best_model, "best": trainer.state.best_metric,
                 "dev_examples": len(dev_examples), "checkpoint": trainer.state.best_model_checkpoint and
                 Path(trainer.state.best_model_checkpoint).name}  # the English dev score that chose the model
    document = metrics_document(spec.name, spec.metric, per_language, train_task=train_spec.name,
                                selection=selection)
    finish_run(out, document, config, started, data_args.keep_checkpoints, trainer.is_world_process_zero(),
               meter=meter)
    return document


def selection_languages(data_args, options=()) -> list[str]:
    """The languages whose dev sets select the checkpoint: English, or the training languages without it."""
    languages = training_languages(data_args, options)
    return ["en"] if "en" in languages else languages


def selection_limit(data_args):
    """Dev examples per language that select the checkpoint: --selection_examples (the recipe's 500; 0 = all),
    within --max_eval_samples."""
    limits = [n for n in (data_args.selection_examples, data_args.max_eval_samples) if n]
    return min(limits) if limits else None


def selection_examples(train_data, data_args, options):
    """The dev set that selects the checkpoint (the first selection_limit examples of each language)."""
    parts = [train_data.examples("validation", lang, selection_limit(data_args))
             for lang in selection_languages(data_args, options)]
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


def provenance(model_path) -> dict:
    """Which base model and intermediate task an encoder came from (for reports): an encoder written by
    run_intermediate.py sits in a run folder whose run_config.json says; anything else is a base model."""
    parent_config = Path(model_path).parent / "run_config.json"
    if Path(model_path).is_dir() and parent_config.is_file():
        parent = read_json(parent_config)
        return {"intermediate_task": parent.get("intermediate_tasks") or parent.get("task"),
                "base_model": parent.get("base_model") or parent["arguments"].get("model_name_or_path")}
    return {"intermediate_task": "none", "base_model": model_path}


def main_process(training_args):
    return training_args.process_index == 0
