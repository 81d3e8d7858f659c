"""The paper's table: per base model, target task and configuration, the mean and standard deviation over seeds of
the split's average over the languages each run evaluated (QA: (EM + F1) / 2), the difference to the baseline with
its 95% interval (the significance section's), and a note on runs with fewer or other languages than the task's."""
from reporting import render
from reporting.runs import BASELINE
from reporting.section import Section
from reporting.sections import settings, significance
from reporting.stats import diff, mean, std, with_intervals
from tasks import TASKS, resolve_languages


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


def rows(context) -> list:
    """One row per (base model, intermediate, target), in report order (without intervals)."""
    groups, out = context.groups, []
    for (base, intermediate, task), runs in groups.items():
        values = [run.average for run in runs]
        baseline = groups.get((base, BASELINE, task), []) if intermediate != BASELINE else []
        out.append({"base_model": base, "target": task, "intermediate": intermediate, "n_seeds": len(values),
                    "seeds": " ".join(sorted(str(run.seed) for run in runs)), "mean": mean(values),
                    "std": std(values), "delta": diff(mean(values), mean(run.average for run in baseline)),
                    "languages": languages_note(task, runs)})
    return out


def setting_rows(context) -> list:
    """The transfer settings of the configurations that have them (few-shot K, translate-test: Run.settings), one
    row each, "<intermediate> [<setting>]": the mean over seeds of each run's average over the setting's languages,
    the difference to the same runs' zero-shot average over those languages as delta."""
    out = []
    for (base, intermediate, task), runs in context.groups.items():
        names = sorted({name for run in runs for name in run.settings}, key=settings.setting_order)
        for name in names:
            having = [run for run in runs if name in run.settings]
            values = [mean(run.settings[name].values()) for run in having]
            zero = [mean(run.scores[lang] for lang in run.settings[name] if lang in run.scores) for run in having]
            out.append({"base_model": base, "target": task, "intermediate": f"{intermediate} [{name}]",
                        "setting": name, "n_seeds": len(values),
                        "seeds": " ".join(sorted(str(run.seed) for run in having)), "mean": mean(values),
                        "std": std(values), "delta": diff(mean(values), mean(v for v in zero if v is not None)),
                        "languages": f"{name}: {len(having[0].settings[name])} languages (training languages out)"})
    return out


def markdown(paper) -> str:
    text = ("## The paper's table\n\nMean ± standard deviation over seeds of the test average over the languages "
            "each run evaluated (QA: (EM + F1) / 2); in brackets the difference to the baseline. Averages over other "
            "languages than the task's (XTREME's) are listed below each table. The difference's 95% interval (a "
            f"paired bootstrap over test examples and seeds, \"Significance\" below) follows it; "
            f"{render.NOT_SIGNIFICANT} marks one that includes 0. A row `<intermediate> [<setting>]` is a transfer "
            "setting of that configuration (few-shot K, translate-test; \"Transfer settings\" below): in brackets its "
            "difference to the same runs' zero-shot average over the same languages, with its interval from the same "
            "paired bootstrap (the shot sets resampled as seeds; the difference is then the paired one, over the "
            "languages every seed has and the examples both sides scored).\n")
    for base, base_rows in render.by_base(paper):
        columns, lines = render.pivot(base_rows, "target")
        text += f"\n### Base model `{base}`\n\n" + render.markdown_table(["intermediate"] + columns, lines)
        notes = [f"- {r['target']}, {r['intermediate']}: {r['languages']}" for r in base_rows if r["languages"]]
        text += ("\nLanguages:\n\n" + "\n".join(notes) + "\n") if notes else ""
    return text


def build(context) -> Section:
    intervals = context.shared(significance.intervals)
    key = lambda r: (r["base_model"], r["target"], r["intermediate"], "avg")  # noqa: E731
    paper = with_intervals(context.shared(rows), intervals, key)
    extra = {}
    for row in with_intervals(setting_rows(context), intervals, key):  # each after its configuration's row
        if key(row) in intervals:  # the difference its interval is of (the languages and examples it paired)
            row["delta"] = intervals[key(row)]["difference"]
        extra.setdefault((row["base_model"], row["target"], row["intermediate"].split(" [")[0]), []).append(row)
    paper = [r for row in paper for r in (row, *extra.get((row["base_model"], row["target"], row["intermediate"]),
                                                          ()))]
    return Section(markdown(paper), {"paper_table": paper})
