"""The report's statistics, shared by its sections: means and spreads, Spearman's rho with a bootstrap interval
over points, a difference's 95% interval attached to a table's rows (a new row, the table's own rows unchanged), and
the paired bootstrap over test examples that gives every difference to the baseline its interval.

The paired bootstrap. Each kind module turns a prediction file (<run>/predictions/<task>/<split>-<lang>.jsonl) into
per-example additive statistics (`example_statistics`: correct, EM and F1, chunk or pair counts) and summed
statistics into the task's headline metric (`metric_from_statistics`), so a resample costs one matrix product. The
two runs' examples are paired by id (the ids both scored; BUCC: every source sentence with a gold or a predicted
pair in either). A resample draws the n paired examples with replacement (the same draw for both runs) and takes the
difference of the metric.
- Seeds: runs with the same seed numbers are paired by seed; otherwise every variant seed is compared with every
  baseline seed. Each replicate also resamples the seeds (hierarchical bootstrap: seed pairs drawn with
  replacement, or the variant's and the baseline's seeds drawn independently when unpaired), each drawn seed with
  its own example resample, so the interval includes the spread over seeds. The seed std is the standard
  deviation of the per-seed-pair differences.
- Languages: a task's difference is the mean over its languages; each language is resampled independently (the
  seed draw is shared: a seed is one trained model) and the replicates are averaged.
- Transfer settings (`compare_setting`): a setting's predictions (few-shot: each shot set's) against the same
  run's zero-shot predictions, the (run, shot set) pairs resampled as seeds are.
The interval is the 2.5th-97.5th percentile of the replicates (numpy's linear interpolation); "significant" means
it excludes 0.
"""
import itertools
import re
import statistics
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tasks import get_task
from tasks.kinds import kind_of
from utils.data import read_jsonl
from utils.results import FEW_SHOT_SPLIT

RESAMPLES = 1000
LEVEL = 0.95
BLOCK = 4_000_000  # resampled example slots per block (memory: a few tens of MB)


# ---------------------------------------------------------------- summaries
def mean(values):
    """The mean; None for no values."""
    values = list(values)
    return sum(values) / len(values) if values else None


def std(values):
    """Sample standard deviation (over seeds); None for fewer than two values."""
    values = list(values)
    return statistics.stdev(values) if len(values) > 1 else None


def diff(a, b):
    return None if a is None or b is None else a - b


def spearman(x, y):
    """Spearman's rho (scipy.stats.spearmanr), or None when there are fewer than 3 points or either variable is
    constant."""
    from scipy.stats import spearmanr
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return float(spearmanr(x, y).statistic)


def spearman_interval(x, y, resamples=RESAMPLES, seed=0):
    """(2.5th percentile, 97.5th percentile, resamples kept) of Spearman's rho over resamples of the points drawn
    with replacement (numpy default_rng(seed), all resamples drawn at once; rho of each = the Pearson correlation of
    its average ranks, as spearmanr computes it). A resample in which either variable is constant has no rho and is
    dropped."""
    from scipy.stats import rankdata
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    pick = np.random.default_rng(seed).integers(0, len(x), (resamples, len(x)))
    ranks = [rankdata(values[pick], axis=1) for values in (x, y)]
    ranks = [r - r.mean(axis=1, keepdims=True) for r in ranks]
    spread = np.sqrt((ranks[0] ** 2).sum(axis=1) * (ranks[1] ** 2).sum(axis=1))
    kept = spread > 1e-12
    if not kept.any():
        return None, None, 0
    rhos = np.clip((ranks[0] * ranks[1]).sum(axis=1)[kept] / spread[kept], -1.0, 1.0)
    low, high = np.percentile(rhos, [2.5, 97.5])
    return float(low), float(high), int(kept.sum())


def with_intervals(rows, intervals: dict, key) -> list:
    """New rows: each row with a difference ("delta") gets its 95% interval (delta_low, delta_high) and whether it
    excludes 0 (significant) from intervals {key(row): significance row}; the rows given are not changed."""
    out = []
    for row in rows:
        interval = intervals.get(key(row)) if row.get("delta") is not None else None
        out.append({**row, "delta_low": interval and interval["low"], "delta_high": interval and interval["high"],
                    "significant": interval and interval["significant"]})
    return out


# ---------------------------------------------------------------- the paired bootstrap
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
    extra = kind.statistics_inputs(spec, run_dir, split, lang)
    ids, stats = kind.example_statistics(spec, read_jsonl(path), lang, **extra)
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: repeated example ids; expected one line per example")
    return ids, stats


def cached(cache: dict, spec, runs_root, run, split, lang):
    """read_statistics of a run, read once per table (a baseline is compared with every variant)."""
    key = (run.path, split, lang)
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


def mean_of_draws(differences, draws):
    """(resamples,) replicates: each the mean over its drawn pairs (draws: (resamples, slots) indices into the rows
    of differences, (pairs, resamples)), every slot taking a fresh example resample of its pair."""
    resamples = differences.shape[1]
    columns = (np.arange(resamples)[:, None] + np.arange(draws.shape[1])) % resamples
    return differences[draws, columns].mean(axis=1)


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


def language_differences(spec, pairs, runs_root, lang, resamples, seed, union, cache):
    """Per pair [((run a, its split), (run b, its split))]: the observed difference (pairs,), its bootstrap
    replicates (pairs, resamples), and the fewest paired examples."""
    metric = kind_of(spec).metric_from_statistics
    observed, differences, counts = [], [], []
    for number, sides in enumerate(pairs):
        (ids_a, stats_a), (ids_b, stats_b) = (cached(cache, spec, runs_root, run, split, lang)
                                              for run, split in sides)
        ids, stats_a, stats_b = pair_examples(ids_a, stats_a, ids_b, stats_b, union=union)
        if not ids:
            (run_a, split_a), (run_b, split_b) = sides
            raise ValueError(f"{spec.name} {lang}: {run_a.path} ({split_a}) and {run_b.path} ({split_b}) share no "
                             "example id")
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
    union = kind_of(spec).statistics_pairing(spec) == "union"
    pairs, pairing = seed_pairs(runs_a, runs_b)
    common = set.intersection(*(set(run.scores) for run in [*runs_a, *runs_b]))
    langs = [lang for lang in (languages or sorted(common)) if lang in common]
    if not langs:
        raise ValueError(f"{spec.name}: no language scored by every run of both configurations")
    draws = seed_draws(stream(seed, spec.name, "seeds"), len(runs_a), len(runs_b), pairing, resamples)
    cache = {} if cache is None else cache
    observed, replicates, examples = {}, {}, {}
    for lang in langs:
        observed[lang], differences, examples[lang] = language_differences(
            spec, [((a, split), (b, split)) for a, b in pairs], runs_root, lang, resamples, seed, union, cache)
        replicates[lang] = mean_of_draws(differences, draws)
    return Comparison(spec.name, pairing, observed, replicates, examples, resamples)


def setting_splits(spec, run_dir, name, lang) -> list[str]:
    """The prediction splits of a transfer setting in a run for one language: every shot set's (few-shot:
    <name>-<set>-<lang>.jsonl, engine/few_shot.py) or the setting's own (translate-test: <name>-<lang>.jsonl)."""
    folder = Path(run_dir) / "predictions" / spec.name
    pattern = re.compile(rf"{re.escape(name)}-(\d+)-{re.escape(lang)}\.jsonl")
    sets = sorted(int(match.group(1)) for path in folder.glob(f"{name}-*-{lang}.jsonl")
                  if (match := pattern.fullmatch(path.name)))
    if sets:
        return [f"{name}-{index}" for index in sets]
    return [name] if (folder / f"{name}-{lang}.jsonl").is_file() else []


def compare_setting(runs, name, runs_root, zero_shot="test", resamples=RESAMPLES, seed=0, cache=None) -> Comparison:
    """Bootstrap a transfer setting (few-shot K, translate-test) against zero-shot in the same runs (one
    configuration, a run per seed): each language's setting predictions, every shot set's, paired by example id with
    the same run's zero-shot predictions. A replicate draws the (run, shot set) pairs with replacement, each with its
    own example resample, as compare draws seeds; every shot set of every language is a model of its own, so each
    language draws its own pairs."""
    tasks = {run.task for run in runs}
    if len(tasks) != 1 or not runs:
        raise ValueError(f"expected runs of one task, got {len(runs)} runs of {', '.join(sorted(tasks)) or 'none'}")
    spec = get_task(tasks.pop())
    union = kind_of(spec).statistics_pairing(spec) == "union"
    langs = sorted(set.intersection(*(set(run.settings.get(name, {})) & set(run.scores) for run in runs)))
    if not langs:
        raise ValueError(f"{spec.name}: no language has {name} and zero-shot scores in every run")
    cache = {} if cache is None else cache
    observed, replicates, examples = {}, {}, {}
    for lang in langs:
        pairs = [((run, split), (run, zero_shot)) for run in runs
                 for split in setting_splits(spec, Path(runs_root) / run.path, name, lang)]
        if not pairs:
            raise ValueError(f"{spec.name} {lang}: no {name} predictions in {', '.join(run.path for run in runs)}")
        observed[lang], differences, examples[lang] = language_differences(spec, pairs, runs_root, lang, resamples,
                                                                           seed, union, cache)
        draws = stream(seed, spec.name, name, lang).integers(0, len(pairs), (resamples, len(pairs)))
        replicates[lang] = mean_of_draws(differences, draws)
    pairing = "shot sets" if FEW_SHOT_SPLIT.fullmatch(name) else "by seed"
    return Comparison(spec.name, pairing, observed, replicates, examples, resamples)


def paired_difference(runs_a, runs_b, runs_root, split="test", languages=None, resamples=RESAMPLES,
                      seed=0) -> Interval:
    """The interval of the language-average difference runs_a - runs_b (Run objects of reporting/runs.py)."""
    return compare(runs_a, runs_b, runs_root, split, languages, resamples, seed).interval()
