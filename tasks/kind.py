"""The kind contract: what a kind of task (classification, tagging, span QA, ...) must provide.

A task is data (a TaskSpec in the registry, tasks/__init__.py); its behaviour is its kind's. Each kind module
(tasks/<kind>.py) defines one subclass of `TrainedKind` (a kind whose tasks train a head: run_target.py) or of
tasks/retrieval.py `BitextKind` (an encoder evaluated as is: run_retrieval.py), and one instance of it, `KIND`, which
owns every fact about the kind; tasks/kinds.py lists the instances in `KINDS` and `kind_of(spec)` returns a task's.

Adding a kind: write tasks/<kind>.py with a subclass that sets the facts below and implements the abstract methods
(Python refuses to build an instance that lacks one), add its KIND to tasks/kinds.py, and give it a
test; tests/test_kinds.py checks every kind against this contract. No table outside the kind modules lists kinds.

Facts (class attributes):
    name               the kind's name, what TaskSpec.kind holds
    script             the entry script that runs a task of this kind: "run_target.py" (trained), or
                       "run_retrieval.py" (the encoder evaluated as is, without training)
    FIELDS             the fields of one row of the local layout (DIR/<task>/<split>-<lang>.jsonl)
    HUB_FIELDS         hub columns read under their schema names unless hub_columns renames them
                       (scripts/check_hub.py)
    RAW_FORMATS        converters of original public formats: name -> function(input_path, **options) -> rows
                       (prepare_data.py --from_raw)
    HAS_FILES          whether prepare_data.py writes the kind's tasks as local files
    TEXT_FIELDS        the fields --augment codeswitch may rewrite; () = the kind cannot be augmented
    LABEL_FIELD        the field holding label names (--extra_eval_label_map maps it); None = no label names
    LABELLED_HEAD      the head's outputs are the labels, in its id2label's order (a checkpoint knows its labels)
    SUBMISSION_FORMAT  XTREME's submission format (scripts/export_submission.py FORMATS); None = none
    COST_SHAPE         the throughput shape the cost model measures the kind with (pipeline/cost.py)
    CUSTOM_METRIC      --task custom --task_kind <name>: the metric reported; None = no custom tasks of this kind
    CUSTOM_MAX_LENGTH  --task custom: max_seq_length of the task
    EXTRA_EVAL         --extra_eval: another domain's test set in the kind's schema can be evaluated
    TRANSLATE_TEST_GOLD  --translate_test: the field of the gold answer, taken from the original test set by id when
                       the kind is evaluated on English translations of the test sets; None = it cannot be (span QA's
                       answers are spans of the original text, tagging's tags belong to the original words)
    SHOTS              --few_shot K: what K counts (engine/few_shot.py): "per_class" (K examples of each label),
                       "per_tag" (sentences drawn until every tag type, entity types for IOB tags, occurs K times),
                       "examples" (K examples: span QA's questions); None = no few-shot training
    OPTIONS            the kind's own options: a dataclass of command-line flags (span QA's --doc_stride, ...) that
                       the scripts parse beside the other argument groups; None = none

Options: the shared data arguments (utils/args.py DataArguments: max_seq_length, pad_to_max_length, ...) reach every
method as `data_args`; a kind's own options travel in it, typed, as `data_args.kind_options` (every kind's parsed
OPTIONS instance), and the kind reads its own with `self.options(data_args)` (the defaults where the run gave none).
What preprocessing reads is therefore the shared preprocessing fields and the kind's options: with the spec and the
kind module's source they are the tokenisation cache key (utils/caching.py).

Every kind reads its data (`from_hub`, `validate`) and scores per-example statistics (`example_statistics`,
`metric_from_statistics`, reporting/stats.py's paired tests). A kind that is trained (`TrainedKind`) also names
its model class, tokenises (`preprocess`), batches (`data_collator`), turns predictions into records
(`postprocess`) and scores them (`compute_metrics`). The optional hooks below have defaults that do nothing.

Labels: a spec is the registry's and is never rewritten during a run. The run's label names, in the order of its
head's outputs (a checkpoint head's own order, the registry's, or those read from the training data: CCG), are the
run's state (engine/runner.py build_model, TaskData.labels) and reach `preprocess` and `postprocess` as `labels`;
`label_order(spec, labels)` is what a kind encodes and decodes with. `compute_metrics` scores records of label names
and reads only the spec.
"""
from abc import ABC, abstractmethod


def label_order(spec, labels):
    """The label names in the order of the head's outputs: the run's (labels), else the registry's."""
    return tuple(labels) if labels is not None else spec.labels


def options_of(data_args, options_class):
    """The instance of options_class that data_args.kind_options holds, else its defaults (also where data_args
    carries no kind options: None, or a test's namespace of the shared fields)."""
    given = [options for options in getattr(data_args, "kind_options", ()) if isinstance(options, options_class)]
    return given[0] if given else options_class()


class Kind(ABC):
    name: str
    script = "run_target.py"
    FIELDS: tuple = ()
    HUB_FIELDS: tuple = ()
    RAW_FORMATS: dict = {}
    HAS_FILES = True
    TEXT_FIELDS: tuple = ()
    LABEL_FIELD: str | None = None
    LABELLED_HEAD = False
    SUBMISSION_FORMAT: str | None = None
    COST_SHAPE: str
    CUSTOM_METRIC: str | None = None
    CUSTOM_MAX_LENGTH = 128
    EXTRA_EVAL = True
    TRANSLATE_TEST_GOLD: str | None = None
    SHOTS: str | None = None
    OPTIONS: type | None = None

    def options(self, data_args):
        """The run's options of this kind (an OPTIONS instance); None for a kind without options."""
        return options_of(data_args, self.OPTIONS) if self.OPTIONS else None

    # ---- data ----
    @abstractmethod
    def from_hub(self, spec, dataset, lang):
        """The hub's rows of one language -> rows of the kind's schema (FIELDS)."""

    @abstractmethod
    def validate(self, spec, dataset, path):
        """Raise InputError (utils/args.py) naming the file and line of the first row that breaks the schema."""

    # ---- per-example statistics (paired significance tests) ----
    @abstractmethod
    def example_statistics(self, spec, records, lang, **inputs):
        """Per-example sufficient statistics of the metric: an array of (examples, statistics)."""

    @abstractmethod
    def metric_from_statistics(self, spec, sums, n):
        """The metric from the statistics summed over n examples (resampled sums: arrays)."""

    # ---- optional hooks ----
    def custom_row(self, values, label, where) -> dict:
        """--task custom (a kind with CUSTOM_METRIC): one input row's --text_columns values and --label_column value
        -> a row of FIELDS without its id; a ValueError names `where` (file:line)."""
        raise ValueError(f"--task custom: kind {self.name!r} has no custom tasks")

    def custom_spec(self, spec, train_rows):
        """--task custom: the spec with what the converted training rows tell (classification: its labels)."""
        return spec

    def repair(self, spec, dataset, path, published: bool):
        """(rows, {what was changed: count}): rows a published copy gets wrong, repaired where the kind knows how
        (span QA: answer offsets); default: unchanged."""
        return dataset, {}

    def labels_from_data(self, spec, train_dataset) -> list | None:
        """The label names read from the training data, where the registry lists none; None = not read."""
        return None

    def check_arguments(self, spec, data_args) -> None:
        """Raise InputError for arguments this kind cannot run with (the pre-flight calls it before any work)."""

    def check_encoder(self, spec, config, data_args) -> None:
        """Raise InputError for an encoder this kind cannot use (its config, before the model is loaded)."""

    def evaluate(self, trainer, data, split, lang, limit=None) -> list | None:
        """The records of one split scored by the kind itself (dual encoders: queries against a pool); None = the
        engine predicts with the trainer and calls postprocess."""
        return None

    def statistics_inputs(self, spec, run_dir, split, lang) -> dict:
        """More inputs of example_statistics, read from a run's folder (BUCC: the gold pairs); {} = none."""
        return {}

    def statistics_pairing(self, spec) -> str:
        """How two runs' examples are paired: "common" (the examples both scored) or "union" (every example either
        run predicted, e.g. mined pairs)."""
        return "common"


class TrainedKind(Kind):
    """A kind whose tasks train a head on the encoder (run_target.py, run_intermediate.py)."""

    @abstractmethod
    def model_class(self, spec, data_args):
        """The transformers auto class of the model (or a class with from_pretrained), for the run's arguments
        (dual encoders: --embedding_pooling)."""

    @abstractmethod
    def preprocess(self, spec, tokenizer, data_args, is_train, labels=None):
        """A batched map function: rows -> features (label names encoded as their index in labels)."""

    @abstractmethod
    def data_collator(self, spec, tokenizer, data_args):
        """The collator of the features."""

    @abstractmethod
    def postprocess(self, spec, predictions, examples, features, data_args, labels=None):
        """Model predictions -> one record per example (written to predictions/<task>/<split>-<lang>.jsonl); output
        index i of a labelled head decodes as labels[i]."""

    @abstractmethod
    def compute_metrics(self, spec, records, lang) -> dict:
        """The metrics of the records of one language."""
