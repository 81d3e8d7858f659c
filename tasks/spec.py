"""TaskSpec: everything the scripts need to know about one task, as data (behaviour: its kind, tasks/kind.py)."""
from dataclasses import dataclass, field

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Recipe:
    """How a task is trained by default: the paper's code, jiant's XTREME benchmark (its
    scripts/benchmarks/xtreme: lr 1e-5, batch 4 x 8 accumulation = 32, QA 4 x 4 = 16, evaluation every 1,000
    steps on 500 dev examples, stop after 30 evaluations without improvement). Any flag the user passes wins."""
    epochs: float = 3.0
    batch_size: int = 32          # effective batch: per-device batch x processes x gradient accumulation
    learning_rate: float = 1e-5
    eval_steps: int = 1000        # dev evaluation (and checkpoint) every N optimizer steps, and at the end
    selection_examples: int = 500  # the first N dev examples select the checkpoint
    patience: int = 30            # stop after N evaluations without improvement
    selects: bool = True          # a dev set selects the checkpoint (MLM alone has none: no evaluation, the last kept)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    kind: str                                    # the name of its kind (tasks.KINDS)
    metric: str                                  # the metric reported, e.g. "accuracy"
    languages: tuple = ("en",)                   # evaluation languages (the benchmark's codes, utils/languages.py)
    xtreme_r_languages: tuple = ()               # languages XTREME-R adds (used with --languages xtreme_r)
    hub_missing: tuple = ()                      # languages the hub copy lacks (local files only, --data_dir)
    train_task: str | None = None                # target tasks: the task whose English train/validation sets train it
    labels: tuple | None = None                  # label names (classification, tagging); None = read from training data
    hub_path: str | None = None                  # datasets hub id; None = local files only (e.g. CCGbank)
    hub_config: str | None = None                # config name; "{lang}" is filled in (after hub_lang_names mapping)
    hub_lang_names: dict = field(default_factory=dict)   # language code -> the name the hub config uses
    hub_splits: dict = field(default_factory=dict)       # our split -> hub split name, or a tuple to concatenate
    hub_columns: dict = field(default_factory=dict)      # our schema field -> hub column(s); meaning per kind
    hub_filter: tuple | None = None              # (column, "{lang}") keeps the rows of one language (XNLI, TyDiQA)
    max_seq_length: int = 128
    select_on: str | None = None                 # dev metric that selects checkpoints, if not `metric` (QA: avg)
    recipe: Recipe = Recipe()                    # default training recipe (epochs, effective batch, cadence)
    binary_f1: bool = False                      # classification: also F1 of the positive (second) label
    macro_f1: bool = False                       # classification: also macro-averaged F1 over the labels (SIB-200)
    no_answer: bool = False                      # span QA: unanswerable questions (SQuAD v2 scoring and threshold)
    qa_normalization: str = "squad"              # span QA: "squad" (v1.1 script) or "mlqa" (per-language rules)
    data_task: str | None = None                 # read the local files of this task instead (DIR/<data_task>/...)
    query_length: int | None = None              # dual encoder: tokens of a query (max_seq_length: of a candidate)
    pooling: str | None = None                   # dual encoder: "pooler" (XTREME-R's), "cls" or "mean"; None:
                                                 # the pooler where the encoder has one, else "cls"
    category: str | None = None                  # benchmark category (XTREME/XTREME-R scores), e.g. "retrieval"
    benchmarks: tuple = ()                       # the benchmarks the task belongs to: "xtreme", "xtreme_r"
    paper_intermediate: bool = False             # one of the paper's nine intermediate tasks (--tasks all)
    xtreme_name: str | None = None               # the task's name in XTREME's evaluate.py, if not `name`
    open_languages: bool = False                 # --languages may name codes beyond its lists: its kind resolves
                                                 # and checks them (Tatoeba: any of LASER's 112 languages)
    train_size: int | None = None                # English training examples of the hub copy (published; the
                                                 # cost model's, pipeline/cost.py); None = unknown
    hub_lang_splits: dict = field(default_factory=dict)  # lang -> our splits its hub config has, where they differ
                                                 # from the task's (udpos Thai: ("test",)); absent = all
    official_sizes: dict = field(default_factory=dict)   # split -> rows of the official data, an int (every
                                                 # language) or {lang: int}; from cited sources, absent = unknown
    hub_differs: dict = field(default_factory=dict)      # lang ("*": every language) -> how the hub copy's rows
                                                 # differ from the official data (logged, run_config.json, report)
    hub_size_note: str | None = None             # why a hub split's size differs from the official one, if known
    official_route: str | None = None            # how to get the official files (a prepare_data.py command)
    label_map: dict = field(default_factory=dict)        # target label (or IOB entity type) -> its training task's
                                                 # label it is evaluated as, where the two sets differ
                                                 # (MasakhaNER: {"DATE": "O"}); the registry checks it is total
    description: str = ""

    def __post_init__(self):
        for split in self.hub_splits:
            if split not in SPLITS:
                raise ValueError(f"task {self.name!r}: hub_splits key {split!r} is not one of {SPLITS}")
        for split in [*self.official_sizes, *(s for splits in self.hub_lang_splits.values() for s in splits)]:
            if split not in SPLITS:
                raise ValueError(f"task {self.name!r}: split {split!r} (official_sizes, hub_lang_splits) is not one "
                                 f"of {SPLITS}")

    @property
    def selection_metric(self) -> str:
        return self.select_on or self.metric

    @property
    def is_target(self) -> bool:
        return self.train_task is not None

    def hub_config_for(self, lang: str) -> str | None:
        if self.hub_config is None:
            return None
        return self.hub_config.format(lang=self.hub_lang_names.get(lang, lang))

    def hub_split(self, split: str):
        return self.hub_splits.get(split, split)

    def hub_has_split(self, split: str, lang: str) -> bool:
        """Whether the hub config of `lang` has our `split` (hub_lang_splits; every split where not listed)."""
        return split in self.hub_lang_splits.get(lang, SPLITS)

    def official_size(self, split: str, lang: str) -> int | None:
        """Rows of the official data of one split and language (official_sizes), or None where unknown."""
        size = self.official_sizes.get(split)
        return size.get(lang) if isinstance(size, dict) else size

    def hub_notes(self, lang: str) -> list[str]:
        """How the hub copy of `lang` differs from the official data (hub_differs), [] where it does not."""
        return [note for key in ("*", lang) for note in [self.hub_differs.get(key)] if note]
