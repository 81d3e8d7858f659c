"""Per-language results (languages.md): per base model, target, configuration and language, the mean and standard
deviation over seeds and the difference to the baseline with its 95% interval; one bar plot per base model and
target (languages_<base>_<target>.png)."""
from functools import partial

from reporting import render
from reporting.runs import BASELINE
from reporting.section import Section
from reporting.sections import significance
from reporting.stats import diff, mean, std, with_intervals
from tasks import TASKS
from utils.languages import get_language


def task_languages(task, runs):
    """The languages the runs scored: the task's (XTREME's, then XTREME-R's) in registry order, then any other."""
    found = {lang for run in runs for lang in run.scores}
    spec = TASKS.get(task)
    known = list(spec.languages) + list(spec.xtreme_r_languages) if spec else []
    return [lang for lang in known if lang in found] + sorted(found - set(known))


def rows(context) -> list:
    """One row per (base model, intermediate, target, language) (without intervals)."""
    groups, out = context.groups, []
    for (base, intermediate, task), runs in groups.items():
        baseline = groups.get((base, BASELINE, task), []) if intermediate != BASELINE else []
        for lang in task_languages(task, runs):
            values = [run.scores[lang] for run in runs if lang in run.scores]
            reference = [run.scores[lang] for run in baseline if lang in run.scores]
            out.append({"base_model": base, "target": task, "intermediate": intermediate, "language": lang,
                        "name": get_language(lang).name, "n_seeds": len(values), "mean": mean(values),
                        "std": std(values), "delta": diff(mean(values), mean(reference))})
    return out


def markdown(lang_rows) -> str:
    text = "# Per-language results\n\nMean ± std over seeds; in brackets the difference to the baseline.\n"
    for base, base_rows in render.by_base(lang_rows):
        for task in render.unique(row["target"] for row in base_rows):
            columns, lines = render.pivot([r for r in base_rows if r["target"] == task], "language")
            text += f"\n## `{base}`: {task}\n\n" + render.markdown_table(["intermediate"] + columns, lines)
    return text


def language_bars(rows_of_task, title):
    """One bar per language and configuration (baseline and each intermediate task)."""
    plt = render.pyplot()
    configs, langs = render.unique(r["intermediate"] for r in rows_of_task), render.unique(r["language"]
                                                                                          for r in rows_of_task)
    width = 0.8 / len(configs)
    fig, ax = plt.subplots(figsize=(2 + 0.35 * len(langs) * max(1, len(configs) / 2), 3.5))
    for i, config in enumerate(configs):
        scores = {r["language"]: r["mean"] for r in rows_of_task if r["intermediate"] == config}
        xs = [j + i * width for j, lang in enumerate(langs) if lang in scores]
        ax.bar(xs, [scores[lang] for lang in langs if lang in scores], width, label=config)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(langs))], langs)
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def plots(lang_rows) -> dict:
    out = {}
    for base, base_rows in render.by_base(lang_rows):
        for task in render.unique(row["target"] for row in base_rows):
            out[f"languages_{render.slug(base)}_{task}.png"] = partial(
                language_bars, [r for r in base_rows if r["target"] == task], f"{base}: {task}")
    return out


def build(context) -> Section:
    lang_rows = with_intervals(context.shared(rows), context.shared(significance.intervals),
                               lambda r: (r["base_model"], r["target"], r["intermediate"], r["language"]))
    return Section(markdown(lang_rows), {"per_language": lang_rows}, plots(lang_rows), file="languages.md")
