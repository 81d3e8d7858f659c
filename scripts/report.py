#!/usr/bin/env python
"""Read every run under RUNS_DIR; write the paper's table, the XTREME and XTREME-R scores, per-language and
per-family results (Markdown and CSV) and PNG plots.

    python scripts/report.py runs [--output_dir runs/report] [--split test]

A run is a folder holding DONE, metrics.json or run_config.json (DESIGN.md "Outputs"). Its base model,
intermediate task, target task and seed come from run_config.json (`base_model`, `intermediate_task`, `task`,
`seed`). Where a field is missing: a target run inside an intermediate run's folder (`<intermediate>/<target>`,
the pipeline's layout) belongs to that intermediate task, any other to the baseline; the base model is the
`model_name_or_path` the chain started from; a `seed<k>` folder gives the seed. Runs without DONE are listed as
unfinished and unreadable ones as corrupted; neither is averaged in. Scores are the split's average over
languages of the task's metric; QA uses (EM + F1) / 2 ("avg" when the run wrote it).

The XTREME and XTREME-R scores take their tasks and categories from the registry (TaskSpec.benchmarks and
.category) and average each task over that benchmark's languages only (XTREME's: TaskSpec.languages; XTREME-R's:
tasks.resolve_languages(spec, "xtreme_r")). A run evaluated on fewer of them is marked ("partial: 2 of 15
languages"), and the tasks a category lacks are named; as in XTREME's evaluate.py, a category is the mean of its
tasks and the overall score the mean over the tasks (here: those present).
"""
import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_runs import BASELINE, collect, mean, report_folders  # noqa: E402  (scripts/report_runs.py)
from tasks import TASKS, resolve_languages  # noqa: E402
from utils.languages import GROUPINGS, get_language, group_of  # noqa: E402

BENCHMARKS = {"xtreme": None, "xtreme_r": "xtreme_r"}  # benchmark -> the --languages value giving its languages


def benchmark_categories(benchmark: str) -> dict:
    """category -> the benchmark's tasks in it, in registry order (TaskSpec.category, TaskSpec.benchmarks)."""
    categories = {}
    for name, spec in TASKS.items():
        if benchmark in spec.benchmarks:
            categories[spec.category] = categories.get(spec.category, ()) + (name,)
    return categories


CATEGORIES = {benchmark: benchmark_categories(benchmark) for benchmark in BENCHMARKS}
BENCHMARK_TASKS = {benchmark: tuple(task for tasks in categories.values() for task in tasks)
                   for benchmark, categories in CATEGORIES.items()}
XTREME_TASKS = BENCHMARK_TASKS["xtreme"]
TASK_ORDER = tuple(dict.fromkeys(XTREME_TASKS + BENCHMARK_TASKS["xtreme_r"]))


def std(values):
    """Sample standard deviation over seeds; None for fewer than two."""
    values = list(values)
    return statistics.stdev(values) if len(values) > 1 else None


def diff(a, b):
    return None if a is None or b is None else a - b


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


def languages_note(task, runs) -> str:
    """'' when every run has all of the task's languages (XTREME's) and no other, else e.g. "partial: 2 of 15
    languages" (the fewest one run had) and/or "+8 other languages" (XTREME-R's, or any outside the task's)."""
    if task not in TASKS:
        return ""
    default = set(resolve_languages(TASKS[task], None))
    fewest = min(len(default & set(run.scores)) for run in runs)
    others = len(set().union(*(run.scores for run in runs)) - default)
    notes = [f"partial: {fewest} of {len(default)} languages"] if fewest < len(default) else []
    return "; ".join(notes + ([f"+{others} other language{'s' * (others > 1)}"] if others else []))


def paper_rows(groups: dict) -> list:
    rows = []
    for (base, intermediate, task), runs in groups.items():
        values = [run.average for run in runs]
        baseline = groups.get((base, BASELINE, task), []) if intermediate != BASELINE else []
        rows.append({"base_model": base, "target": task, "intermediate": intermediate, "n_seeds": len(values),
                     "seeds": " ".join(sorted(str(run.seed) for run in runs)), "mean": mean(values),
                     "std": std(values), "delta": diff(mean(values), mean(run.average for run in baseline)),
                     "languages": languages_note(task, runs)})
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
            group = group_of(row["language"], grouping)
            cells[(row["base_model"], row["target"], row["intermediate"], grouping, group)].append(row)
    order = sorted(cells, key=lambda k: (k[0], task_rank(k[1]), GROUPINGS.index(k[3]), k[4], config_rank(k[2])))
    return [group_stats(*key, cells[key]) for key in order]


def task_score(runs, languages: list) -> tuple:
    """(mean over seeds of each run's average over `languages`, the languages averaged, the fewest one run had);
    a run with none of them is left out; the score is None when no run has any."""
    covered = [[lang for lang in languages if lang in run.scores] for run in runs]
    values = [mean(run.scores[lang] for lang in langs) for run, langs in zip(runs, covered) if langs]
    fewest = min((len(langs) for langs in covered if langs), default=0)
    return mean(values), frozenset(lang for langs in covered for lang in langs), fewest


def benchmark_rows(groups: dict, benchmark: str) -> list:
    """Per configuration: the benchmark's tasks (each averaged over the benchmark's languages), each category's
    mean and the score (the mean over the tasks present), with its difference to the baseline on the same tasks
    and languages; `missing` names the tasks each category lacks, `partial` the runs on fewer languages."""
    categories, tasks = CATEGORIES[benchmark], BENCHMARK_TASKS[benchmark]
    found = {}
    for (base, intermediate, task), runs in groups.items():
        if task in tasks:
            languages = resolve_languages(TASKS[task], BENCHMARKS[benchmark])
            score, covered, fewest = task_score(runs, languages)
            if score is not None:
                found.setdefault((base, intermediate), {})[task] = (score, covered, fewest, len(languages))
    rows = {}
    for (base, intermediate), cells in found.items():
        scores = {task: cell[0] for task, cell in cells.items()}
        row = {"base_model": base, "intermediate": intermediate, **{t: scores.get(t) for t in tasks}}
        row.update({cat: mean(scores[t] for t in members if t in scores) for cat, members in categories.items()})
        row.update({"n_tasks": len(scores), benchmark: mean(scores.values()), "delta": None})
        row["missing"] = "; ".join(f"{cat}: {', '.join(t for t in members if t not in scores)}"
                                   for cat, members in categories.items() if set(members) - set(scores))
        row["partial"] = "; ".join(f"{task}: {fewest} of {n} languages" for task, (_, _, fewest, n) in cells.items()
                                   if fewest < n)
        rows[(base, intermediate)] = (row, {task: cell[1] for task, cell in cells.items()})
    for (base, intermediate), (row, coverage) in rows.items():
        baseline = rows.get((base, BASELINE))
        if intermediate != BASELINE and baseline is not None and baseline[1] == coverage:
            row["delta"] = diff(row[benchmark], baseline[0][benchmark])
    return [row for row, _ in rows.values()]


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


def mark_significance(tables: dict, significance: list):
    """Each difference of the paper's table, the per-language table and the XTREME/XTREME-R scores gets its 95%
    interval (delta_low, delta_high) and whether it excludes 0 (significant), from report_stats' rows."""
    found = {(r["base_model"], r["target"], r["intermediate"], r["language"]): r for r in significance
             if r["difference"] is not None}
    keyed = [("paper_table", lambda r: (r["base_model"], r["target"], r["intermediate"], "avg")),
             ("per_language", lambda r: (r["base_model"], r["target"], r["intermediate"], r["language"])),
             ("xtreme_score", lambda r: (r["base_model"], "xtreme", r["intermediate"], "avg")),
             ("xtreme_r_score", lambda r: (r["base_model"], "xtreme_r", r["intermediate"], "avg"))]
    for name, key in keyed:
        for row in tables[name]:
            interval = found.get(key(row)) if row.get("delta") is not None else None
            row.update({"delta_low": interval and interval["low"], "delta_high": interval and interval["high"],
                        "significant": interval and interval["significant"]})


def analyses(runs: list, root: Path, split: str, tables: dict, out: Path) -> list:
    """The sections that answer the research questions (README "Research questions as experiments"): significance
    of every difference, typology (plots into out), fairness, cost, and the sets that differ from the official
    data (scripts/report_data.py); each adds its rows to tables."""
    import report_cost
    import report_data
    import report_domain
    import report_fairness
    import report_stats
    import report_typology
    sections = []
    markdown, tables["significance"] = report_stats.significance_table(runs, root, split)
    mark_significance(tables, tables["significance"])
    sections.append(markdown)
    markdown, tables["domain_shift"] = report_domain.domain_shift_table(runs)
    sections.append(markdown)
    gains = report_typology.gains_from_rows(tables["per_language"])
    if gains:
        out.mkdir(parents=True, exist_ok=True)
        markdown, tables["typology"] = report_typology.typology_section(gains, out)
        sections.append(markdown)
    markdown, tables["fairness"] = report_fairness.fairness_table(runs)
    sections.append(markdown if tables["fairness"] else "")
    markdown, tables["cost"] = report_cost.cost_section(runs, root)
    sections.append(markdown if tables["cost"] else "")
    markdown, tables["data_notes"] = report_data.data_section(runs)
    sections.append(markdown)
    return sections


def significance_summary(rows) -> list:
    """One line per difference to the baseline (language average): its interval and whether it is significant."""
    lines = []
    for r in rows:
        if r["language"] == "avg" and r["difference"] is not None:
            verdict = "significant" if r["significant"] else "not significant (the interval includes 0)"
            lines.append(f"  {r['target']}: {r['intermediate']} vs baseline ({r['base_model']}): "
                         f"{r['difference']:+.1f} points, 95% interval [{r['low']:+.1f}, {r['high']:+.1f}]: {verdict}")
    return (["Differences to the baseline (paired bootstrap, report.md \"Significance\"):"] + lines) if lines else []


def build_tables(runs: list) -> dict:
    groups = group_configs(runs)
    paper = paper_rows(groups)
    languages = language_rows(groups)
    return {"paper_table": paper, "xtreme_score": benchmark_rows(groups, "xtreme"),
            "xtreme_r_score": benchmark_rows(groups, "xtreme_r"), "per_language": languages,
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
    root, out = report_folders("report.py", args.runs_dir, args.output_dir)
    runs = collect(root, out, args.split)
    tables = build_tables(runs)
    sections = analyses(runs, root, args.split, tables, out)
    written = report_render.write_report(out, tables, args.split, sections)
    counts = {status: sum(run.status == status for run in runs) for status in
              ("finished", "unfinished", "corrupted", "duplicate")}
    print(", ".join(f"{n} {status}" for status, n in counts.items()) + f" runs; wrote {len(written)} files "
          f"to {out} (start with {out / 'report.md'})")
    for line in significance_summary(tables.get("significance", [])):
        print(line)
    return tables


if __name__ == "__main__":
    main()
