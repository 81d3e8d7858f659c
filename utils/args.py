"""The argument dataclasses, declared once and parsed with HfArgumentParser by every script.

A single `.json` argument is read as a config file. Every TrainingArguments flag is accepted after ours.
"""
import argparse
import dataclasses
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

from transformers import HfArgumentParser, TrainingArguments

from utils.results import is_setting


class InputError(ValueError):
    """A mistake in the user's arguments or files, found before anything expensive runs: one line, no traceback."""


@contextmanager
def input_errors():
    """Report the ValueErrors/FileNotFoundErrors raised inside (bad arguments, files) as InputErrors."""
    try:
        yield
    except InputError:
        raise
    except (ValueError, FileNotFoundError) as error:
        raise InputError(" ".join(str(error).split())) from None


def check_output_dir(path):
    """--output_dir: a writable directory, or a path where one can be made (no file on the way)."""
    import os
    from pathlib import Path
    if not path:
        return
    for existing in (Path(path), *Path(path).absolute().parents):
        if existing.exists():
            if not existing.is_dir():
                raise InputError(f"--output_dir {path}: {existing} is a file (expected a directory, or a path where "
                                 "one can be made)")
            if not os.access(existing, os.W_OK | os.X_OK):
                raise InputError(f"--output_dir {path}: {existing} is not writable")
            return


def cli(main, name):
    """Run a script's main(): an InputError is printed as `name: error: ...` with exit status 2."""
    try:
        main()
    except InputError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


@dataclass
class ModelArguments:
    model_name_or_path: str = field(default="xlm-roberta-large",
                                    metadata={"help": "Hub id or local directory (e.g. runs/mnli/encoder)."})
    tokenizer_name: str | None = field(default=None, metadata={"help": "Tokenizer, if not the model's own."})
    cache_dir: str | None = field(default=None, metadata={"help": "Where hub models and datasets are cached."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Run model code from the hub (off: unsafe)."})
    freeze_embeddings: bool = field(default=False, metadata={
        "help": "Keep the word embeddings fixed (much faster on CPUs with XLM-R's 250k vocabulary)."})
    attn_implementation: str | None = field(default=None, metadata={
        "help": "Attention kernel: sdpa (PyTorch's scaled-dot-product attention; the default on a GPU, and "
                "transformers' own default for models that support it), eager, flash_attention_2, ...; default: "
                "transformers' choice (utils/device.py).",
        "choices": ["sdpa", "eager", "flash_attention_2", "flash_attention_3", "flex_attention"]})


@dataclass
class DataArguments:
    task: str | None = field(default=None, metadata={"help": "Task name from the registry (tasks/__init__.py)."})
    data_dir: str | None = field(default=None, metadata={
        "help": "Local layout DIR/<task>/<split>-<lang>.jsonl (prepare_data.py writes it); default: the hub."})
    languages: str | None = field(default=None, metadata={
        "help": "Comma list of evaluation languages; default: all of the task's; 'xtreme_r' adds XTREME-R's."})
    max_seq_length: int | None = field(default=None, metadata={"help": "Default: the task's (128; QA 384)."})
    pad_to_max_length: bool = field(default=False, metadata={"help": "Pad every batch to max_seq_length "
                                                                     "(default: dynamic padding)."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Truncate the training set."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Truncate each evaluation set."})
    selection_examples: int | None = field(default=None, metadata={
        "help": "The first N English dev examples select the checkpoint; default: the task's recipe (500, as "
                "jiant); 0 = the whole dev set."})
    preprocessing_num_workers: int | None = field(default=None)
    overwrite: bool = field(default=False, metadata={"help": "Rerun a finished run (default: skip it)."})
    keep_checkpoints: bool = field(default=False, metadata={"help": "Keep Trainer checkpoints after a run "
                                                                    "finishes (default: delete them)."})
    variant: str | None = field(default=None, metadata={
        "help": "The name of this run's configuration in reports (an experiment's variant; the pipeline planner "
                "sets it): target runs report under it instead of their intermediate task's name."})
    train_languages: str | None = field(default=None, metadata={
        "help": "Train on these languages of the training set, concatenated (train-<lang>.jsonl of --data_dir, "
                "e.g. translations); default en (checkpoints are then selected on the English dev set, else on these "
                "languages' dev sets). --max_train_samples applies per language. run_target.py: 'auto' chooses, for "
                "each evaluation language, the typologically nearest language with training data (engine/sources.py)"
                ", one training run per chosen source."})
    eval_splits: str | None = field(default=None, metadata={
        "help": "Comma list of splits evaluated per language; default: test for targets, validation otherwise."})
    encoding_precision: str = field(default="auto", metadata={
        "help": "Retrieval and dual-encoder encoding: auto (bf16 on a GPU, fp16 where bf16 is unsupported, as the "
                "run's --bf16/--fp16 for dual encoders; fp32 on CPU) or fp32 (exact float32).",
        "choices": ["auto", "fp32"]})
    # The kinds' own options (tasks/kind.py OPTIONS: span QA's --doc_stride, ...), one instance per kind that has
    # options, parsed as groups of their own; a kind reads its own with kind.options(data_args). Not a flag;
    # run_config.json records the groups' fields instead.
    kind_options: tuple = field(default=(), metadata={"help": argparse.SUPPRESS})


@dataclass
class RetrievalArguments:
    layer: int | None = field(default=None, metadata={
        "help": "Index into hidden_states (0 = embeddings); default 14 of 24 layers, same relative depth otherwise."})
    pooling: str = field(default="mean", metadata={"help": "mean or cls.", "choices": ["mean", "cls"]})
    batch_size: int = field(default=64, metadata={"help": "Sentences per encoding batch."})
    knn_chunk_size: int = field(default=8192, metadata={"help": "Rows per similarity block (bounds memory)."})
    use_faiss: bool = field(default=False, metadata={"help": "Use faiss for kNN when it is installed."})
    margin_k: int = field(default=4, metadata={"help": "BUCC: neighbours in the ratio margin."})
    embedding_cache_dir: str | None = field(default=None, metadata={
        "help": "Embedding cache; default: <HF_HOME>/xstilts/embeddings."})


@dataclass
class XTrainingArguments(TrainingArguments):
    """TrainingArguments with this project's defaults: select the best checkpoint on the English dev set each
    epoch, keep two checkpoints, length-grouped batches, the paper's learning rate."""
    output_dir: str | None = field(default=None, metadata={"help": "Where the run writes everything."})
    learning_rate: float = field(default=1e-5, metadata={"help": "Peak learning rate (the paper: 1e-5)."})
    eval_strategy: str = field(default="epoch", metadata={"help": "When to evaluate on the English dev set."})
    save_strategy: str = field(default="same", metadata={
        "help": "When to checkpoint (resume points); default 'same': as --eval_strategy (and --eval_steps)."})
    save_steps: float | None = field(default=None, metadata={"help": "Default: --eval_steps."})
    load_best_model_at_end: bool = field(default=True, metadata={"help": "Select the best dev checkpoint."})
    save_total_limit: int | None = field(default=2, metadata={"help": "Checkpoints kept (best + last)."})
    train_sampling_strategy: str = field(default="group_by_length", metadata={
        "help": "'group_by_length' (default: batches of similar length), 'random', 'sequential', ...",
        "choices": ["random", "sequential", "group_by_length", "batch_rebalance"]})
    warmup_steps: float = field(default=0.1, metadata={"help": "Warmup: steps, or a ratio when < 1."})
    logging_steps: float = field(default=50, metadata={"help": "Log every N steps."})
    report_to: None | str | list[str] = field(default="none", metadata={"help": "Loggers (wandb, tensorboard)."})
    restore_callback_states_from_checkpoint: bool = field(default=True, metadata={
        "help": "A resumed run keeps its early-stopping count (default on)."})
    metric_for_best_model: str | None = field(default="task", metadata={
        "help": "Dev metric that selects the checkpoint; default 'task': the task's own (accuracy, F1, QA: "
                "(EM + F1) / 2)."})
    effective_batch_size: int | None = field(default=None, metadata={
        "help": "Examples per optimizer step = per-device batch x processes x gradient accumulation; default: "
                "the task's recipe (32, QA 16). The per-device batch (default at most 8) or the accumulation "
                "is derived from it unless you pass both."})
    early_stopping_patience: int | None = field(default=None, metadata={
        "help": "Stop after N dev evaluations without improvement; default: the task's recipe (30); 0 = never."})
    eval_group_by_length: bool = field(default=True, metadata={
        "help": "Evaluate and predict in batches of similar length (longest first), predictions returned in "
                "example order (utils/trainer.py); false: in dataset order."})

    def __post_init__(self):
        if self.save_strategy == "same":
            self.save_strategy = self.eval_strategy
        if self.save_steps is None:
            self.save_steps = self.eval_steps or 500
        super().__post_init__()


def parse_args(*dataclasses, argv=None):
    """Parse argv (default sys.argv[1:]) into the given dataclasses; a single .json argument is a config file;
    argv may also be a dict of the same fields (a config file already read)."""
    parser = HfArgumentParser(dataclasses, allow_abbrev=False)  # an abbreviated flag would escape the recipe
    argv = sys.argv[1:] if argv is None else argv
    if isinstance(argv, dict):
        return parser.parse_dict(argv)
    argv = list(argv)
    if len(argv) == 1 and argv[0].endswith(".json"):
        return parser.parse_json_file(argv[0])
    return parser.parse_args_into_dataclasses(args=argv)


def given_flags(argv) -> dict:
    """The flags the user gave, {name: value} (a bare flag: True), from argv or a single .json config file."""
    if isinstance(argv, dict):
        return dict(argv)
    argv = list(argv)
    if len(argv) == 1 and argv[0].endswith(".json"):
        import json
        from pathlib import Path
        return json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    flags = {}
    for i, arg in enumerate(argv):
        if arg.startswith("--"):
            name, _, value = arg[2:].partition("=")
            following = argv[i + 1] if i + 1 < len(argv) and not argv[i + 1].startswith("--") else True
            flags[name.replace("-", "_")] = value if value else following
    return flags


MAX_DEFAULT_DEVICE_BATCH = 8  # the per-device batch the recipe picks at most (accumulation makes up the rest)


def processes() -> int:
    """Processes (or GPUs) one optimizer step's batch is spread over: WORLD_SIZE under torchrun/accelerate, else
    the visible GPUs (the Trainer then uses DataParallel, multiplying the per-device batch by them), else 1."""
    import os
    if os.environ.get("WORLD_SIZE"):
        return int(os.environ["WORLD_SIZE"])
    import torch
    return max(torch.cuda.device_count(), 1)


def recipe_arguments(recipe, argv, world_size=None):
    """argv with the task's recipe (tasks.spec.Recipe) and the device's defaults filled in where the user gave no
    flag, and a record of them for run_config.json. Returns (argv with their flags appended, or the config file's
    dict completed, record); the scripts parse once instead (parse_with_defaults)."""
    given = given_flags(argv)
    applied, record = recipe_defaults(recipe, given, world_size)
    if isinstance(argv, dict) or len(argv) == 1 and str(argv[0]).endswith(".json"):
        argv = {**applied, **given}
    else:
        argv = [*argv, *(item for name, value in applied.items() for item in (f"--{name}", str(value)))]
    from utils.device import with_device_defaults  # bf16, TF32, SDPA, ... on a GPU where no flag says otherwise
    argv, record["device_defaults"] = with_device_defaults(argv, given)
    return argv, record


def recipe_defaults(recipe, given, world_size=None):
    """(the recipe's values of the training flags the user did not give, run_config.json's record of the recipe);
    given: the user's flags by name.

    The effective batch (--effective_batch_size, default recipe.batch_size) is kept on any number of processes
    (WORLD_SIZE, as torchrun/accelerate set it): one GPU reaches it by gradient accumulation, eight by the
    per-device batch. A batch that cannot be split evenly is an error naming the flags."""
    world = world_size or processes()
    effective = int(given.get("effective_batch_size") or recipe.batch_size)
    device, accumulation = given.get("per_device_train_batch_size"), given.get("gradient_accumulation_steps")
    if device is None and accumulation is None:
        fits = [d for d in range(1, min(MAX_DEFAULT_DEVICE_BATCH, effective // world) + 1)
                if effective % (d * world) == 0]
        if not fits:
            raise ValueError(f"the effective batch {effective} (--effective_batch_size) cannot be split evenly over "
                             f"{world} processes; use a number of processes that divides it, or pass "
                             f"--effective_batch_size")
        device = max(fits)
    if device is None:
        device, rest = divmod(effective, int(accumulation) * world)
        if rest or device == 0:
            raise ValueError(f"--gradient_accumulation_steps {accumulation} on {world} process(es) cannot make the "
                             f"effective batch {effective}; pass --per_device_train_batch_size too, or "
                             f"--effective_batch_size")
    if accumulation is None:
        accumulation, rest = divmod(effective, int(device) * world)
        if rest or accumulation == 0:
            raise ValueError(f"--per_device_train_batch_size {device} on {world} process(es) cannot make the "
                             f"effective batch {effective} (--effective_batch_size): it must divide it")
    defaults = {"num_train_epochs": recipe.epochs, "learning_rate": recipe.learning_rate,
                "per_device_train_batch_size": int(device), "gradient_accumulation_steps": int(accumulation),
                "eval_strategy": "steps", "eval_steps": recipe.eval_steps,
                "selection_examples": recipe.selection_examples, "early_stopping_patience": recipe.patience}
    if not recipe.selects:  # nothing to evaluate: no dev evaluation, no best checkpoint to load; checkpoints still
        defaults.update(eval_strategy="no", load_best_model_at_end=False,  # saved (an interrupted run resumes)
                        save_strategy="steps", save_steps=recipe.eval_steps)
        del defaults["eval_steps"]
    applied = {name: value for name, value in defaults.items() if name not in given}
    if "eval_strategy" in given and "eval_steps" not in given:
        applied.pop("eval_steps", None)  # the user chose another cadence (e.g. epoch)
    record = {"defaults": dataclasses.asdict(recipe), "applied": applied,
              "from_flags": {name: given[name] for name in defaults if name in given},
              "effective_batch_size": int(device) * int(accumulation) * world, "processes": world}
    return applied, record


UNSET = object()  # a field the user did not set


def given_fields(dataclasses_, argv) -> dict:
    """The fields of the dataclasses that argv sets, {name: value} parsed to their types; argv may be a single
    .json config file or a dict of the fields (then as written)."""
    if isinstance(argv, dict) or len(argv) == 1 and str(argv[0]).endswith(".json"):
        return given_flags(argv)
    import argparse
    parser = HfArgumentParser(dataclasses_, allow_abbrev=False)  # an abbreviated flag would escape the recipe
    fields = [f for group in dataclasses_ for f in dataclasses.fields(group) if f.init]
    unset = argparse.Namespace(**{f.name: None if f.metadata.get("action") == "append" else UNSET for f in fields})
    namespace, remaining = parser.parse_known_args(list(argv), namespace=unset)  # defaults stay UNSET: not given
    if remaining:
        raise ValueError(f"Some specified arguments are not used by the HfArgumentParser: {remaining}")
    return {name: value for name, value in vars(namespace).items() if value is not UNSET and value is not None}


def parse_with_defaults(dataclasses_, argv, recipe_of, world_size=None):
    """Parse argv once into the dataclasses; the fields the user did not set take the task's recipe
    (recipe_of(given) -> tasks.spec.Recipe, given: the fields set, by name), then the device's defaults
    (utils/device.py), then their own. Returns (the dataclass instances, given, run_config.json's "recipe" record:
    what the recipe and the device filled in)."""
    from utils.device import device_defaults  # bf16, TF32, SDPA, ... on a GPU where no flag says otherwise
    argv = sys.argv[1:] if argv is None else argv
    given = given_fields(dataclasses_, argv)
    applied, record = recipe_defaults(recipe_of(given), given, world_size)
    record["device_defaults"] = device_defaults(given)
    values = {**applied, **record["device_defaults"], **given}
    if isinstance(argv, dict) or len(argv) == 1 and str(argv[0]).endswith(".json"):  # as written: parse the types
        return HfArgumentParser(dataclasses_, allow_abbrev=False).parse_dict(values), given, record
    return tuple(group(**{f.name: values[f.name] for f in dataclasses.fields(group) if f.init and f.name in values})
                 for group in dataclasses_), given, record


def setup_logging(training_args):
    """INFO logs with timestamps on the main process, warnings only on the others."""
    import logging
    import datasets
    import transformers
    level = logging.INFO if training_args.process_index == 0 else logging.WARNING
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S", level=level)
    transformers.utils.logging.set_verbosity(level)
    datasets.utils.logging.set_verbosity(logging.WARNING)


def split_list(value: str | None, default: list[str]) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


@dataclass
class MultiTaskArguments:
    """run_intermediate.py: multi-task training, continued MLM, translated training data, custom tasks."""
    tasks: str | None = field(default=None, metadata={
        "help": "Comma list of tasks trained together with one shared encoder (e.g. mnli,squad,hellaswag), "
                "or 'all' = the paper's nine intermediate tasks; 'custom' = the --task_kind/--train_file task."})
    sampling_strategy: str = field(default="proportional", metadata={
        "help": "Task of each batch: p_t ~ min(n_t, cap) ** (1/T); proportional: T = 1 (as jiant), temperature: "
                "T = --sampling_temperature, uniform: every task equally often.",
        "choices": ["proportional", "temperature", "uniform"]})
    sampling_temperature: float = field(default=2.0, metadata={"help": "T of --sampling_strategy temperature."})
    task_examples_cap: int | None = field(default=None, metadata={
        "help": "A task counts as at most this many examples in the sampling weights (its data is not cut)."})
    mlm_corpus: str | None = field(default=None, metadata={
        "help": "Add masked language modelling (15%%, 80/10/10) on this text as one more task: a file, a "
                "directory of files or a comma list (one sentence per line, any languages), or a hub dataset "
                "NAMESPACE/NAME[:CONFIG], e.g. Salesforce/wikitext:wikitext-103-raw-v1 (its train split's 'text' "
                "column)."})
    mlm_language: str | None = field(default=None, metadata={
        "help": "The language of the --mlm_corpus text (e.g. de): --task mlm --mlm_corpus FILE --peft lora trains "
                "that language's adapter (run_target.py --language_adapters); recorded in run_config.json."})
    mlm_weight: float | None = field(default=None, metadata={
        "help": "MLM's share of the batches, in (0, 1); default: sampled like any task by its size."})
    task_kind: str | None = field(default=None, metadata={
        "help": "--task custom: the kind of the task, one that supports custom tasks (tasks/kind.py CUSTOM_METRIC: "
                "classification, multiple_choice, span_qa, tagging)."})
    train_file: str | None = field(default=None, metadata={"help": "--task custom: training data (.jsonl/.csv/.tsv)."})
    validation_file: str | None = field(default=None, metadata={"help": "--task custom: English dev data."})
    test_file: str | None = field(default=None, metadata={"help": "--task custom: optional test data."})
    text_columns: str | None = field(default=None, metadata={
        "help": "--task custom: the text columns, comma-separated (classification: 1-2; multiple_choice: context, "
                "then the choices; span_qa: context,question; tagging: the tokens column)."})
    label_column: str | None = field(default=None, metadata={
        "help": "--task custom: the label column (span_qa: the answer text; tagging: the tags)."})


@dataclass
class AugmentArguments:
    """run_intermediate.py and run_target.py: augmentation of the English training data (code-switching, word order)."""
    augment: str | None = field(default=None, metadata={
        "help": "'codeswitch': replace a share of the training text's words by dictionary translations; "
                "'wordorder': reorder each parsed training sentence's clauses to --word_order (tagging data with "
                "heads, e.g. udpos converted by prepare_data.py --from_raw conllu).",
        "choices": ["codeswitch", "wordorder"]})
    dictionaries: str | None = field(default=None, metadata={
        "help": "Directory of MUSE bilingual dictionaries en-<lang>.txt ('source target' per line)."})
    augment_ratio: float = field(default=0.3, metadata={
        "help": "Share of each example's dictionary words replaced (of those with an entry), rounded half up "
                "(with --augment_languages auto: scaled by the evaluation languages' typological distance)."})
    augment_languages: str | None = field(default=None, metadata={
        "help": "Comma list of languages to switch into (e.g. fi,sw); one drawn per word. 'auto': for each "
                "evaluation language the --augment_auto_k languages of --dictionaries nearest to it (URIEL "
                "syntactic distance), and the ratio scaled by their distance to English (utils/augment.py)."})
    augment_auto_k: int = field(default=2, metadata={
        "help": "--augment_languages auto: the dictionary languages taken per evaluation language."})
    augment_target_languages: str | None = field(default=None, metadata={
        "help": "The evaluation languages that 'auto' (--augment_languages, --word_order) aims at; default: "
                "run_target.py's --languages (English left out). Required with auto in run_intermediate.py."})
    word_order: str | None = field(default=None, metadata={
        "help": "--augment wordorder: the dominant order to impose, or 'auto': the most frequent order (WALS, "
                "through URIEL) among the evaluation languages.",
        "choices": ["SOV", "SVO", "VSO", "VOS", "OVS", "OSV", "auto"]})
    augment_resolved: dict | None = field(default=None, init=False)  # what 'auto' chose (run_config.json)


@dataclass
class DomainArguments:
    """run_target.py: after the usual evaluation, evaluate the trained model on more test sets (another domain, the
    same task; English translations of the test sets) in the local layout, each as one more split NAME of
    metrics.json (engine/preflight.py checks them)."""
    extra_eval: str | None = field(default=None, metadata={
        "action": "append",  # repeatable; the value is then a list of the strings given
        "help": "NAME=DIR: also evaluate on DIR/<task>/test-<lang>.jsonl for each evaluation language that has the "
                "file, reported as the split NAME (a simple identifier, not train/validation/test). Repeat the "
                "flag, or give a comma list NAME=DIR,NAME=DIR."})
    extra_eval_label_map: str | None = field(default=None, metadata={
        "help": "Map the gold labels of the --extra_eval sets, e.g. MISC=O,PER=PER; for IOB tags a key without "
                "B-/I- maps the entity type (MISC=O: B-MISC and I-MISC -> O). An unmapped label outside the task's "
                "label set is an error."})
    translate_test: str | None = field(default=None, metadata={
        "help": "DIR: also evaluate on DIR/<task>/test-<lang>.jsonl, the English translations of each evaluation "
                "language's test set in the task's schema (one row per id of the original test set), reported as "
                "the split translate_test and scored against the original test set's gold labels (classification "
                "and multiple choice)."})


EXTRA_EVAL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def extra_eval_sets(value, reserved=()) -> dict:
    """--extra_eval (a string, or the list of strings the repeated flag gives; each NAME=DIR or a comma list of
    them) -> {NAME: DIR}, in the order given; reserved: names that are not allowed (the splits)."""
    items = [value] if isinstance(value, str) else list(value or [])
    sets = {}
    for item in (part.strip() for text in items for part in str(text).split(",")):
        if not item:
            continue
        name, sep, directory = (text.strip() for text in item.partition("="))
        if not sep or not directory:
            raise InputError(f"--extra_eval {item}: expected NAME=DIR (e.g. europeana=data/europeana)")
        if not EXTRA_EVAL_NAME.fullmatch(name) or name in reserved or is_setting(name):
            raise InputError(f"--extra_eval {item}: the name {name!r} must be a simple identifier (a letter, then "
                             f"letters, digits or _) other than {', '.join(reserved)}, translate_test and "
                             "fewshot<K>")
        if name in sets:
            raise InputError(f"--extra_eval: the name {name!r} is given twice")
        sets[name] = directory
    return sets


@dataclass
class FewShotArguments:
    """run_target.py: after English training, continue the selected model on K labelled examples of each evaluation
    language, one short run per language and shot set, each evaluated on that language's test set
    (engine/few_shot.py). The defaults are the target-adapting recipe of Zhao et al. 2021's code (fsxlt/code):
    learning rate 3e-5, batch 32, up to 50 epochs, the epoch chosen on the language's dev set, patience 10."""
    few_shot: str | None = field(default=None, metadata={
        "help": "K, or a comma list (1,2,4,8): examples per label (classification; multiple choice: per answer "
                "position), sentences until every tag type occurs K times (tagging), questions (span QA)."})
    shots: str | None = field(default=None, metadata={
        "help": "DIR of published shot sets in fsxlt/buckets' layout: DIR/<K>-shots/<language>/<i>-th/sampled.json "
                "(classification) or train.tsv (tagging), DIR the task's folder (buckets/xnli) or the buckets root; "
                "default: shots drawn from the language's training split (else its validation split)."})
    shot_sets: int = field(default=5, metadata={"help": "Shot sets per K and language (Zhao et al.: 40)."})
    shot_split: str | None = field(default=None, metadata={
        "help": "The split drawn shots come from: train or validation; default: train where the language has "
                "it, else validation. Never the evaluated split.", "choices": ["train", "validation"]})
    few_shot_selection: str = field(default="dev", metadata={
        "help": "dev: keep the epoch that scores best on the language's dev set (its examples that are not shots; "
                "Zhao et al.); last: train --few_shot_epochs and keep the last (no target-language dev labels).",
        "choices": ["dev", "last"]})
    few_shot_epochs: float = field(default=50, metadata={"help": "Epochs over the shots at most."})
    few_shot_learning_rate: float = field(default=3e-5, metadata={"help": "Learning rate (constant, no warmup)."})
    few_shot_batch_size: int = field(default=32, metadata={"help": "Shots per optimizer step."})
    few_shot_patience: int = field(default=10, metadata={
        "help": "--few_shot_selection dev: stop after N epochs without a better dev score (0 = never)."})


@dataclass
class PeftArguments:
    """run_intermediate.py and run_target.py: parameter-efficient training of the encoder (utils/peft_setup.py, on
    `peft`); the task heads stay fully trained."""
    peft: str | None = field(default=None, metadata={
        "help": "Train the encoder parameter-efficiently: 'lora' (low-rank adapters on the encoder layers' linear "
                "projections, peft's LoRA); default: full fine-tuning. An intermediate run then saves its adapter "
                "(peft's format) as its encoder folder; a target run given such a folder merges it into its base."})
    lora_r: int = field(default=8, metadata={"help": "--peft lora: the rank of the low-rank update."})
    lora_alpha: float = field(default=16, metadata={"help": "--peft lora: the scale (the update is alpha / r x BA)."})
    lora_dropout: float = field(default=0.1, metadata={"help": "--peft lora: dropout on the adapters' input."})
    lora_target_modules: str | None = field(default=None, metadata={
        "help": "--peft lora: comma list of the linear modules of each encoder layer that get adapters, by name "
                "(e.g. query,value; a dotted suffix such as attention.output.dense picks one); default: every "
                "linear module of the layers (the attention and feed-forward projections)."})
    language_adapters: str | None = field(default=None, metadata={
        "help": "run_target.py --peft lora: language adapters composed with the task adapter (MAD-X style; "
                "utils/language_adapters.py), a folder template with {lang}, e.g. runs/lang/{lang} (run_intermediate.py "
                "--task mlm --mlm_corpus FILE --peft lora output folders): the task adapter trains with the English "
                "one active and frozen; each language is evaluated with its own and the task adapter."})
    language_adapter_fallback: str = field(default="closest", metadata={
        "help": "--language_adapters: a language without its own adapter uses the closest language's that has one "
                "(URIEL transfer distance), or none ('none': the task adapter alone).",
        "choices": ["closest", "none"]})


@dataclass
class RunOptions:
    """The optional argument groups of a run, by name (None where its script has no such group): multi-task
    training and custom tasks (run_intermediate.py), augmentation of the training data (both training scripts),
    more test sets (run_target.py), parameter-efficient training (both training scripts)."""
    multitask: MultiTaskArguments | None = None
    augment: AugmentArguments | None = None
    domain: DomainArguments | None = None
    few_shot: FewShotArguments | None = None
    peft: PeftArguments | None = None

    def groups(self) -> tuple:
        """The groups the run has, in order (run_config.json records their fields)."""
        return tuple(group for group in (self.multitask, self.augment, self.domain, self.few_shot, self.peft)
                     if group is not None)

    @property
    def augmenting(self) -> AugmentArguments | None:
        """The augmentation arguments when --augment is given, else None."""
        return self.augment if self.augment is not None and self.augment.augment else None
