#!/usr/bin/env python
"""Read every run under RUNS_DIR; write the paper's table, the XTREME score, per-language and per-family results
(Markdown and CSV) and PNG plots.

    python scripts/report.py runs [--output_dir runs/report] [--split test]

A run is a folder holding DONE, metrics.json or run_config.json (DESIGN.md "Outputs"). Its base model,
intermediate task, target task and seed come from run_config.json (`base_model`, `intermediate_task`, `task`,
`seed`). Where a field is missing: a target run inside an intermediate run's folder (`<intermediate>/<target>`,
the pipeline's layout) belongs to that intermediate task, any other to the baseline; the base model is the
`model_name_or_path` the chain started from; a `seed<k>` folder gives the seed. Runs without DONE are listed as
unfinished and unreadable ones as corrupted; neither is averaged in. Scores are the split's average over
languages of the task's metric; QA uses (EM + F1) / 2 ("avg" when the run wrote it).
"""
import argparse
import os
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tasks import TASKS  # noqa: E402
from utils.languages import GROUPINGS, get_language  # noqa: E402
from utils.results import is_done, read_json  # noqa: E402

BASELINE = "baseline"
CATEGORIES = {"classification": ("xnli", "pawsx"), "structured prediction": ("udpos", "panx"),
              "question answering": ("xquad", "mlqa", "tydiqa"), "retrieval": ("bucc", "tatoeba")}
XTREME_TASKS = tuple(task for tasks in CATEGORIES.values() for task in tasks)
TASK_ORDER = XTREME_TASKS + ("xcopa",)
RUN_FILES = ("DONE", "metrics.json", "run_config.json")
EM_NAMES = ("exact_match", "exact", "em")


@dataclass
class Run:
    path: str                          # relative to RUNS_DIR
    status: str = "finished"           # finished | unfinished | corrupted | duplicate
    problem: str = ""
    base_model: str = ""
    intermediate: str = ""             # BASELINE, or the intermediate task(s), e.g. "mnli+squad"
    task: str = ""
    seed: object = None
    is_target: bool = True             # False for the intermediate run itself
    scores: dict = field(default_factory=dict)   # language -> headline score on the chosen split

    @property
    def average(self):
        return mean(self.scores.values())


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else None


def std(values):
    """Sample standard deviation over seeds; None for fewer than two."""
    values = list(values)
    return statistics.stdev(values) if len(values) > 1 else None


def diff(a, b):
    return None if a is None or b is None else a - b


# ---------------------------------------------------------------- reading runs
def find_run_dirs(root: Path, exclude: Path):
    exclude = exclude.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        has_checkpoint = any(name.startswith("checkpoint-") for name in dirnames)
        dirnames[:] = sorted(name for name in dirnames if not (
            name in ("encoder", "predictions") or name.startswith((".", "checkpoint-"))
            or (here / name).resolve() == exclude))
        if has_checkpoint or any(name in filenames for name in RUN_FILES):
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
    return spec is None or spec.is_target or spec.kind == "retrieval"


def path_seed(run_dir: Path):
    for part in reversed(run_dir.parts):
        match = re.fullmatch(r"seed[_-]?(\d+)", part)
        if match:
            return int(match.group(1))
    return None


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
    """Fill in base model, intermediate task and seed from run_config.json, else from the folder layout."""
    parent_dir = run_dir.parent
    try:
        parent = read_object(parent_dir / "run_config.json", optional=True)
    except ValueError:
        parent = {}
    own_encoder = (run_dir / "encoder").is_dir() or bool(config.get("intermediate_tasks"))
    run.is_target = is_target_task(run.task) and not own_encoder
    start = config
    if run.is_target:
        inside_intermediate = bool(parent) or (parent_dir / "encoder").is_dir()
        default = (own_tasks(parent) or parent_dir.name) if inside_intermediate else BASELINE
        run.intermediate = config_name(config.get("intermediate_task", default))
        start = parent if run.intermediate != BASELINE else config
    else:
        run.intermediate = config_name(own_tasks(config) or run.task)
    run.base_model = str(config.get("base_model") or setting(start, "model_name_or_path") or "unknown")
    seed = setting(config, "seed")
    run.seed = seed if seed is not None else path_seed(run_dir)


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
        run.scores = language_scores(per_language, split, metric, where)
    except (OSError, ValueError, TypeError, AttributeError) as error:
        run.status, run.problem = "corrupted", str(error)
    return run


def collect(root: Path, exclude: Path, split: str) -> list:
    runs = [load_run(run_dir, root, split) for run_dir in find_run_dirs(root, exclude)]
    seen = {}
    for run in runs:
        key = (run.base_model, run.intermediate, run.task, run.seed, run.is_target)
        if run.status == "finished" and key in seen:
            run.status, run.problem = "duplicate", f"same base model, intermediate, task and seed as {seen[key]}"
        elif run.status == "finished":
            seen[key] = run.path
    return runs


# ---------------------------------------------------------------- tables
def task_rank(task):
    return (TASK_ORDER.index(task), "") if task in TASK_ORDER else (len(TASK_ORDER), task)


def config_rank(intermediate):
    return (intermediate != BASELINE, intermediate)


def group_configs(runs) -> dict:
    """(base model, intermediate, target) -> finished target runs, in report order."""
    groups = defaultdict(list)
    for run in runs:
        if run.status == "finished" and run.is_target:
            groups[(run.base_model, run.intermediate, run.task)].append(run)
    order = sorted(groups, key=lambda k: (k[0], task_rank(k[2]), config_rank(k[1])))
    return {key: groups[key] for key in order}


def paper_rows(groups: dict) -> list:
    rows = []
    for (base, intermediate, task), runs in groups.items():
        values = [run.average for run in runs]
        baseline = groups.get((base, BASELINE, task), []) if intermediate != BASELINE else []
        rows.append({"base_model": base, "target": task, "intermediate": intermediate, "n_seeds": len(values),
                     "seeds": " ".join(sorted(str(run.seed) for run in runs)), "mean": mean(values),
                     "std": std(values), "delta": diff(mean(values), mean(run.average for run in baseline))})
    return rows


def task_languages(task, runs):
    found = {lang for run in runs for lang in run.scores}
    spec = TASKS.get(task)
    known = list(spec.languages) + list(spec.xtreme_r_languages) if spec else []
    return [lang for lang in known if lang in found] + sorted(found - set(known))


def language_rows(groups: dict) -> list:
    rows = []
    for (base, intermediate, task), runs in groups.items():
        baseline = groups.get((base, BASELINE, task), []) if intermediate != BASELINE else []
        for lang in task_languages(task, runs):
            values = [run.scores[lang] for run in runs if lang in run.scores]
            reference = [run.scores[lang] for run in baseline if lang in run.scores]
            rows.append({"base_model": base, "target": task, "intermediate": intermediate, "language": lang,
                         "name": get_language(lang).name, "n_seeds": len(values), "mean": mean(values),
                         "std": std(values), "delta": diff(mean(values), mean(reference))})
    return rows


def group_stats(base, task, intermediate, grouping, group, rows) -> dict:
    scores = {row["language"]: row["mean"] for row in rows}
    worst, best = min(scores, key=scores.get), max(scores, key=scores.get)
    deltas = [row["delta"] for row in rows if row["delta"] is not None]
    return {"base_model": base, "target": task, "grouping": grouping, "group": group, "intermediate": intermediate,
            "n_languages": len(scores), "languages": " ".join(scores), "mean": mean(scores.values()),
            "delta": mean(deltas), "worst_language": worst, "worst": scores[worst],
            "gap": scores[best] - scores[worst], "std": statistics.pstdev(scores.values())}


def group_rows(lang_rows: list) -> list:
    """Per language family, genus and script: mean, mean difference to the baseline, worst language,
    best-worst gap and standard deviation over the group's languages."""
    cells = defaultdict(list)
    for row in lang_rows:
        for grouping in GROUPINGS:
            group = getattr(get_language(row["language"]), grouping)
            cells[(row["base_model"], row["target"], row["intermediate"], grouping, group)].append(row)
    order = sorted(cells, key=lambda k: (k[0], task_rank(k[1]), GROUPINGS.index(k[3]), k[4], config_rank(k[2])))
    return [group_stats(*key, cells[key]) for key in order]


def xtreme_rows(paper: list) -> list:
    """Per configuration: each XTREME task's mean, each category's mean, and the XTREME score (the mean over
    the tasks present, as in the XTREME paper), with its difference to the baseline on the same tasks."""
    means = {(r["base_model"], r["intermediate"], r["target"]): r["mean"] for r in paper}
    rows = {}
    for base, intermediate, _ in means:
        scores = {task: means[(base, intermediate, task)] for task in XTREME_TASKS
                  if (base, intermediate, task) in means}
        if scores and (base, intermediate) not in rows:
            row = {"base_model": base, "intermediate": intermediate, **{t: scores.get(t) for t in XTREME_TASKS}}
            row.update({cat: mean(scores[t] for t in tasks if t in scores) for cat, tasks in CATEGORIES.items()})
            row.update({"n_tasks": len(scores), "xtreme": mean(scores.values()), "tasks": set(scores)})
            rows[(base, intermediate)] = row
    for (base, intermediate), row in rows.items():
        baseline = rows.get((base, BASELINE))
        same_tasks = intermediate != BASELINE and baseline is not None and baseline["tasks"] == row["tasks"]
        row["delta"] = diff(row["xtreme"], baseline["xtreme"]) if same_tasks else None
    return [{k: v for k, v in row.items() if k != "tasks"} for row in rows.values()]


def base_model_rows(paper: list) -> list:
    """(intermediate, target) -> mean and difference to the baseline per base model; [] for one base model."""
    bases = sorted({row["base_model"] for row in paper})
    if len(bases) < 2:
        return []
    rows = {}
    for row in paper:
        out = rows.setdefault((row["intermediate"], row["target"]),
                              {"intermediate": row["intermediate"], "target": row["target"]})
        out[f"{row['base_model']} mean"], out[f"{row['base_model']} delta"] = row["mean"], row["delta"]
    order = sorted(rows, key=lambda k: (task_rank(k[1]), config_rank(k[0])))
    columns = [f"{base} {what}" for base in bases for what in ("mean", "delta")]
    return [{**rows[key], **{c: rows[key].get(c) for c in columns}} for key in order]


def run_rows(runs: list) -> list:
    return [{"path": run.path, "status": run.status, "base_model": run.base_model,
             "intermediate": run.intermediate if run.is_target else "", "task": run.task, "seed": run.seed,
             "role": "target" if run.is_target else "intermediate",
             "average": run.average if run.status == "finished" else None, "problem": run.problem}
            for run in runs]


def build_tables(runs: list) -> dict:
    groups = group_configs(runs)
    paper = paper_rows(groups)
    languages = language_rows(groups)
    return {"paper_table": paper, "xtreme_score": xtreme_rows(paper), "per_language": languages,
            "per_group": group_rows(languages), "base_models": base_model_rows(paper), "runs": run_rows(runs)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs_dir", help="folder holding the runs (searched recursively)")
    parser.add_argument("--output_dir", help="where the report goes (default: RUNS_DIR/report)")
    parser.add_argument("--split", default="test", help="split whose scores are reported (default: test)")
    return parser.parse_args(argv)


def main(argv=None):
    import report_render  # scripts/report_render.py: Markdown, CSV and PNG writing
    args = parse_args(argv)
    root = Path(args.runs_dir)
    if not root.is_dir():
        sys.exit(f"report.py: RUNS_DIR {root} is not a folder")
    out = Path(args.output_dir) if args.output_dir else root / "report"
    runs = collect(root, out, args.split)
    tables = build_tables(runs)
    written = report_render.write_report(out, tables, args.split)
    counts = {status: sum(run.status == status for run in runs) for status in
              ("finished", "unfinished", "corrupted", "duplicate")}
    print(", ".join(f"{n} {status}" for status, n in counts.items()) + f" runs; wrote {len(written)} files "
          f"to {out} (start with {out / 'report.md'})")
    return tables


if __name__ == "__main__":
    main()
