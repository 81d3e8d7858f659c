"""The XTREME and XTREME-R scores (one table each, reporting.runs.BENCHMARKS): per configuration, each of the
benchmark's tasks averaged over the benchmark's languages only, each category's mean and the score (the mean over
the tasks present, as XTREME's evaluate.py), with the difference to the baseline on the same tasks and languages
and its 95% interval. A run evaluated on fewer of the benchmark's languages is marked ("partial: 2 of 15
languages"), and the tasks a category lacks are named."""
from reporting import render
from reporting.runs import BASELINE, BENCHMARKS, benchmark_languages, benchmark_tasks
from reporting.section import Section
from reporting.sections import significance
from reporting.stats import diff, mean, with_intervals
from tasks import TASKS

TITLES = {"xtreme": "XTREME", "xtreme_r": "XTREME-R"}


def task_score(runs, languages: list) -> tuple:
    """(mean over seeds of each run's average over `languages`, the languages averaged, the fewest one run had);
    a run with none of them is left out; the score is None when no run has any."""
    covered = [[lang for lang in languages if lang in run.scores] for run in runs]
    values = [mean(run.scores[lang] for lang in langs) for run, langs in zip(runs, covered) if langs]
    fewest = min((len(langs) for langs in covered if langs), default=0)
    return mean(values), frozenset(lang for langs in covered for lang in langs), fewest


def rows(groups: dict, benchmark: str) -> list:
    """Per configuration: the benchmark's tasks, each category's mean and the score, with its difference to the
    baseline on the same tasks and languages; `missing` names the tasks each category lacks, `partial` the runs on
    fewer languages."""
    categories = benchmark_tasks(benchmark)
    tasks = tuple(task for members in categories.values() for task in members)
    found = {}
    for (base, intermediate, task), runs in groups.items():
        if task in tasks:
            languages = benchmark_languages(TASKS[task], benchmark)
            score, covered, fewest = task_score(runs, languages)
            if score is not None:
                found.setdefault((base, intermediate), {})[task] = (score, covered, fewest, len(languages))
    out = {}
    for (base, intermediate), cells in found.items():
        scores = {task: cell[0] for task, cell in cells.items()}
        row = {"base_model": base, "intermediate": intermediate, **{t: scores.get(t) for t in tasks}}
        row.update({cat: mean(scores[t] for t in members if t in scores) for cat, members in categories.items()})
        row.update({"n_tasks": len(scores), benchmark: mean(scores.values()), "delta": None})
        row["missing"] = "; ".join(f"{cat}: {', '.join(t for t in members if t not in scores)}"
                                   for cat, members in categories.items() if set(members) - set(scores))
        row["partial"] = "; ".join(f"{task}: {fewest} of {n} languages" for task, (_, _, fewest, n) in cells.items()
                                   if fewest < n)
        out[(base, intermediate)] = (row, {task: cell[1] for task, cell in cells.items()})
    for (base, intermediate), (row, coverage) in out.items():
        baseline = out.get((base, BASELINE))
        if intermediate != BASELINE and baseline is not None and baseline[1] == coverage:
            row["delta"] = diff(row[benchmark], baseline[0][benchmark])
    return [row for row, _ in out.values()]


def partial_notes(row) -> dict:
    """row["partial"] ("xnli: 2 of 15 languages; ...") -> {task: "2 of 15 languages"}."""
    return dict(note.split(": ", 1) for note in row["partial"].split("; ")) if row["partial"] else {}


def cell(row, key, partial, benchmark) -> str:
    text = render.delta_text(row, 2) if key == "delta" and row[key] is not None else \
        render.fmt(row[key], signed=(key == "delta"))
    if row[key] is None:
        return text
    if key in partial:
        return f"{text} (partial: {partial[key]})"
    return f"{text} (partial)" if key == benchmark and partial else text


def markdown(score_rows, benchmark) -> str:
    """The benchmark's score table; a task averaged over fewer than the benchmark's languages says so."""
    if not score_rows:
        return ""
    title = TITLES.get(benchmark, benchmark)
    keys = [k for k in score_rows[0] if k not in ("base_model", "intermediate", "missing", "partial", "delta_low",
                                                 "delta_high", "significant")]
    lines = [[r["base_model"], r["intermediate"]] + [cell(r, k, partial_notes(r), benchmark) for k in keys]
             + [r["missing"] or "–"] for r in score_rows]
    return (f"## {title} score\n\nPer task (the mean over {title}'s languages of the task), per category and "
            f"overall (the mean over the tasks present, n_tasks); delta: difference to the baseline's score on the "
            f"same tasks and languages. \"partial: k of n languages\": the runs had only k of the task's n {title} "
            f"languages; missing: the tasks each category lacks.\n\n"
            + render.markdown_table(["base model", "intermediate"] + keys + ["missing"], lines))


def build(context) -> Section:
    intervals = context.shared(significance.intervals)
    tables = {f"{benchmark}_score": with_intervals(rows(context.groups, benchmark), intervals,
                                                   lambda r, b=benchmark: (r["base_model"], b, r["intermediate"], "avg"))
              for benchmark in BENCHMARKS}
    return Section("\n".join(filter(None, (markdown(tables[f"{b}_score"], b) for b in BENCHMARKS))), tables)
