"""Is a variant's gain over the baseline fair across languages? Per (base model, target, variant): the gain per
language (mean over the variant's seeds minus the mean over the baseline's), the worst-served language, the worst-
and best-served language family, genus and script (utils/languages.py: a group's gain is the mean over its
languages), the gap between those two groups, and the Spearman correlation of the gain with the language's share
of XLM-R's pretraining data (CC-100 GiB, the language registry's cc100_gib, utils/languages.py: languages
without one are left out, and the summary says how many it used). English, the training language, is left out:
its gain is no transfer.
"""
from reporting.runs import BASELINE
from reporting.section import Section
from reporting.stats import mean, spearman
from utils.languages import GROUPINGS, cc100_gib, group_of, same_language

SOURCE_LANGUAGES = ("en",)


def gains(variant_runs, baseline_runs, exclude=SOURCE_LANGUAGES) -> dict:
    """language -> mean score of the variant's runs minus the baseline's, for the languages both have."""
    def scores(runs):
        langs = {lang for run in runs for lang in run.scores if not any(same_language(lang, e) for e in exclude)}
        return {lang: mean(run.scores[lang] for run in runs if lang in run.scores) for lang in langs}
    variant, baseline = scores(variant_runs), scores(baseline_runs)
    return {lang: variant[lang] - baseline[lang] for lang in sorted(variant) if lang in baseline}


def size_correlation(gain: dict, sizes=None):
    """(rho, languages used) of the gain against the pretraining data size ({lang: GiB}; default: the language
    registry's CC-100 sizes), over the languages sizes has (rho: stats.spearman, None below 3 languages or when
    either side is constant)."""
    if sizes is None:
        sizes = {lang: cc100_gib(lang) for lang in gain if cc100_gib(lang) is not None}
    langs = [lang for lang in gain if lang in sizes]
    return spearman([gain[lang] for lang in langs], [sizes[lang] for lang in langs]), len(langs)


def fairness_summary(gain: dict, sizes=None) -> dict:
    """The summary of one variant's per-language gains (see the module's docstring)."""
    worst, best = min(gain, key=gain.get), max(gain, key=gain.get)
    summary = {"n_languages": len(gain), "worst_language": worst, "worst_gain": gain[worst],
               "best_language": best, "best_gain": gain[best]}
    for grouping in GROUPINGS:
        members = {}
        for lang, value in gain.items():
            members.setdefault(group_of(lang, grouping), []).append(value)
        group_gain = {group: mean(values) for group, values in members.items()}
        low, high = min(group_gain, key=group_gain.get), max(group_gain, key=group_gain.get)
        summary.update({f"worst_{grouping}": low, f"worst_{grouping}_gain": group_gain[low],
                        f"best_{grouping}": high, f"best_{grouping}_gain": group_gain[high],
                        f"{grouping}_gap": group_gain[high] - group_gain[low], f"{grouping}_groups": len(group_gain)})
    rho, used = size_correlation(gain, sizes)
    summary.update({"cc100_spearman": rho, "cc100_languages": used})
    return summary


def fairness_rows(groups, exclude=SOURCE_LANGUAGES) -> list:
    """groups: (base model, intermediate, target) -> finished target runs (reporting.runs.group_configs)."""
    rows = []
    for (base, intermediate, task), variant_runs in groups.items():
        baseline = groups.get((base, BASELINE, task))
        gain = gains(variant_runs, baseline, exclude) if intermediate != BASELINE and baseline else {}
        if gain:
            rows.append({"base_model": base, "target": task, "intermediate": intermediate, **fairness_summary(gain)})
    return rows


def fairness_table(groups, exclude=SOURCE_LANGUAGES) -> tuple:
    """(Markdown, rows) of the fairness summaries of groups (reporting.runs.group_configs)."""
    rows = fairness_rows(groups, exclude)
    lines = ["## Fairness of the gains over the baseline", "",
             "Gain = variant minus baseline (points, mean over seeds) per language, "
             f"{', '.join(exclude) or 'no language'} left out. A group's gain is the mean over its languages; gap = "
             "best-served minus worst-served group. rho: Spearman correlation of the gain with the language's CC-100 "
             "size (XLM-R's pretraining data, Conneau et al. 2020, Table 6), over the languages that table has.", "",
             "| base model | target | intermediate | worst language | " +
             " | ".join(f"{g}: worst / best (gap)" for g in GROUPINGS) + " | rho with CC-100 (languages) |",
             "|---" * (5 + len(GROUPINGS)) + "|"]
    for r in rows:
        groups = [f"one group: {r[f'worst_{g}']}" if r[f"{g}_groups"] == 1 else
                  f"{r[f'worst_{g}']} {r[f'worst_{g}_gain']:+.2f} / {r[f'best_{g}']} {r[f'best_{g}_gain']:+.2f} "
                  f"({r[f'{g}_gap']:.2f})" for g in GROUPINGS]
        rho = "n/a" if r["cc100_spearman"] is None else f"{r['cc100_spearman']:+.2f}"
        lines.append(f"| {r['base_model']} | {r['target']} | {r['intermediate']} | {r['worst_language']} "
                     f"{r['worst_gain']:+.2f} | " + " | ".join(groups) +
                     f" | {rho} ({r['cc100_languages']} of {r['n_languages']}) |")
    return "\n".join(lines) + "\n", rows


def build(context) -> Section:
    markdown, rows = fairness_table(context.groups)
    return Section(markdown if rows else "", {"fairness": rows})
