"""The engine behind run_intermediate.py and run_target.py: train one task with the HF Trainer, select the
checkpoint on the English dev set, evaluate every language, and write the run's outputs (DESIGN.md)."""
import logging
from dataclasses import replace
from pathlib import Path

import datasets
from transformers import set_seed

from engine.few_shot import run_few_shot
from engine.lifecycle import Run
from engine.preflight import check_run, language_adapter_plan
from engine.training_set import training_examples
from tasks.kinds import kind_of
from utils.args import RunOptions
from utils.cost import CostMeter
from utils.caching import cache_lock, features_fingerprint
from utils.data import load_extra_set, load_rows, load_translated_set, read_jsonl
from utils import device
from utils.lifecycle import resume_checkpoint
from utils.language_adapters import activate
from utils.peft_setup import peft_record
from utils.modeling import checkpoint_head_labels, head_record, load_tokenizer, load_with_new_head, save_encoder
from utils.results import TRANSLATE_TEST, is_done, metrics_document, read_json, run_config, write_jsonl_atomic
from utils.trainer import Trainer, selection_callbacks

logger = logging.getLogger(__name__)


class TaskData:
    """Loads and tokenises the splits of one task (cached by datasets' fingerprinting). labels: the run's label
    names in the order of its head's outputs (build_model), which tokenising and decoding use; None until the model
    is built, and for kinds without label names."""

    def __init__(self, spec, tokenizer, data_args, model_args, training_args, labels=None):
        self.spec, self.kind, self.tokenizer = spec, kind_of(spec), tokenizer
        self.data_args, self.model_args, self.training_args = data_args, model_args, training_args
        self.labels = labels

    def examples(self, split, lang, limit=None):
        with self.training_args.main_process_first(desc=f"loading {self.spec.name} {split}-{lang}"):
            dataset = load_rows(self.spec, split, lang, self.data_args, self.kind, self.model_args.cache_dir)
        return dataset.select(range(min(limit, len(dataset)))) if limit else dataset

    def features(self, examples, is_train):
        """Tokenised once per examples, tokenizer content and preprocessing arguments (utils/caching.py): a later
        run, or one of another encoder with the same tokenizer, reads the cache; concurrent jobs take turns."""
        function = self.kind.preprocess(self.spec, self.tokenizer, self.data_args, is_train, labels=self.labels)
        fingerprint = features_fingerprint(examples, self.kind, self.spec, self.tokenizer, self.data_args, is_train,
                                           self.labels)
        with self.training_args.main_process_first(desc=f"tokenising {self.spec.name}"), \
                cache_lock(examples, fingerprint):
            return examples.map(function, batched=True, remove_columns=examples.column_names,
                                num_proc=self.data_args.preprocessing_num_workers, new_fingerprint=fingerprint,
                                desc=f"Tokenising {self.spec.name} ({'train' if is_train else 'eval'})")


class ExtraEvalData(TaskData):
    """An --extra_eval set (engine/plan.py extra_eval_plan): DIR/<task>/test-<lang>.jsonl, evaluated as the split
    NAME, its gold labels mapped by --extra_eval_label_map."""

    def __init__(self, data, directory, mapping):
        super().__init__(data.spec, data.tokenizer, data.data_args, data.model_args, data.training_args, data.labels)
        self.directory, self.mapping = directory, mapping

    def examples(self, split, lang, limit=None):
        with self.training_args.main_process_first(desc=f"loading {self.spec.name} {split}-{lang}"):
            dataset = load_extra_set(self.spec, self.directory, lang, self.kind, self.mapping)
        return dataset.select(range(min(limit, len(dataset)))) if limit else dataset


class TranslatedTestData(TaskData):
    """The --translate_test set (engine/plan.py translate_test_plan): DIR/<task>/test-<lang>.jsonl, the English
    translations of each language's test set, evaluated as the split translate_test with the original's gold."""

    def __init__(self, data, directory):
        super().__init__(data.spec, data.tokenizer, data.data_args, data.model_args, data.training_args, data.labels)
        self.directory = directory

    def examples(self, split, lang, limit=None):
        original = super().examples("test", lang)
        with self.training_args.main_process_first(desc=f"loading {self.spec.name} {split}-{lang}"):
            dataset = load_translated_set(self.spec, self.directory, lang, self.kind, original)
        return dataset.select(range(min(limit, len(dataset)))) if limit else dataset


def run_labels(train_spec, kind, train_examples, model_args):
    """The run's label names, in the order its head outputs them: evaluating a checkpoint's trained head (no
    training; a kind whose head outputs the labels, LABELLED_HEAD), the head's own in its order (the pre-flight
    checked they are the task's); else the registry's, else read from the training data, else (evaluation only) the
    model's. The registry's spec is never rewritten: the labels are the run's state (TaskData.labels)."""
    if train_examples is None and kind.LABELLED_HEAD:
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


def build_model(data, train_examples, peft=None):
    """The model of data's task (its kind's model class with a new head, whose outputs are the run's labels), with
    data.labels set to those labels; peft: the run's utils.args.PeftArguments (--peft lora: LoRA on the encoder,
    utils/peft_setup.py)."""
    data.labels = labels = run_labels(data.spec, data.kind, train_examples, data.model_args)
    label_kwargs = {"num_labels": len(labels), "id2label": dict(enumerate(labels)),
                    "label2id": {n: i for i, n in enumerate(labels)}} if labels else {}
    return load_with_new_head(data.kind.model_class(data.spec, data.data_args), data.model_args, peft=peft,
                              **label_kwargs)


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
        records = kind.postprocess(spec, output.predictions, examples, features, data.data_args, labels=data.labels)
    if trainer.is_world_process_zero():
        write_jsonl_atomic(path, records)
    metrics = kind.compute_metrics(spec, records, lang)
    logger.info("%s %s-%s: %s", spec.name, split, lang, metrics)
    return metrics


def needs_run(output_dir, data_args) -> bool:
    """Whether a run will do anything: not finished (DONE), or --overwrite."""
    return data_args.overwrite or not is_done(output_dir)


def run_task(plan, model_args, data_args, training_args, *, save_encoder_to=None, extra=None, options=None,
             checked=False):
    """Train (if asked) and evaluate the task of a run plan (engine/plan.py: a target's every language, zero-shot,
    from run_target.py; else English only, from run_intermediate.py, which may train on a target's English data,
    e.g. UD POS as a syntactic intermediate task); returns its metrics document. A finished run is skipped;
    everything it will read is checked first (engine/preflight.py). options: the run's utils.args.RunOptions,
    recorded in run_config.json; its augmentation shapes the training set (engine/training_set.py). checked: the
    caller ran the checks (a script's prepare())."""
    options = options or RunOptions()
    if needs_run(training_args.output_dir, data_args) and not checked:
        check_run(plan, model_args, data_args, training_args, options)
    return TaskRun(plan, model_args, data_args, training_args, save_encoder_to, extra or {}, options)()


class TaskRun(Run):
    """One task trained (or a checkpoint's head evaluated) with the HF Trainer, its checkpoint selected on the dev
    set of the plan's selection languages, then every evaluated set predicted (engine/lifecycle.py's order)."""

    def __init__(self, plan, model_args, data_args, training_args, save_encoder_to, extra, options):
        super().__init__(training_args.output_dir, overwrite=data_args.overwrite, main=main_process(training_args))
        self.plan, self.model_args, self.data_args, self.training_args = plan, model_args, data_args, training_args
        self.save_encoder_to, self.extra, self.options = save_encoder_to, extra, options
        self.keep_checkpoints = data_args.keep_checkpoints
        self.spec, self.train_spec = plan.task, plan.train_task

    def start(self):
        model_args, data_args, training_args = self.model_args, self.data_args, self.training_args
        set_seed(training_args.seed)
        self.kind = kind_of(self.spec)
        self.tokenizer = load_tokenizer(model_args)
        self.train_data = TaskData(self.train_spec, self.tokenizer, data_args, model_args, training_args)
        settings = device.settings(training_args, model_args)
        logger.info(device.summary(settings))
        return run_config(model_args, data_args, training_args, *self.options.groups(), *data_args.kind_options,
                          task=self.spec.name,
                          train_task=self.train_spec.name, **provenance(model_args.model_name_or_path),
                          device_settings=settings, **self.extra)

    def load(self):
        data_args, training_args, kind = self.data_args, self.training_args, self.kind
        train_examples = training_examples(self.train_data, data_args.max_train_samples, self.options,
                                           training_args.seed) if training_args.do_train else None
        model = build_model(self.train_data, train_examples, self.options.peft)  # --peft: LoRA (utils/peft_setup.py)
        self.adapters = language_adapter_plan(self.plan, self.options, self.model_args)  # --language_adapters
        self.adapters_used = {}  # language -> the adapters active when it was evaluated
        if self.adapters:
            activate(model, self.adapters, "en")  # the task adapter trains with the English one, frozen
        train_spec, labels = self.train_spec, self.train_data.labels
        self.dev_examples = dev_examples = selection_examples(self.train_data, self.plan)
        dev_features = self.train_data.features(dev_examples, is_train=False) if dev_examples is not None else None

        def selection_metrics(prediction):
            records = kind.postprocess(train_spec, prediction.predictions, dev_examples, dev_features, data_args,
                                       labels=labels)
            return kind.compute_metrics(train_spec, records, "en")

        if training_args.metric_for_best_model == "task":
            training_args.metric_for_best_model = train_spec.selection_metric
        train_features = self.train_data.features(train_examples, True) if train_examples is not None else None
        if dev_features is None:  # no training: no checkpoint to select
            training_args = replace(training_args, eval_strategy="no", load_best_model_at_end=False)
        self.trainer = Trainer(model=model, args=training_args, processing_class=self.tokenizer,
                               train_dataset=train_features, eval_dataset=dev_features,
                               data_collator=kind.data_collator(self.spec, self.tokenizer, data_args),
                               compute_metrics=selection_metrics, callbacks=selection_callbacks(training_args))
        self.meter = CostMeter(model, self.trainer)  # the run's tokens, FLOPs and device time (run_config "cost")
        adapters = {"language_adapters": {lang: choice.record() for lang, choice in self.adapters.items()}} \
            if self.adapters else {}
        return {"head": head_record(model),  # transformers' head or the toolkit's; a dual encoder's pooling
                "peft": peft_record(model, self.model_args), **adapters}  # LoRA or full: parameters, adapter size

    def train(self):
        if not self.training_args.do_train:
            return
        self.trainer.train(resume_from_checkpoint=resume_checkpoint(self.out, self.main))
        if self.save_encoder_to and self.trainer.is_world_process_zero():
            save_encoder(self.trainer.model, self.tokenizer, self.save_encoder_to)

    def evaluate(self):
        plan, trainer, limit = self.plan, self.trainer, self.data_args.max_eval_samples
        eval_data = TaskData(self.spec, self.tokenizer, self.data_args, self.model_args, self.training_args,
                             self.train_data.labels)
        data = eval_data if plan.zero_shot else self.train_data
        per_language = {}
        for lang in plan.languages:
            self.use_language(lang)
            for split in plan.eval_splits:
                per_language.setdefault(lang, {})[split] = evaluate_language(trainer, data, split, lang, self.out,
                                                                             limit)
        for name, directory, languages in plan.extra_sets:  # --extra_eval: more test sets, each one more split NAME
            extra_data = ExtraEvalData(eval_data, directory, plan.extra_label_map)
            for lang in languages:
                self.use_language(lang)
                per_language.setdefault(lang, {})[name] = evaluate_language(trainer, extra_data, name, lang,
                                                                            self.out, limit)
        if plan.translate_test:  # --translate_test: the English translations of the test sets
            directory, languages = plan.translate_test
            translated = TranslatedTestData(eval_data, directory)
            self.use_language("en")  # English text
            for lang in languages:
                per_language.setdefault(lang, {})[TRANSLATE_TEST] = evaluate_language(trainer, translated,
                                                                                      TRANSLATE_TEST, lang, self.out,
                                                                                      limit)
        few_shot = run_few_shot(self, eval_data, per_language, evaluate_language) if plan.few_shot else None
        best = trainer.state.best_model_checkpoint
        selection = {"metric": self.training_args.metric_for_best_model, "best": trainer.state.best_metric,
                     "dev_examples": len(self.dev_examples or ()), "checkpoint": best and Path(best).name}
        more = {"few_shot": few_shot} if few_shot else {}  # every shot set's scores: {K: {lang: [metrics]}}
        if self.adapters:  # each language's adapter, the distance to it and the adapters active when evaluated
            more["language_adapters"] = {lang: {**self.adapters[lang].record(), "active": active}
                                         for lang, active in self.adapters_used.items()}
        return metrics_document(self.spec.name, self.spec.metric, per_language, train_task=self.train_spec.name,
                                selection=selection, **more)  # selection: the English dev score that chose the model

    def use_language(self, lang):
        """--language_adapters: lang's language adapter and the task adapter active (utils/language_adapters.py)."""
        if self.adapters:
            self.adapters_used[lang] = activate(self.trainer.model, self.adapters, lang)


def selection_examples(train_data, plan):
    """The dev set that selects the checkpoint (the plan's first selection_limit examples of each language); None
    for a run that does not train (it reads no dev set)."""
    parts = [train_data.examples("validation", lang, plan.selection_limit) for lang in plan.selection_languages]
    if not parts:
        return None
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
