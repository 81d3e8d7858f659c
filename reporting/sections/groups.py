"""Per language family, genus and script (groups.md): over the group's languages, the mean, the mean difference to
the baseline, the worst language, the best-worst gap and the standard deviation (utils/languages.py GROUPINGS)."""
import statistics
from collections import defaultdict

from reporting import render
from reporting.runs import config_rank, task_rank
from reporting.section import Section
from reporting.sections import languages
from reporting.stats import mean
from utils.languages import GROUPINGS, group_of


def group_stats(base, task, intermediate, grouping, group, lang_rows) -> dict:
    scores = {row["language"]: row["mean"] for row in lang_rows}
    worst, best = min(scores, key=scores.get), max(scores, key=scores.get)
    deltas = [row["delta"] for row in lang_rows if row["delta"] is not None]
    return {"base_model": base, "target": task, "grouping": grouping, "group": group, "intermediate": intermediate,
            "n_languages": len(scores), "languages": " ".join(scores), "mean": mean(scores.values()),
            "delta": mean(deltas), "worst_language": worst, "worst": scores[worst],
            "gap": scores[best] - scores[worst], "std": statistics.pstdev(scores.values())}


def rows(lang_rows: list) -> list:
    cells = defaultdict(list)
    for row in lang_rows:
        for grouping in GROUPINGS:
            group = group_of(row["language"], grouping)
            cells[(row["base_model"], row["target"], row["intermediate"], grouping, group)].append(row)
    order = sorted(cells, key=lambda k: (k[0], task_rank(k[1]), GROUPINGS.index(k[3]), k[4], config_rank(k[2])))
    return [group_stats(*key, cells[key]) for key in order]


def markdown(group_rows) -> str:
    text = ("# Per language family, genus and script\n\nOver the group's languages: mean, mean difference to "
            "the baseline (Δ), worst language, best-worst gap, standard deviation.\n")
    header = ["group", "languages", "intermediate", "mean", "Δ", "worst", "gap", "std"]
    for base, task, grouping in render.unique((r["base_model"], r["target"], r["grouping"]) for r in group_rows):
        lines = [[r["group"], r["languages"], r["intermediate"], render.fmt(r["mean"]),
                  render.fmt(r["delta"], signed=True), f"{r['worst_language']} {r['worst']:.1f}", render.fmt(r["gap"]),
                  render.fmt(r["std"])]
                 for r in group_rows if (r["base_model"], r["target"], r["grouping"]) == (base, task, grouping)]
        text += f"\n## `{base}`: {task} by {grouping}\n\n" + render.markdown_table(header, lines)
    return text


def build(context) -> Section:
    group_rows = rows(context.shared(languages.rows))
    return Section(markdown(group_rows), {"per_group": group_rows}, file="groups.md")
