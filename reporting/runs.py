"""The runs a report reads, collected and grouped once: which folders are runs, their status (finished,
unfinished, corrupted, duplicate), each finished run's base model, intermediate task, target task, seed and
per-language scores, and the one order of tasks (the registry's) and of configurations every section uses.

Every fact about a run comes from its own run_config.json, as the runner writes it (engine/runner.py `provenance`
and utils/results.run_config): `base_model`, `intermediate_task` (the intermediate task(s) its encoder was trained
on; "none" for a baseline), `seed`, and `arguments` (the command line: `variant`, `tasks`). Nothing is read back
from folder names. A field that is missing gives "unknown" (base model), the baseline (intermediate task) or no
seed. A run is an intermediate run when its task is not a target task, when it trained several tasks
(`intermediate_tasks`) or when it wrote an encoder (`<run>/encoder`, what run_intermediate.py saves).
"""
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from reporting.stats import mean
from tasks import TASKS, resolve_languages
from tasks.kinds import kind_of
from tasks.spec import SPLITS
from utils.results import few_shot_split, is_done, is_setting, read_json

BASELINE = "baseline"
BENCHMARKS = tuple(dict.fromkeys(name for spec in TASKS.values() for name in spec.benchmarks))  # xtreme, xtreme_r
RUN_FILES = ("DONE", "metrics.json", "run_config.json")
AUTO_SOURCE = "auto"  # run_target.py --train_languages auto (engine/sources.py)

EM_NAMES = ("exact_match", "exact", "em")


@dataclass
class Run:
    path: str                          # relative to RUNS_DIR
    status: str = "finished"           # finished | unfinished | corrupted | duplicate
    problem: str = ""
    base_model: str = ""
    source: str = "en"                 # the training language(s): --train_languages ("auto": one per language)
    intermediate_task: str = ""        # the encoder's intermediate task(s), whatever the variant's name
    intermediate: str = ""             # BASELINE, or the intermediate task(s), e.g. "mnli+squad"
    variant: str = ""                  # the name it was run under (intermediate, before method_baselines)
    task: str = ""
    seed: object = None
    is_target: bool = True             # False for the intermediate run itself
    scores: dict = field(default_factory=dict)   # language -> headline score on the chosen split
    extra: dict = field(default_factory=dict)    # --extra_eval sets: NAME -> language -> headline score
    settings: dict = field(default_factory=dict)  # transfer settings beside zero-shot: NAME -> language -> score
    shot_sets: dict = field(default_factory=dict)  # few-shot: fewshot<K> -> language -> [each shot set's score]
    sources: dict = field(default_factory=dict)   # --train_languages auto: language -> the source it trained on
    cost: dict = field(default_factory=dict)     # run_config.json's "cost" record (utils/cost.py); {} if none
    training: str = "full"                       # full, lora, "lora + language adapters" (run_config.json)
    data: list = field(default_factory=list)     # run_config.json's "data" records that differ from the official

    @property
    def average(self):
        return mean(self.scores.values()) if self.scores else None  # None: a run that scores nothing (MLM alone)


def find_run_dirs(root: Path, exclude: Path):
    exclude = exclude.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        has_checkpoint = any(name.startswith("checkpoint-") for name in dirnames)
        is_run = any(name in filenames for name in RUN_FILES)
        dirnames[:] = sorted(name for name in dirnames if not (
            name in ("encoder", "predictions") or name.startswith((".", "checkpoint-"))
            or (name == "sources" and is_run)  # a --train_languages auto run's per-source runs (merged in it)
            or (here / name).resolve() == exclude))
        if has_checkpoint or is_run:
            yield here


def read_object(path: Path, optional=False) -> dict:
    if optional and not path.is_file():
        return {}
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(doc).__name__}")
    return doc


def get_field(doc: dict, key, where: str):
    if not isinstance(doc, dict) or key not in doc:
        raise ValueError(f"{where}: missing field {key!r}")
    return doc[key]


def headline(scores: dict, metric: str) -> float:
    """A task's one number: "avg" when present, QA's (EM + F1) / 2, else the task's metric."""
    if "avg" in scores:
        return float(scores["avg"])
    em = next((scores[name] for name in EM_NAMES if name in scores), None)
    if em is not None and "f1" in scores:
        return (float(em) + float(scores["f1"])) / 2
    if metric not in scores:
        raise ValueError(f"no {metric!r} score (found: {', '.join(scores) or 'none'})")
    return float(scores[metric])


def config_name(value) -> str:
    """intermediate_task as written by the runner -> one name; None/'none'/'' -> the baseline."""
    if isinstance(value, (list, tuple)):
        value = "+".join(map(str, value))
    value = str(value or "").replace(",", "+").strip()
    return BASELINE if value.lower() in ("", "none", BASELINE) else value


def is_target_task(name: str) -> bool:
    spec = TASKS.get(name)
    return spec is None or spec.is_target or kind_of(spec).script == "run_retrieval.py"


def setting(config: dict, key: str):
    """A run_config.json value: a top-level field, else one of the recorded command-line arguments."""
    if key in config:
        return config[key]
    arguments = config.get("arguments")
    return arguments.get(key) if isinstance(arguments, dict) else None


def own_tasks(config: dict):
    """The task(s) an intermediate run trained on (several for multi-task training)."""
    return config.get("intermediate_tasks") or setting(config, "tasks") or config.get("task")


def describe(run: Run, run_dir: Path, config: dict):
    """Fill in base model, intermediate task (or the variant naming the run's configuration) and seed from the
    run's run_config.json."""
    own_encoder = (run_dir / "encoder").is_dir() or bool(config.get("intermediate_tasks"))
    run.is_target = is_target_task(run.task) and not own_encoder
    variant = setting(config, "variant")  # an experiment's variant names the run
    if run.is_target:
        run.intermediate = config_name(variant or config.get("intermediate_task"))
    else:
        run.intermediate = config_name(variant or own_tasks(config) or run.task)
    run.variant = run.intermediate
    run.base_model = model_name(config.get("base_model") or "unknown")
    run.source = str(setting(config, "train_languages") or setting(config, "mlm_language") or "en")
    run.intermediate_task = config_name(config.get("intermediate_task")) if run.is_target else run.intermediate
    if run.is_target and run.source == AUTO_SOURCE:  # sources chosen per language: compared in sections/settings.py
        run.intermediate = f"{run.intermediate} (source {AUTO_SOURCE})"
    run.seed = setting(config, "seed")


def model_name(model) -> str:
    """A hub id as it is (xlm-roberta-large, org/name); a local model folder by its folder name."""
    model = str(model)
    return Path(model).name if model.startswith(("/", "./", "../", "~")) else model


def language_scores(per_language: dict, split: str, metric: str, where: str) -> dict:
    scores = {}
    for lang, values in per_language.items():
        if split in values:
            try:
                scores[lang] = headline(values[split], metric)
            except (ValueError, TypeError, AttributeError) as error:
                raise ValueError(f"{where}: per_language/{lang}/{split}: {error}") from None
    if not scores:
        raise ValueError(f"{where}: no {split!r} scores in per_language (see --split)")
    return scores


def extra_scores(per_language: dict, metric: str, where: str) -> dict:
    """The headline scores of the splits beyond train/validation/test: --extra_eval sets and transfer settings."""
    names = [name for values in per_language.values() for name in values if name not in SPLITS]
    return {name: language_scores(per_language, name, metric, where) for name in dict.fromkeys(names)}


def shot_set_scores(metrics: dict, metric: str) -> dict:
    """metrics.json "few_shot" ({K: {lang: [metrics of each set]}}) -> {fewshot<K>: {lang: [headline scores]}}."""
    few = metrics.get("few_shot") or {}
    return {few_shot_split(k): {lang: [headline(scores, metric) for scores in sets] for lang, sets in languages.items()}
            for k, languages in few.items()}


def load_run(run_dir: Path, root: Path, split: str) -> Run:
    """A finished run's scores on the split (an intermediate run without it: its English dev scores)."""
    run = Run(str(run_dir.relative_to(root)))
    if not is_done(run_dir):
        run.status, run.problem = "unfinished", "no DONE marker"
        return run
    try:
        config = read_object(run_dir / "run_config.json", optional=True)
        where = str(run_dir / "metrics.json")
        metrics = read_object(run_dir / "metrics.json")
        run.task, metric, per_language = (get_field(metrics, key, where) for key in ("task", "metric", "per_language"))
        describe(run, run_dir, config)
        if not run.is_target and not any(split in values for values in per_language.values()):
            split = "validation"
        if not run.is_target and not per_language and "mlm_loss" in metrics:  # MLM alone (a language adapter):
            run.scores = {}  # nothing scored; its cost counts for its variant (sections/cost.py)
        else:
            run.scores = language_scores(per_language, split, metric, where)
        extra = extra_scores(per_language, metric, where)
        run.settings = {name: scores for name, scores in extra.items() if is_setting(name)}
        run.extra = {name: scores for name, scores in extra.items() if not is_setting(name)}
        run.shot_sets = shot_set_scores(metrics, metric)
        run.sources = {lang: choice.get("source") for lang, choice in (metrics.get("sources") or {}).items()}
        run.cost = config.get("cost") if isinstance(config.get("cost"), dict) else {}
        peft = config.get("peft")
        run.training = (peft.get("method") or "full") if isinstance(peft, dict) else "full"
        if config.get("language_adapters"):
            run.training += " + language adapters"
        if run.training != "full":  # a grid of its own, its own baseline: "xlm-roberta-large (lora)"
            run.base_model = f"{run.base_model} ({run.training})"
        run.data = [r for r in config.get("data") or [] if isinstance(r, dict) and r.get("differs")]
    except (OSError, ValueError, TypeError, AttributeError) as error:
        run.status, run.problem = "corrupted", str(error)
    return run


def collect(root: Path, exclude: Path, split: str) -> list:
    runs = [load_run(run_dir, root, split) for run_dir in find_run_dirs(root, exclude)]
    method_baselines(runs)
    seen = {}
    for run in runs:
        key = (run.base_model, run.intermediate, run.task, run.seed, run.is_target, run.source)
        if run.status == "finished" and key in seen:
            run.status, run.problem = "duplicate", (f"same base model, intermediate, task, seed and training "
                                                    f"languages as {seen[key]}")
        elif run.status == "finished":
            seen[key] = run.path
    return runs


def method_baselines(runs):
    """A grid of a training method ("m (lora)") that names no baseline but has one variant without an intermediate
    task (Q7's "lora", "lora_lang"): that variant is its baseline (renamed so, with the intermediate runs of that
    variant, e.g. its language adapters), so the grid's other variants are compared with it."""
    named, plain = set(), defaultdict(set)
    for run in runs:
        if run.status == "finished" and run.is_target and run.training != "full":
            if run.intermediate == BASELINE:
                named.add(run.base_model)
            elif run.intermediate_task == BASELINE:
                plain[run.base_model, unmarked_base(run)].add(run.intermediate)
    renamed = {(base, *variants) for (grid, base), variants in plain.items() if grid not in named and len(variants) == 1}
    for run in runs:  # the variant's runs of that method (its retrieval targets evaluate the base model as it is)
        if (run.training != "full" or not run.is_target) and (unmarked_base(run), run.intermediate) in renamed:
            run.intermediate = BASELINE


def unmarked_base(run) -> str:
    """The base model without the training method's note ("xlm-roberta-large (lora)": xlm-roberta-large)."""
    return run.base_model.removesuffix(f" ({run.training})")


# ---------------------------------------------------------------- grouping and order
def task_rank(task):
    """The registry's order of tasks; tasks outside it (custom tasks) last, by name."""
    return (list(TASKS).index(task), "") if task in TASKS else (len(TASKS), task)


def config_rank(intermediate):
    """The baseline first, then the intermediate tasks (or variants) by name."""
    return (intermediate != BASELINE, intermediate)


def group_configs(runs) -> dict:
    """(base model, intermediate, target) -> its finished target runs, in report order (base model, task,
    configuration)."""
    groups = {}
    for run in runs:
        if run.status == "finished" and run.is_target:
            groups.setdefault((run.base_model, run.intermediate, run.task), []).append(run)
    order = sorted(groups, key=lambda k: (k[0], task_rank(k[2]), config_rank(k[1])))
    return {key: groups[key] for key in order}


def benchmark_tasks(benchmark: str) -> dict:
    """category -> the benchmark's tasks in it, in registry order (TaskSpec.category, TaskSpec.benchmarks)."""
    categories = {}
    for name, spec in TASKS.items():
        if benchmark in spec.benchmarks:
            categories[spec.category] = categories.get(spec.category, ()) + (name,)
    return categories


def benchmark_languages(spec, benchmark: str) -> list:
    """A task's languages in a benchmark: XTREME's are the task's own (TaskSpec.languages); another benchmark's,
    the language set of its name (tasks.resolve_languages: "xtreme_r")."""
    return resolve_languages(spec, None if benchmark == "xtreme" else benchmark)
