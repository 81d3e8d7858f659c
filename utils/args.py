"""The argument dataclasses, declared once and parsed with HfArgumentParser by every script.

A single `.json` argument is read as a config file. Every TrainingArguments flag is accepted after ours.
"""
import sys
from dataclasses import dataclass, field

from transformers import HfArgumentParser, TrainingArguments


@dataclass
class ModelArguments:
    model_name_or_path: str = field(default="xlm-roberta-large",
                                    metadata={"help": "Hub id or local directory (e.g. runs/mnli/encoder)."})
    tokenizer_name: str | None = field(default=None, metadata={"help": "Tokenizer, if not the model's own."})
    cache_dir: str | None = field(default=None, metadata={"help": "Where hub models and datasets are cached."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Run model code from the hub (off: unsafe)."})
    freeze_embeddings: bool = field(default=False, metadata={
        "help": "Keep the word embeddings fixed (much faster on CPUs with XLM-R's 250k vocabulary)."})


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
    preprocessing_num_workers: int | None = field(default=None)
    overwrite: bool = field(default=False, metadata={"help": "Rerun a finished run (default: skip it)."})
    keep_checkpoints: bool = field(default=False, metadata={"help": "Keep Trainer checkpoints after a run "
                                                                    "finishes (default: delete them)."})
    train_languages: str | None = field(default=None, metadata={
        "help": "Train on these languages of the training set, concatenated (train-<lang>.jsonl of --data_dir, "
                "e.g. translations); default en (checkpoints are then selected on the English dev set, else on these languages' dev sets). --max_train_samples applies per language."})
    eval_splits: str | None = field(default=None, metadata={
        "help": "Comma list of splits evaluated per language; default: test for targets, validation otherwise."})
    # span QA
    doc_stride: int = field(default=128, metadata={"help": "QA: overlap between context windows."})
    max_query_length: int = field(default=64, metadata={"help": "QA: question tokens kept."})
    n_best_size: int = field(default=20, metadata={"help": "QA: start/end candidates per feature."})
    max_answer_length: int = field(default=30, metadata={"help": "QA: longest answer in tokens."})
    null_score_diff_threshold: float = field(default=0.0, metadata={"help": "SQuAD v2: no-answer threshold."})


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
    metric_for_best_model: str | None = field(default="task", metadata={
        "help": "Dev metric that selects the checkpoint; default 'task': the task's own (accuracy, F1, ...)."})

    def __post_init__(self):
        if self.save_strategy == "same":
            self.save_strategy = self.eval_strategy
        if self.save_steps is None:
            self.save_steps = self.eval_steps or 500
        super().__post_init__()


def parse_args(*dataclasses, argv=None):
    """Parse argv (default sys.argv[1:]) into the given dataclasses; a single .json argument is a config file."""
    parser = HfArgumentParser(dataclasses)
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) == 1 and argv[0].endswith(".json"):
        return parser.parse_json_file(argv[0])
    return parser.parse_args_into_dataclasses(args=argv)


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
                "NAME[:CONFIG] (its train split's 'text' column)."})
    mlm_weight: float | None = field(default=None, metadata={
        "help": "MLM's share of the batches, in (0, 1); default: sampled like any task by its size."})
    task_kind: str | None = field(default=None, metadata={
        "help": "--task custom: the kind of the task.",
        "choices": ["classification", "multiple_choice", "span_qa", "tagging"]})
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
    """run_intermediate.py and run_target.py: code-switching augmentation of the English training data."""
    augment: str | None = field(default=None, metadata={
        "help": "'codeswitch': replace a share of the training text's words by dictionary translations.",
        "choices": ["codeswitch"]})
    dictionaries: str | None = field(default=None, metadata={
        "help": "Directory of MUSE bilingual dictionaries en-<lang>.txt ('source target' per line)."})
    augment_ratio: float = field(default=0.3, metadata={
        "help": "Share of each example's dictionary words replaced (of those with an entry), rounded half up."})
    augment_languages: str | None = field(default=None, metadata={
        "help": "Comma list of languages to switch into (e.g. fi,sw); one drawn per word."})
