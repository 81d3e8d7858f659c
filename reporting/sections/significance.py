"""Significance of the differences to the baseline: per base model, variant and target task, the language-average
difference with its 95% interval from the paired bootstrap over test examples and seeds (reporting/stats.py), each
language's, and the XTREME / XTREME-R score differences: the mean over the benchmark's compared tasks (each on the
benchmark's languages it has) of their differences, replicate by replicate (each task resampled independently).
Transfer settings (few-shot K, translate-test) get the same interval for their difference to the same runs'
zero-shot, as rows "<intermediate> [<setting>]" (stats.compare_setting). The paper's table, the per-language table and
the benchmark scores show these intervals beside their differences (`intervals`)."""
import numpy as np

from reporting.render import NOT_SIGNIFICANT
from reporting.runs import BASELINE, BENCHMARKS, benchmark_languages
from reporting.section import Section
from reporting.sections.settings import setting_order
from reporting.stats import Interval, compare, compare_setting, percentile_interval
from tasks import TASKS


def benchmark_interval(comparisons: dict, benchmark: str) -> Interval | None:
    """The benchmark's score difference from the compared tasks (comparisons: task -> stats.Comparison); None
    without such a task."""
    tasks = [task for task, comparison in comparisons.items() if benchmark in TASKS[task].benchmarks
             and set(comparison.observed) & set(benchmark_languages(TASKS[task], benchmark))]
    cells = [comparisons[task].interval(benchmark_languages(TASKS[task], benchmark)) for task in tasks]
    if not cells:
        return None
    replicates = np.mean([cell.replicates for cell in cells], axis=0)
    members = [task for task, spec in TASKS.items() if benchmark in spec.benchmarks]
    compared = [task for task in members if task in tasks]
    return Interval(float(np.mean([cell.difference for cell in cells])), *percentile_interval(replicates),
                    cells[0].resamples, sum(cell.examples for cell in cells), min(cell.seed_pairs for cell in cells),
                    "; ".join(sorted({cell.pairing for cell in cells})), None, (), replicates,
                    f"{len(compared)} of {len(members)} tasks: {', '.join(compared)}")


def row(base, target, intermediate, language, interval: Interval, problem="") -> dict:
    values = {"difference": None, "low": None, "high": None, "significant": None, "examples": None,
              "seed_pairs": None, "pairing": None, "seed_std": None, "note": ""}
    if interval is not None:
        values = {"difference": interval.difference, "low": interval.low, "high": interval.high,
                  "significant": interval.significant, "examples": interval.examples,
                  "seed_pairs": interval.seed_pairs, "pairing": interval.pairing, "seed_std": interval.seed_std,
                  "note": interval.note}
    return {"base_model": base, "target": target, "intermediate": intermediate, "language": language, **values,
            "problem": problem}


def rows(context) -> list:
    """Per (base model, variant != baseline, target): the language average ("avg") and each language; per (base
    model, variant): the benchmark score differences (target "xtreme" / "xtreme_r")."""
    groups, out, cache = context.groups, [], {}
    for base, intermediate in sorted({(b, i) for b, i, _ in groups if i != BASELINE}):
        comparisons = {}
        for task in (t for b, i, t in groups if (b, i) == (base, intermediate)):  # registry order
            baseline = groups.get((base, BASELINE, task))
            if not baseline:
                continue
            try:
                comparison = compare(groups[(base, intermediate, task)], baseline, context.root, context.split, None,
                                     context.resamples, context.seed, cache)
            except (OSError, ValueError, KeyError, TypeError) as error:
                out.append(row(base, task, intermediate, "avg", None, str(error)))
                continue
            comparisons[task] = comparison
            out.append(row(base, task, intermediate, "avg", comparison.interval()))
            out.extend(row(base, task, intermediate, lang, comparison.interval([lang]))
                       for lang in comparison.observed)
        for benchmark in BENCHMARKS:
            interval = benchmark_interval(comparisons, benchmark)
            if interval is not None:
                out.append(row(base, benchmark, intermediate, "avg", interval))
    return out + setting_rows(context, cache)


def setting_rows(context, cache) -> list:
    """Per (base model, configuration, target) and transfer setting its runs have: the setting minus the same runs'
    zero-shot, as the configuration "<intermediate> [<setting>]" (the language average and each language); the
    settings score test sets, so only a report on the test split has them."""
    out = []
    if context.split != "test":
        return out
    for (base, intermediate, task), runs in context.groups.items():
        for name in sorted({name for run in runs for name in run.settings}, key=setting_order):
            label = f"{intermediate} [{name}]"
            try:
                comparison = compare_setting([run for run in runs if name in run.settings], name, context.root,
                                             resamples=context.resamples, seed=context.seed, cache=cache)
            except (OSError, ValueError, KeyError, TypeError) as error:
                out.append(row(base, task, label, "avg", None, str(error)))
                continue
            out.append(row(base, task, label, "avg", comparison.interval()))
            out.extend(row(base, task, label, lang, comparison.interval([lang])) for lang in comparison.observed)
    return out


def intervals(context) -> dict:
    """(base model, target or benchmark, intermediate, language or "avg") -> its significance row, for the
    differences that were computed (stats.with_intervals puts them beside a table's differences)."""
    return {(r["base_model"], r["target"], r["intermediate"], r["language"]): r for r in context.shared(rows)
            if r["difference"] is not None}


def signed(value, digits=2):
    return "" if value is None else f"{value:+.{digits}f}"


def markdown(significance_rows, split, resamples, seed) -> str:
    lines = ["## Significance of the differences to the baseline", "",
             f"Variant minus baseline (points) on the {split} split, with a 95% interval from a paired bootstrap over "
             f"test examples ({resamples:,} resamples, seed {seed}): examples paired by id, resampled with "
             "replacement; several seeds are resampled too (paired by seed number, or every combination when the "
             "seed numbers differ); a task is the mean over its languages (each resampled independently), the "
             "XTREME and XTREME-R scores the mean over their tasks (each resampled independently). A row "
             "`<intermediate> [<setting>]` is a transfer setting minus the same runs' zero-shot, its shot sets "
             "resampled as seeds are. "
             f"{NOT_SIGNIFICANT} marks an interval that includes 0 (not significant at 5%).", "",
             "| base model | target | intermediate | difference | 95% interval | examples | seeds | seed std | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in significance_rows:
        if r["language"] != "avg":
            continue
        if r["difference"] is None:
            lines.append(f"| {r['base_model']} | {r['target']} | {r['intermediate']} | | | | | | not computed: "
                         f"{r['problem']} |")
            continue
        mark = "" if r["significant"] else f" {NOT_SIGNIFICANT}"
        seed_std = "" if r["seed_std"] is None else f"{r['seed_std']:.2f}"
        seeds = "1" if r["seed_pairs"] == 1 and r["pairing"] == "by seed" else f"{r['seed_pairs']} ({r['pairing']})"
        lines.append(f"| {r['base_model']} | {r['target']} | {r['intermediate']} | {signed(r['difference'])}{mark} | "
                     f"[{signed(r['low'])}, {signed(r['high'])}] | {r['examples']:,} | {seeds} | {seed_std} | "
                     f"{r['note']} |")
    return "\n".join(lines) + "\n"


def build(context) -> Section:
    significance_rows = context.shared(rows)
    return Section(markdown(significance_rows, context.split, context.resamples, context.seed),
                   {"significance": significance_rows})
