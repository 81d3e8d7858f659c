"""Transfer settings side by side: zero-shot from English (the report's split) against the settings a target run
adds (run_target.py --few_shot K: `fewshot<K>`, --translate_test: `translate_test`; Run.settings of
reporting/runs.py) and the runs that chose their source language (--train_languages auto: `source_auto`).

One row per target task, base model, variant, language and setting: the setting's mean, its 95% interval, the
zero-shot mean and the gain (setting minus zero-shot). A few-shot score pools every shot set of every seed (the
interval is over shot sets, the spread that Zhao et al. 2021 show dominates few-shot results); translate-test pools
the seeds. The interval is Student's t over the pooled scores (none for a single score). The markdown is "" when no
run has a setting beyond zero-shot.
"""
from collections import defaultdict

from reporting.render import fmt, markdown_table
from reporting.runs import BASELINE
from reporting.section import Section
from reporting.stats import LEVEL, diff, mean
from utils.results import FEW_SHOT_SPLIT, TRANSLATE_TEST

AVERAGE = "average"
ZERO_SHOT = "zero_shot"
AUTO = "auto"                  # --train_languages auto (engine/sources.py)
SOURCE_AUTO = "source_auto"    # its setting: the typologically nearest source per language


def t_interval(values):
    """The LEVEL Student's t interval of the mean of values, or (None, None) for fewer than two."""
    from scipy import stats
    values = list(values)
    if len(values) < 2:
        return None, None
    error = stats.sem(values)
    if error == 0:  # every value equal
        return mean(values), mean(values)
    low, high = stats.t.interval(LEVEL, len(values) - 1, loc=mean(values), scale=error)
    return float(low), float(high)


def setting_scores(run, name) -> dict:
    """language -> the run's scores of setting name: each shot set's (few-shot), else the one score."""
    sets = run.shot_sets.get(name, {})
    return {lang: sets.get(lang) or [score] for lang, score in run.settings[name].items()}


def setting_order(name) -> tuple:
    """zero-shot, the chosen source, translate-test, then few-shot by K."""
    few = FEW_SHOT_SPLIT.fullmatch(name)
    return (name != ZERO_SHOT, name != SOURCE_AUTO, name != TRANSLATE_TEST, int(few.group(1)) if few else 0)


def reference_variant(run, english) -> str:
    """The configuration a --train_languages auto run is compared with: the English-source runs of its task and
    base model trained from the same intermediate task(s), by its own name, else its intermediate task's, else the
    only one; else its own name (no reference: no gain)."""
    own = run.intermediate.removesuffix(f" (source {AUTO})")
    variants = english.get((run.task, run.base_model, run.intermediate_task), set())
    for name in (own, run.intermediate_task):
        if name in variants:
            return name
    return next(iter(variants)) if len(variants) == 1 else own


def settings_rows(runs) -> list:
    """A row per task, base model, variant, language and setting, zero-shot included (its interval over seeds),
    then the averages over languages. A --train_languages auto run is the setting source_auto of the English-source
    configuration it was derived from (reference_variant)."""
    finished = [run for run in runs if run.status == "finished" and run.is_target]
    english = defaultdict(set)
    for run in finished:
        if run.source != AUTO:
            english[(run.task, run.base_model, run.intermediate_task)].add(run.intermediate)
    pooled, chosen = defaultdict(list), {}
    for run in finished:
        if run.source == AUTO:
            key = (run.task, run.base_model, reference_variant(run, english))
            for lang, score in run.scores.items():
                pooled[(*key, lang, SOURCE_AUTO)].append(score)
                chosen.setdefault((*key, lang), set()).add(run.sources.get(lang, "?"))
            continue
        key = (run.task, run.base_model, run.intermediate)
        for lang, score in run.scores.items():
            pooled[(*key, lang, ZERO_SHOT)].append(score)
        for name in run.settings:
            for lang, scores in setting_scores(run, name).items():
                pooled[(*key, lang, name)].extend(scores)
    compared = {key[:3] for key in pooled if key[4] != ZERO_SHOT}
    rows = []
    for key in sorted((k for k in pooled if k[:3] in compared),
                      key=lambda k: (k[0], k[1], k[2] != BASELINE, k[2], k[3], setting_order(k[4]))):
        task, base, variant, lang, name = key
        values, zero = pooled[key], mean(pooled.get((task, base, variant, lang, ZERO_SHOT), []))
        low, high = t_interval(values)
        rows.append({"task": task, "base_model": base, "variant": variant, "language": lang, "setting": name,
                     "scores": len(values), "mean": mean(values), "low": low, "high": high, "zero_shot": zero,
                     "gain": diff(mean(values), zero) if name != ZERO_SHOT else None,
                     "source": " ".join(sorted(chosen.get((task, base, variant, lang), ()))) or None})
    return rows + average_rows(rows)


def average_rows(rows) -> list:
    """Per task, base model, variant and setting: the means over the languages that have the setting (the gain
    paired over the same languages)."""
    groups = defaultdict(list)
    for row in rows:
        groups[(row["task"], row["base_model"], row["variant"], row["setting"])].append(row)
    return [{"task": task, "base_model": base, "variant": variant, "language": AVERAGE, "setting": name,
             "scores": sum(r["scores"] for r in group), "mean": mean(r["mean"] for r in group), "low": None,
             "high": None, "zero_shot": mean(r["zero_shot"] for r in group if r["zero_shot"] is not None),
             "gain": None if name == ZERO_SHOT else mean(r["gain"] for r in group if r["gain"] is not None),
             "source": None}
            for (task, base, variant, name), group in groups.items()]


def cell(row) -> str:
    interval = f" [{row['low']:.1f}, {row['high']:.1f}]" if row["low"] is not None else ""
    gain = f" ({fmt(row['gain'], signed=True)})" if row["setting"] != ZERO_SHOT else ""
    source = f" from {row['source']}" if row.get("source") else ""
    return f"{fmt(row['mean'])}{interval}{gain}{source}"


def settings_table(runs) -> tuple:
    """(markdown, rows): one table per target task, base model and variant: a row per language (then their
    average), a column per setting."""
    rows = settings_rows(runs)
    if not rows:
        return "", []
    parts = ["## Transfer settings: zero-shot, translate-test, few-shot\n",
             "Each setting's mean with its 95% Student's t interval (zero-shot and translate-test: over seeds; "
             "few-shot: over every shot set of every seed) and, in parentheses, its gain over zero-shot. "
             "translate_test: the English model on English translations of the test sets (run_target.py "
             "--translate_test); fewshot<K>: K target-language shots after English training (--few_shot). "
             "average: each setting over the languages it has, its gain paired over the same languages.\n"]
    for group in dict.fromkeys((r["task"], r["base_model"], r["variant"]) for r in rows):
        mine = {(r["language"], r["setting"]): r for r in rows if (r["task"], r["base_model"], r["variant"]) == group}
        names = sorted(dict.fromkeys(name for _, name in mine), key=setting_order)
        languages = list(dict.fromkeys(lang for lang, _ in mine))
        lines = [[lang, *(cell(mine[(lang, name)]) if (lang, name) in mine else "–" for name in names)]
                 for lang in languages]
        parts.append(f"### {group[0]} ({group[1]}, {group[2]})\n\n"
                     + markdown_table(["language", *(name.replace("_", "-") for name in names)], lines))
    return "\n".join(parts), rows


def build(context) -> Section:
    markdown, rows = settings_table(context.runs)
    return Section(markdown, {"settings": rows})
