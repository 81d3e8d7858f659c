#!/usr/bin/env python
"""95% intervals for the differences between a variant and the baseline: a paired bootstrap over test examples,
from the runs' prediction files (<run>/predictions/<task>/<split>-<lang>.jsonl).

    python scripts/report_stats.py runs [--split test] [--resamples 1000] [--seed 0] [--output_dir runs/report]

Method. Each kind module turns a prediction file into per-example additive statistics (`example_statistics`:
correct, EM and F1, chunk or pair counts) and summed statistics into the task's headline metric
(`metric_from_statistics`), so a resample costs one matrix product. The two runs' examples are paired by id (the
ids both scored; BUCC: every source sentence with a gold or a predicted pair in either). A resample draws the n
paired examples with replacement (the same draw for both runs) and takes the difference of the metric.
- Seeds: runs with the same seed numbers are paired by seed; otherwise every variant seed is compared with every
  baseline seed. Each replicate also resamples the seeds (hierarchical bootstrap: seed pairs drawn with
  replacement, or the variant's and the baseline's seeds drawn independently when unpaired), each drawn seed with
  its own example resample, so the interval includes the spread over seeds. The seed std is the standard
  deviation of the per-seed-pair differences.
- Languages: a task's difference is the mean over its languages; each language is resampled independently (the
  seed draw is shared: a seed is one trained model) and the replicates are averaged.
- XTREME / XTREME-R score: the mean over the benchmark's tasks (each on the benchmark's languages) of the task
  differences, each task resampled independently.
The interval is the 2.5th-97.5th percentile of the replicates (numpy's linear interpolation); "significant" means
it excludes 0.
"""
import argparse
import csv
import io
import itertools
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_runs import BASELINE, collect, report_folders  # noqa: E402  (scripts/report_runs.py)
from tasks import TASKS, get_task, kind_of, resolve_languages  # noqa: E402
from utils.data import read_jsonl  # noqa: E402
from utils.results import write_text_atomic  # noqa: E402

RESAMPLES = 1000
LEVEL = 0.95
BLOCK = 4_000_000  # resampled example slots per block (memory: a few tens of MB)
BENCHMARKS = {"xtreme": None, "xtreme_r": "xtreme_r"}  # benchmark -> the --languages value giving its languages
NOT_SIGNIFICANT = "≈"


@dataclass
class Interval:
    difference: float               # variant - baseline, in points
    low: float
    high: float
    resamples: int
    examples: int                   # paired test examples (summed over languages; the fewest over seed pairs)
    seed_pairs: int
    pairing: str                    # "by seed" | "all combinations" (the seed numbers differ)
    seed_std: float | None          # std over seed pairs of their difference; None for one pair
    languages: tuple = ()
    replicates: np.ndarray = field(default=None, repr=False, compare=False)
    note: str = ""                  # benchmark scores: which of the benchmark's tasks were compared

    @property
    def significant(self) -> bool:
        return not self.low <= 0 <= self.high


def percentile_interval(replicates, level=LEVEL):
    low, high = np.percentile(replicates, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


# ---------------------------------------------------------------- examples
def read_statistics(spec, run_dir: Path, split: str, lang: str):
    """(ids, stats) of one run's prediction file for one language."""
    path = Path(run_dir) / "predictions" / spec.name / f"{split}-{lang}.jsonl"
    if not path.is_file():
        raise ValueError(f"{path}: no such predictions file; expected the run's predictions/<task>/<split>-<lang>"
                         ".jsonl")
    kind = kind_of(spec)
    extra = kind.statistics_inputs(spec, run_dir, split, lang) if hasattr(kind, "statistics_inputs") else {}
    ids, stats = kind.example_statistics(spec, read_jsonl(path), lang, **extra)
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: repeated example ids; expected one line per example")
    return ids, stats


def cached(cache: dict, spec, runs_root, run, split, lang):
    """read_statistics of a run, read once per table (a baseline is compared with every variant)."""
    key = (run.path, lang)
    if key not in cache:
        cache[key] = read_statistics(spec, Path(runs_root) / run.path, split, lang)
    return cache[key]


def pair_examples(ids_a, stats_a, ids_b, stats_b, union=False):
    """(ids, rows of a, rows of b) for the same examples in one order: the ids both runs have (union: either
    run, with zero statistics where a run lacks one)."""
    index_a, index_b = ({i: r for r, i in enumerate(ids)} for ids in (ids_a, ids_b))
    ids = list(dict.fromkeys([*ids_a, *ids_b])) if union else [i for i in ids_a if i in index_b]

    def rows(index, stats):
        out = np.zeros((len(ids), stats.shape[1]))
        present = [(k, index[i]) for k, i in enumerate(ids) if i in index]
        if present:
            at, source = zip(*present)
            out[list(at)] = stats[list(source)]
        return out

    return ids, rows(index_a, stats_a), rows(index_b, stats_b)


# ---------------------------------------------------------------- bootstrap
def resample_differences(spec, stats_a, stats_b, index):
    """metric(a) - metric(b) on each resample; index: (resamples, n) example positions drawn with replacement."""
    metric, n = kind_of(spec).metric_from_statistics, index.shape[1]
    return metric(spec, resampled_sums(stats_a, index), n) - metric(spec, resampled_sums(stats_b, index), n)


def resampled_sums(stats, index):
    """(resamples, k): each resample's sum of the statistics of the examples it drew (one column at a time)."""
    return np.stack([column[index].sum(axis=1) for column in np.asarray(stats, dtype=float).T], axis=-1)


def bootstrap_differences(spec, stats_a, stats_b, rng, resamples):
    """`resamples` paired-bootstrap replicates of metric(a) - metric(b), in blocks of bounded memory."""
    n = len(stats_a)
    block = max(1, BLOCK // n)
    return np.concatenate([resample_differences(spec, stats_a, stats_b,
                                                rng.integers(0, n, (min(block, resamples - start), n)))
                           for start in range(0, resamples, block)])


def seed_pairs(runs_a, runs_b):
    """([(run a, run b)], pairing): paired by seed number when both have the same seeds, else all combinations."""
    seeds_a, seeds_b = ([run.seed for run in runs] for runs in (runs_a, runs_b))
    if sorted(map(str, seeds_a)) == sorted(map(str, seeds_b)):
        by_seed = {str(run.seed): run for run in runs_b}
        return [(run, by_seed[str(run.seed)]) for run in runs_a], "by seed"
    return list(itertools.product(runs_a, runs_b)), "all combinations"


def seed_draws(rng, n_a, n_b, pairing, resamples):
    """(resamples, slots) indices into the seed-pair list: each replicate's drawn seeds (with replacement)."""
    if pairing == "by seed":
        return rng.integers(0, n_a, (resamples, n_a))
    a, b = rng.integers(0, n_a, (resamples, n_a)), rng.integers(0, n_b, (resamples, n_b))
    return (a[:, :, None] * n_b + b[:, None, :]).reshape(resamples, n_a * n_b)


def stream(seed, *keys):
    """An independent random stream per task, language and seed pair (the same whatever the order of work)."""
    return np.random.default_rng([seed, zlib.crc32("|".join(map(str, keys)).encode())])


@dataclass
class Comparison:
    """One target task, variant vs baseline: per language, each seed pair's observed difference and the bootstrap
    replicates of the mean over (resampled) seeds."""
    task: str
    pairing: str
    observed: dict          # language -> (seed pairs,) observed differences
    replicates: dict        # language -> (resamples,) replicates
    examples: dict          # language -> paired examples (the fewest over the seed pairs)
    resamples: int

    def interval(self, languages=None) -> Interval:
        """The interval of the mean over `languages` (default: all compared) of the difference."""
        langs = [lang for lang in (languages or self.observed) if lang in self.observed]
        if not langs:
            raise ValueError(f"{self.task}: none of the languages {', '.join(languages)} was compared")
        per_pair = np.mean([self.observed[lang] for lang in langs], axis=0)
        replicates = np.mean([self.replicates[lang] for lang in langs], axis=0)
        return Interval(float(per_pair.mean()), *percentile_interval(replicates), self.resamples,
                        sum(self.examples[lang] for lang in langs), len(per_pair), self.pairing,
                        float(np.std(per_pair, ddof=1)) if len(per_pair) > 1 else None, tuple(langs), replicates)


def language_differences(spec, pairs, runs_root, split, lang, resamples, seed, union, cache):
    """Per seed pair: the observed difference (seed pairs,), its bootstrap replicates (seed pairs, resamples),
    and the fewest paired examples."""
    metric = kind_of(spec).metric_from_statistics
    observed, differences, counts = [], [], []
    for number, (run_a, run_b) in enumerate(pairs):
        (ids_a, stats_a), (ids_b, stats_b) = (cached(cache, spec, runs_root, run, split, lang)
                                              for run in (run_a, run_b))
        ids, stats_a, stats_b = pair_examples(ids_a, stats_a, ids_b, stats_b, union=union)
        if not ids:
            raise ValueError(f"{spec.name} {lang}: {run_a.path} and {run_b.path} share no example id")
        n = len(ids)
        observed.append(float(metric(spec, stats_a.sum(0), n) - metric(spec, stats_b.sum(0), n)))
        differences.append(bootstrap_differences(spec, stats_a, stats_b, stream(seed, spec.name, lang, number),
                                                 resamples))
        counts.append(n)
    return np.array(observed), np.array(differences), min(counts)


def compare(runs_a, runs_b, runs_root, split="test", languages=None, resamples=RESAMPLES, seed=0,
            cache=None) -> Comparison:
    """Bootstrap the difference between two configurations' runs (one per seed) of one target task."""
    tasks = {run.task for run in [*runs_a, *runs_b]}
    if len(tasks) != 1 or not runs_a or not runs_b:
        raise ValueError(f"expected runs of one task on both sides, got {len(runs_a)} and {len(runs_b)} runs of "
                         f"{', '.join(sorted(tasks)) or 'no task'}")
    spec = get_task(tasks.pop())
    union = getattr(kind_of(spec), "statistics_pairing", lambda spec: "common")(spec) == "union"
    pairs, pairing = seed_pairs(runs_a, runs_b)
    common = set.intersection(*(set(run.scores) for run in [*runs_a, *runs_b]))
    langs = [lang for lang in (languages or sorted(common)) if lang in common]
    if not langs:
        raise ValueError(f"{spec.name}: no language scored by every run of both configurations")
    draws = seed_draws(stream(seed, spec.name, "seeds"), len(runs_a), len(runs_b), pairing, resamples)
    columns = (np.arange(resamples)[:, None] + np.arange(draws.shape[1])) % resamples  # a fresh resample per slot
    cache = {} if cache is None else cache
    observed, replicates, examples = {}, {}, {}
    for lang in langs:
        observed[lang], differences, examples[lang] = language_differences(spec, pairs, runs_root, split, lang,
                                                                           resamples, seed, union, cache)
        replicates[lang] = differences[draws, columns].mean(axis=1)
    return Comparison(spec.name, pairing, observed, replicates, examples, resamples)


def paired_difference(runs_a, runs_b, runs_root, split="test", languages=None, resamples=RESAMPLES,
                      seed=0) -> Interval:
    """The interval of the language-average difference runs_a - runs_b (Run objects of scripts/report_runs.py)."""
    return compare(runs_a, runs_b, runs_root, split, languages, resamples, seed).interval()


def benchmark_interval(comparisons: dict, benchmark: str) -> Interval | None:
    """The XTREME / XTREME-R score difference: the mean over the benchmark's compared tasks (each averaged over
    the benchmark's languages it has) of their differences, replicate by replicate; None without such a task."""
    tasks = [task for task, comparison in comparisons.items() if benchmark in TASKS[task].benchmarks
             and set(comparison.observed) & set(resolve_languages(TASKS[task], BENCHMARKS[benchmark]))]
    cells = [comparisons[task].interval(resolve_languages(TASKS[task], BENCHMARKS[benchmark])) for task in tasks]
    if not cells:
        return None
    replicates = np.mean([cell.replicates for cell in cells], axis=0)
    members = [task for task, spec in TASKS.items() if benchmark in spec.benchmarks]
    compared = [task for task in members if task in tasks]
    return Interval(float(np.mean([cell.difference for cell in cells])), *percentile_interval(replicates),
                    cells[0].resamples, sum(cell.examples for cell in cells), min(cell.seed_pairs for cell in cells),
                    "; ".join(sorted({cell.pairing for cell in cells})), None, (), replicates,
                    f"{len(compared)} of {len(members)} tasks: {', '.join(compared)}")


# ---------------------------------------------------------------- table
def configurations(runs) -> dict:
    """(base model, intermediate, target) -> its finished target runs."""
    groups = {}
    for run in runs:
        if run.status == "finished" and run.is_target:
            groups.setdefault((run.base_model, run.intermediate, run.task), []).append(run)
    return groups


def task_rank(task):
    """Registry order; tasks outside it (custom tasks: compare() names them) last."""
    return (list(TASKS).index(task), "") if task in TASKS else (len(TASKS), task)


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


def significance_rows(runs, runs_root, split="test", resamples=RESAMPLES, seed=0) -> list:
    """Per (base model, target, variant != baseline): the language average ("avg") and each language; per (base
    model, variant): the XTREME and XTREME-R score differences (target "xtreme" / "xtreme_r")."""
    groups, rows, cache = configurations(runs), [], {}
    for base, intermediate in sorted({(b, i) for b, i, _ in groups if i != BASELINE}):
        comparisons = {}
        for task in sorted((t for b, i, t in groups if (b, i) == (base, intermediate)), key=task_rank):
            baseline = groups.get((base, BASELINE, task))
            if not baseline:
                continue
            try:
                comparison = compare(groups[(base, intermediate, task)], baseline, runs_root, split, None, resamples,
                                     seed, cache)
            except (OSError, ValueError, KeyError, TypeError) as error:
                rows.append(row(base, task, intermediate, "avg", None, str(error)))
                continue
            comparisons[task] = comparison
            rows.append(row(base, task, intermediate, "avg", comparison.interval()))
            rows.extend(row(base, task, intermediate, lang, comparison.interval([lang]))
                        for lang in comparison.observed)
        for benchmark in BENCHMARKS:
            interval = benchmark_interval(comparisons, benchmark)
            if interval is not None:
                rows.append(row(base, benchmark, intermediate, "avg", interval))
    return rows


def fmt(value, digits=2):
    return "" if value is None else f"{value:+.{digits}f}"


def significance_table(runs, runs_root, split="test", resamples=RESAMPLES, seed=0) -> tuple:
    """(Markdown, rows): every variant's language-average difference to the baseline with its 95% interval."""
    rows = significance_rows(runs, runs_root, split, resamples, seed)
    lines = ["## Significance of the differences to the baseline", "",
             f"Variant minus baseline (points) on the {split} split, with a 95% interval from a paired bootstrap over "
             f"test examples ({resamples:,} resamples, seed {seed}): examples paired by id, resampled with "
             "replacement; several seeds are resampled too (paired by seed number, or every combination when the "
             "seed numbers differ); a task is the mean over its languages (each resampled independently), the "
             "XTREME and XTREME-R scores the mean over their tasks (each resampled independently). "
             f"{NOT_SIGNIFICANT} marks an interval that includes 0 (not significant at 5%).", "",
             "| base model | target | intermediate | difference | 95% interval | examples | seeds | seed std | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["language"] != "avg":
            continue
        if r["difference"] is None:
            lines.append(f"| {r['base_model']} | {r['target']} | {r['intermediate']} | | | | | | not computed: "
                         f"{r['problem']} |")
            continue
        mark = "" if r["significant"] else f" {NOT_SIGNIFICANT}"
        seed_std = "" if r["seed_std"] is None else f"{r['seed_std']:.2f}"
        seeds = "1" if r["seed_pairs"] == 1 and r["pairing"] == "by seed" else f"{r['seed_pairs']} ({r['pairing']})"
        lines.append(f"| {r['base_model']} | {r['target']} | {r['intermediate']} | {fmt(r['difference'])}{mark} | "
                     f"[{fmt(r['low'])}, {fmt(r['high'])}] | {r['examples']:,} | {seeds} | {seed_std} | {r['note']} |")
    return "\n".join(lines) + "\n", rows


def to_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["base_model"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs_dir", help="folder holding the runs (searched recursively)")
    parser.add_argument("--output_dir", help="where significance.md and significance.csv go (default: "
                                             "RUNS_DIR/report)")
    parser.add_argument("--split", default="test", help="split whose predictions are compared (default: test)")
    parser.add_argument("--resamples", type=int, default=RESAMPLES, help="bootstrap resamples (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the resampling (default: 0)")
    args = parser.parse_args(argv)
    root, out = report_folders("report_stats.py", args.runs_dir, args.output_dir)
    if args.resamples < 1:
        sys.exit(f"report_stats.py: --resamples {args.resamples}: expected a positive number")
    markdown, rows = significance_table(collect(root, out, args.split), root, args.split, args.resamples, args.seed)
    write_text_atomic(out / "significance.md", markdown)
    write_text_atomic(out / "significance.csv", to_csv(rows))
    print(markdown)
    return rows


if __name__ == "__main__":
    main()
