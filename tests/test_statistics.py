"""Per-example statistics of every kind, the paired bootstrap (reporting/stats.py, reporting/sections/significance.py) and the fairness summary
(reporting/sections/fairness.py), against values computed by hand or by the kinds' own metrics."""
import itertools
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import report  # noqa: E402  (scripts/report.py, the command line)
from reporting import stats as S  # noqa: E402
from reporting.runs import Run, collect, group_configs, headline  # noqa: E402
from reporting.section import Context  # noqa: E402
from reporting.sections import fairness as report_fairness  # noqa: E402
from reporting.sections import significance  # noqa: E402

from conftest import write_jsonl  # noqa: E402
from tasks import NER_TAGS, NLI_LABELS, TASKS, UPOS_TAGS  # noqa: E402
from tasks.kinds import kind_of  # noqa: E402
from tasks import retrieval as R  # noqa: E402


def summed_metric(spec, records, lang, **extra):
    kind = kind_of(spec)
    ids, stats = kind.example_statistics(spec, records, lang, **extra)
    assert len(ids) == len(stats)
    return float(kind.metric_from_statistics(spec, stats.sum(0), len(stats)))


def kind_headline(spec, records, lang):
    metrics = kind_of(spec).compute_metrics(spec, records, lang)
    return headline(metrics, spec.metric)


# ---------------------------------------------------------------- random records of every kind
WORDS = "the a an Paris Berlin river de la el der die cat dog 北京 大学 , . ! big old new".split()


def phrase(rng, n=None):
    return " ".join(rng.choice(WORDS) for _ in range(n or rng.randint(0, 4)))


def classification_records(rng, n):
    return [{"id": f"x{i}", "prediction": rng.choice(NLI_LABELS), "label": rng.choice(NLI_LABELS)} for i in range(n)]


def choice_records(rng, n):
    return [{"id": f"c{i}", "prediction": rng.randint(0, 1), "label": rng.randint(0, 1)} for i in range(n)]


def qa_records(rng, n, unanswerable=False):
    rows = []
    for i in range(n):
        gold = [] if unanswerable and rng.random() < 0.3 else [phrase(rng, rng.randint(1, 4))
                                                                for _ in range(rng.randint(1, 3))]
        prediction = rng.choice(gold) if gold and rng.random() < 0.3 else phrase(rng)
        rows.append({"id": f"q{i}", "prediction": prediction, "label": gold})
    return rows


def tag_records(rng, n, tags):
    rows = []
    for i in range(n):
        length = rng.randint(1, 12)
        rows.append({"id": f"s{i}", "tokens": ["w"] * length, "label": [rng.choice(tags) for _ in range(length)],
                     "prediction": [rng.choice(tags) for _ in range(length)]})
    return rows


def ranking_records(rng, n):
    pool = [f"p{i}" for i in range(40)]
    return [{"id": f"r{i}", "prediction": rng.sample(pool, 20), "label": rng.sample(pool, rng.randint(1, 3))}
            for i in range(n)]


CASES = {  # task, language, records builder
    "xnli": ("de", classification_records),
    "pawsx": ("de", lambda rng, n: [{**r, "prediction": rng.choice("01"), "label": rng.choice("01")}
                                    for r in classification_records(rng, n)]),
    "xcopa": ("tr", choice_records),
    "xquad": ("de", qa_records),
    "mlqa_de": ("de", qa_records),
    "mlqa_zh": ("zh", qa_records),
    "squad_v2": ("en", lambda rng, n: qa_records(rng, n, unanswerable=True)),
    "panx": ("de", lambda rng, n: tag_records(rng, n, NER_TAGS)),
    "udpos": ("de", lambda rng, n: tag_records(rng, n, UPOS_TAGS)),
    "ccg": ("en", lambda rng, n: tag_records(rng, n, ["N", "NP", "S/NP", "(S\\NP)/NP"])),
    "lareqa": ("de", ranking_records),
}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_summed_statistics_give_the_kinds_headline(case, seed):
    """KEY TEST: for every kind, the metric of the summed per-example statistics is compute_metrics' headline."""
    lang, build = CASES[case]
    spec = TASKS[case.split("_")[0] if case.startswith("mlqa") else case]
    records = build(random.Random(seed), 60)
    assert summed_metric(spec, records, lang) == pytest.approx(kind_headline(spec, records, lang), abs=1e-9)


def test_tagging_chunks_per_sentence_include_broken_and_single_token_chunks():
    """Chunks that start with I-, SCONJ (single-token "S" chunks) and runs of one POS tag: per-sentence counts
    summed are the whole-corpus seqeval / XTREME figures, here also computed by hand."""
    panx, udpos = TASKS["panx"], TASKS["udpos"]
    records = [{"id": "a", "label": ["B-PER", "I-PER", "O", "I-LOC"], "prediction": ["B-PER", "I-PER", "O", "B-LOC"]},
               {"id": "b", "label": ["I-ORG", "O"], "prediction": ["O", "O"]}]
    # gold chunks PER(0-1), LOC(3), ORG(0): 3; predicted PER, LOC: 2, both right -> F1 = 2 * 2 / (2 + 3) = 80
    assert summed_metric(panx, records, "de") == pytest.approx(80.0) == kind_headline(panx, records, "de")
    pos = [{"id": "a", "label": ["NOUN", "NOUN", "SCONJ", "SCONJ", "VERB"],
            "prediction": ["NOUN", "NOUN", "SCONJ", "VERB", "VERB"]}]
    # gold: NOUN(0-1), SCONJ(2), SCONJ(3), VERB(4) = 4; predicted: NOUN(0-1), SCONJ(2), VERB(3-4) = 3; right 2
    assert summed_metric(udpos, pos, "de") == pytest.approx(100 * 4 / 7) == kind_headline(udpos, pos, "de")


def test_tatoeba_statistics_give_its_accuracy():
    torch.manual_seed(0)
    source, english = torch.randn(30, 8), torch.randn(30, 8)
    english[:12] = source[:12] + 0.01 * torch.randn(12, 8)  # 12 findable translations
    metrics, xtreme, reverse = R.tatoeba_scores(source, english)
    records = [{"id": i, "prediction": p, "prediction_reverse": r, "label": i}
               for i, (p, r) in enumerate(zip(xtreme, reverse))]   # as run_retrieval.py writes them
    assert summed_metric(TASKS["tatoeba"], records, "de") == pytest.approx(metrics["accuracy"])
    assert metrics["accuracy"] >= 40


@pytest.mark.parametrize("seed", [0, 1])
def test_bucc_statistics_give_bucc_f1(seed):
    rng = random.Random(seed)
    gold = {(f"de-{i}", f"en-{i}") for i in range(30)} | {("de-0", "en-99")}   # one source with two gold pairs
    candidates = [(f"de-{rng.randint(0, 45)}", f"en-{rng.randint(0, 45)}", rng.random()) for _ in range(60)]
    candidates += [(s, t, rng.random()) for s, t in list(gold) if rng.random() < 0.6]
    candidates = list({(s, t): (s, t, c) for s, t, c in candidates}.values())
    metrics, records = R.bucc_scores(candidates, gold, 0.4)
    spec = TASKS["bucc"]
    assert summed_metric(spec, records, "de", gold=gold) == pytest.approx(metrics["f1"])
    ids, stats = kind_of(spec).example_statistics(spec, records, "de", gold=gold)
    assert stats[ids.index("de-0"), 2] == 2 and stats[:, 2].sum() == len(gold) and stats[:, 1].sum() == len(records)
    with pytest.raises(ValueError, match="gold pairs"):
        kind_of(spec).example_statistics(spec, records, "de")


# ---------------------------------------------------------------- the bootstrap, by hand
A = np.array([[1.0], [1.0], [0.0], [1.0]])   # accuracy statistics of 4 examples: 75%
B = np.array([[1.0], [0.0], [0.0], [0.0]])   # 25%: per-example differences 0, 1, 0, 1


def test_fixed_resamples_and_their_percentiles_by_hand():
    index = np.array([[0, 1, 2, 3], [0, 0, 0, 0], [1, 1, 2, 2], [3, 2, 1, 1], [2, 2, 2, 2]])
    differences = S.resample_differences(TASKS["xnli"], A, B, index)
    assert differences.tolist() == pytest.approx([50.0, 0.0, 50.0, 75.0, 0.0])
    # sorted 0, 0, 50, 50, 75: the 2.5th percentile at rank 0.1 -> 0, the 97.5th at rank 3.9 -> 50 + 0.9 * 25
    assert S.percentile_interval(differences) == pytest.approx((0.0, 72.5))


def test_every_one_of_the_256_resamples_of_4_examples():
    """All 4^4 resamples: the number of differing examples drawn is Binomial(4, 1/2), so the 256 differences are
    0 (16 times), 25 (64), 50 (96), 75 (64), 100 (16); ranks 6.375 and 248.625 give the interval [0, 100]."""
    index = np.array(list(itertools.product(range(4), repeat=4)))
    differences = S.resample_differences(TASKS["xnli"], A, B, index)
    values, counts = np.unique(differences, return_counts=True)
    assert values.tolist() == pytest.approx([0, 25, 50, 75, 100]) and counts.tolist() == [16, 64, 96, 64, 16]
    assert differences.mean() == pytest.approx(50.0)
    assert S.percentile_interval(differences) == pytest.approx((0.0, 100.0))


def test_a_ratio_metric_is_recomputed_from_resampled_sums():
    """Entity F1 is not a mean over sentences: each resample sums (TP, predicted, gold) and takes 2TP / (P + G)."""
    a = np.array([[1, 1, 1], [0, 1, 1], [2, 2, 2], [0, 0, 1]], dtype=float)
    b = np.array([[0, 1, 1], [0, 1, 1], [1, 2, 2], [0, 0, 1]], dtype=float)
    got = S.resample_differences(TASKS["panx"], a, b, np.array([[0, 0, 2, 3]]))
    # a: TP 4, P 4, G 5 -> 8/9; b: TP 1, P 4, G 5 -> 2/9
    assert got.tolist() == pytest.approx([100 * 6 / 9])


def test_coverage_on_simulated_accuracies():
    """Two systems, true accuracies 70% and 65% (difference 5 points): about 95% of 200 simulated test sets of 400
    examples give an interval that covers 5."""
    rng = np.random.default_rng(0)
    spec, covered = TASKS["xnli"], 0
    for _ in range(200):
        a = (rng.random(400) < 0.70).astype(float)[:, None]
        b = (rng.random(400) < 0.65).astype(float)[:, None]
        low, high = S.percentile_interval(S.bootstrap_differences(spec, a, b, rng, 400))
        covered += low <= 5.0 <= high
    assert 0.90 <= covered / 200 <= 0.99


def test_examples_are_paired_by_id():
    stats_a, stats_b = np.array([[1.0], [2.0], [3.0]]), np.array([[30.0], [10.0], [40.0]])
    ids, a, b = S.pair_examples(["x", "y", "z"], stats_a, ["z", "x", "w"], stats_b)
    assert ids == ["x", "z"] and a.ravel().tolist() == [1, 3] and b.ravel().tolist() == [10, 30]
    ids, a, b = S.pair_examples(["x", "y", "z"], stats_a, ["z", "x", "w"], stats_b, union=True)
    assert ids == ["x", "y", "z", "w"] and a.ravel().tolist() == [1, 2, 3, 0] and b.ravel().tolist() == [10, 0, 30, 40]


def test_seed_pairing():
    runs_a = [Run("a1", seed=1), Run("a2", seed=2)]
    pairs, how = S.seed_pairs(runs_a, [Run("b2", seed=2), Run("b1", seed=1)])
    assert how == "by seed" and [(a.path, b.path) for a, b in pairs] == [("a1", "b1"), ("a2", "b2")]
    pairs, how = S.seed_pairs(runs_a, [Run("b3", seed=3)])
    assert how == "all combinations" and [(a.path, b.path) for a, b in pairs] == [("a1", "b3"), ("a2", "b3")]
    draws = S.seed_draws(np.random.default_rng(0), 2, 3, "all combinations", 50)
    assert draws.shape == (50, 6) and set(np.unique(draws)) <= set(range(6))


# ---------------------------------------------------------------- fixture run folders
def make_run(root, rel, task, records_by_lang, intermediate="baseline", seed=1, base="xlmr", data_dir=None,
             extra_metrics=None):
    spec, out = TASKS[task], root / rel
    per_language = {}
    for lang, records in records_by_lang.items():
        write_jsonl(out / "predictions" / task / f"test-{lang}.jsonl", records)
        scores = extra_metrics[lang] if extra_metrics else kind_of(spec).compute_metrics(spec, records, lang)
        per_language[lang] = {"test": scores}
    (out / "metrics.json").write_text(json.dumps({"task": task, "metric": spec.metric, "per_language": per_language}))
    (out / "run_config.json").write_text(json.dumps({
        "task": task, "intermediate_task": None if intermediate == "baseline" else intermediate, "base_model": base,
        "seed": seed, "arguments": {"seed": seed, "data_dir": str(data_dir) if data_dir else None}}))
    (out / "DONE").write_text("")
    return out


def significance_table(runs, root, resamples, seed=0):
    """(Markdown, rows) of the report's significance section on runs."""
    section = significance.build(Context(root, runs, resamples=resamples, seed=seed))
    return section.markdown, section.tables["significance"]


def accuracy_records(correct, prefix=""):
    return [{"id": f"{prefix}{i}", "prediction": "entailment" if ok else "neutral", "label": "entailment"}
            for i, ok in enumerate(correct)]


def test_end_to_end_significance_table(tmp_path):
    root = tmp_path / "runs"
    rng = np.random.default_rng(1)
    base_de, base_fr = rng.random(300) < 0.6, rng.random(300) < 0.6
    make_run(root, "baseline/xnli", "xnli", {"de": accuracy_records(base_de), "fr": accuracy_records(base_fr)})
    better = {"de": accuracy_records(base_de | (rng.random(300) < 0.5)),   # clearly better
              "fr": accuracy_records(base_fr | (rng.random(300) < 0.5))}
    make_run(root, "mnli/xnli", "xnli", better, intermediate="mnli")
    same = accuracy_records(base_de ^ (rng.random(300) < 0.05))          # a few flips each way: ~0
    # the variant lacks example 0 and lists the others in reverse order: 299 paired examples
    make_run(root, "squad/xnli", "xnli", {"de": same[1:][::-1], "fr": accuracy_records(base_fr)}, intermediate="squad")
    runs = collect(root, root / "report", "test")

    markdown, rows = significance_table(runs, root, resamples=300, seed=0)
    by = {(r["intermediate"], r["target"], r["language"]): r for r in rows}
    mnli, squad = by[("mnli", "xnli", "avg")], by[("squad", "xnli", "avg")]
    expected = np.mean([headline_of(better[lang]) - 100 * correct.mean()
                        for lang, correct in (("de", base_de), ("fr", base_fr))])
    assert mnli["difference"] == pytest.approx(expected) and mnli["significant"] and mnli["low"] > 0
    assert mnli["examples"] == 600 and mnli["seed_pairs"] == 1
    de = by[("squad", "xnli", "de")]
    assert de["examples"] == 299
    assert de["difference"] == pytest.approx(headline_of(same[1:]) - 100 * base_de[1:].mean())
    assert not squad["significant"] and squad["low"] <= 0 <= squad["high"]
    assert by[("mnli", "xtreme", "avg")]["difference"] == pytest.approx(mnli["difference"])  # xnli: its only task
    assert "300 resamples" in markdown and "≈" in markdown and "paired bootstrap" in markdown
    again = S.paired_difference([r for r in runs if r.intermediate == "mnli"],
                                [r for r in runs if r.intermediate == "baseline"], root, resamples=300, seed=0)
    assert (again.low, again.high) == pytest.approx((mnli["low"], mnli["high"]))   # seeded: reproducible


def headline_of(records):
    return 100 * np.mean([r["prediction"] == r["label"] for r in records])


def test_seeds_are_resampled_too(tmp_path):
    """Seed 1: both runs right on every example (difference 0); seed 2: the variant right and the baseline wrong
    on every example (100). Resampling examples alone gives no spread; resampling the 2 seed pairs gives replicate
    means 0, 50, 100 (1/4, 1/2, 1/4): the interval is [0, 100] around the observed 50, seed std = 70.71."""
    root = tmp_path / "runs"
    for seed, baseline_right in ((1, True), (2, False)):
        make_run(root, f"s{seed}/baseline/xnli", "xnli", {"de": accuracy_records([baseline_right] * 20)}, seed=seed)
        make_run(root, f"s{seed}/mnli/xnli", "xnli", {"de": accuracy_records([True] * 20)}, "mnli", seed=seed)
    runs = collect(root, root / "report", "test")
    interval = S.paired_difference([r for r in runs if r.intermediate == "mnli"],
                                   [r for r in runs if r.intermediate == "baseline"], root, resamples=400)
    assert interval.difference == pytest.approx(50) and interval.pairing == "by seed" and interval.seed_pairs == 2
    assert (interval.low, interval.high) == pytest.approx((0, 100)) and not interval.significant
    assert set(np.unique(interval.replicates)) == {0, 50, 100}
    assert interval.seed_std == pytest.approx(np.std([0, 100], ddof=1))


def test_unmatched_seeds_compare_every_combination(tmp_path):
    """Variant seeds 1 (100% right) and 2 (50%) against baseline seed 3 (0%): the difference is 75 = mean(100, 50);
    a quarter of the replicates draw seed 1 twice (100 exactly), so the 97.5th percentile is 100; a quarter draw
    seed 2 twice (two resamples of 50% on 20 examples: sd 7.9), so the 2.5th percentile is about 50 - 1.28 * 7.9."""
    root = tmp_path / "runs"
    make_run(root, "s3/baseline/xnli", "xnli", {"de": accuracy_records([False] * 20)}, seed=3)
    make_run(root, "s1/mnli/xnli", "xnli", {"de": accuracy_records([True] * 20)}, "mnli", seed=1)
    make_run(root, "s2/mnli/xnli", "xnli", {"de": accuracy_records([True, False] * 10)}, "mnli", seed=2)
    runs = collect(root, root / "report", "test")
    interval = S.paired_difference([r for r in runs if r.intermediate == "mnli"],
                                   [r for r in runs if r.intermediate == "baseline"], root, resamples=400)
    assert (interval.difference, interval.pairing, interval.seed_pairs) == (75, "all combinations", 2)
    assert interval.high == pytest.approx(100) and 30 < interval.low < 55 and interval.significant
    assert 0.15 < np.mean(interval.replicates == 100) < 0.35


def test_xtreme_score_difference_averages_independently_resampled_tasks(tmp_path):
    root = tmp_path / "runs"
    make_run(root, "baseline/xnli", "xnli", {"de": accuracy_records([True, False] * 20)})
    make_run(root, "mnli/xnli", "xnli", {"de": accuracy_records([True] * 40)}, "mnli")
    tatoeba = lambda right: [{"id": i, "prediction": i if i < right else -1, "label": i} for i in range(50)]  # noqa
    make_run(root, "baseline/tatoeba", "tatoeba", {"de": tatoeba(20)}, extra_metrics={"de": {"accuracy": 40.0}})
    make_run(root, "mnli/tatoeba", "tatoeba", {"de": tatoeba(10)}, "mnli", extra_metrics={"de": {"accuracy": 20.0}})
    rows = significance.rows(Context(root, collect(root, root / "report", "test"), resamples=200))
    by = {(r["target"], r["language"]): r for r in rows}
    assert by[("xnli", "avg")]["difference"] == pytest.approx(50) and by[("tatoeba", "avg")]["difference"] == -20
    assert by[("xtreme", "avg")]["difference"] == pytest.approx(15) and by[("xtreme", "avg")]["examples"] == 90
    assert by[("xtreme_r", "avg")]["difference"] == pytest.approx(15)
    assert by[("xtreme", "avg")]["note"] == "2 of 9 tasks: xnli, tatoeba"
    assert by[("xtreme_r", "avg")]["note"] == "2 of 10 tasks: xnli, tatoeba"


def test_bucc_end_to_end_reads_its_gold_pairs(tmp_path):
    data = tmp_path / "data"
    gold = [(f"de-{i}", f"en-{i}") for i in range(10)]
    write_jsonl(data / "bucc" / "test-de.source.jsonl", [{"id": s, "text": f"s {s}"} for s, _ in gold])
    write_jsonl(data / "bucc" / "test-de.target.jsonl", [{"id": t, "text": f"t {t}"} for _, t in gold])
    write_jsonl(data / "bucc" / "test-de.gold.jsonl", [{"source_id": s, "target_id": t} for s, t in gold])
    root, gold_set = tmp_path / "runs", set(gold)

    def run(rel, chosen, intermediate):
        candidates = [(s, t, 1.0) for s, t in chosen]
        metrics, records = R.bucc_scores(candidates, gold_set, 0.5)
        make_run(root, rel, "bucc", {"de": records}, intermediate, data_dir=data,
                 extra_metrics={"de": {**metrics, "gold_pairs": len(gold_set)}})
        return metrics["f1"]

    # baseline: 4 right and 2 wrong pairs, F1 = 2 * 4 / (6 + 10); variant: 8 right, F1 = 2 * 8 / (8 + 10)
    f1_base = run("baseline/bucc", gold[:4] + [("de-5", "en-7"), ("de-6", "en-1")], "baseline")
    f1_variant = run("mnli/bucc", gold[:8], "mnli")
    runs = collect(root, root / "report", "test")
    interval = S.paired_difference([r for r in runs if r.intermediate == "mnli"],
                                   [r for r in runs if r.intermediate == "baseline"], root, resamples=200)
    assert interval.difference == pytest.approx(f1_variant - f1_base)   # 2*8/18 - 2*4/16 = 38.89 points
    assert interval.examples == 10
    (root / "mnli" / "bucc" / "metrics.json").write_text(json.dumps(
        {"task": "bucc", "metric": "f1", "per_language": {"de": {"test": {"f1": 1.0, "gold_pairs": 11}}}}))
    with pytest.raises(ValueError, match="11"):
        S.paired_difference([r for r in runs if r.intermediate == "mnli"],
                            [r for r in runs if r.intermediate == "baseline"], root, resamples=10)


def test_a_missing_predictions_file_is_named_and_the_table_goes_on(tmp_path):
    root = tmp_path / "runs"
    make_run(root, "baseline/xnli", "xnli", {"de": accuracy_records([True, False])})
    variant = make_run(root, "mnli/xnli", "xnli", {"de": accuracy_records([True, True])}, "mnli")
    (variant / "predictions" / "xnli" / "test-de.jsonl").unlink()
    runs = collect(root, root / "report", "test")
    with pytest.raises(ValueError, match=r"mnli/xnli/predictions/xnli/test-de.jsonl: no such predictions file"):
        S.paired_difference([r for r in runs if r.intermediate == "mnli"],
                            [r for r in runs if r.intermediate == "baseline"], root, resamples=10)
    markdown, rows = significance_table(runs, root, resamples=10)
    assert "not computed" in markdown and "no such predictions file" in rows[0]["problem"]


def test_command_line_writes_the_tables(tmp_path):
    root = tmp_path / "runs"
    make_run(root, "baseline/xnli", "xnli", {"de": accuracy_records([True, False] * 5)})
    make_run(root, "mnli/xnli", "xnli", {"de": accuracy_records([True] * 10)}, "mnli")
    rows = report.main([str(root), "--sections", "significance", "--resamples", "50"])["significance"]
    assert (root / "report" / "report.md").read_text().count("| xlmr | xnli | mnli |") == 1
    assert (root / "report" / "significance.csv").read_text().splitlines()[0].startswith("base_model,target")
    assert rows[0]["difference"] == pytest.approx(50)


# ---------------------------------------------------------------- fairness
def fairness_runs():
    """Gains by hand: de +2 (two variant seeds 71 and 73 against 70), nl +4, ru -1, hi +1.5, sw -3, yo +0.5
    (not in CC-100), en +10 (the training language: left out)."""
    baseline = {"de": 70, "nl": 60, "ru": 50, "hi": 40, "sw": 30, "yo": 20, "en": 80}
    gain = {"de": 2, "nl": 4, "ru": -1, "hi": 1.5, "sw": -3, "yo": 0.5, "en": 10}
    runs = [Run("b", base_model="x", intermediate="baseline", task="panx", seed=1, scores=baseline)]
    for seed, shift in ((1, -1), (2, 1)):
        scores = {lang: baseline[lang] + gain[lang] + (shift if lang == "de" else 0) for lang in baseline}
        runs.append(Run(f"v{seed}", base_model="x", intermediate="mnli", task="panx", seed=seed, scores=scores))
    return runs


def test_fairness_summary_by_hand():
    markdown, rows = report_fairness.fairness_table(group_configs(fairness_runs()))
    (r,) = rows
    assert r["n_languages"] == 6 and (r["worst_language"], r["worst_gain"]) == ("sw", -3)
    assert (r["best_language"], r["best_gain"]) == ("nl", 4)
    # families: Indo-European (de, nl, ru, hi) (2 + 4 - 1 + 1.5) / 4 = 1.625; Niger-Congo (sw, yo) -1.25
    assert (r["worst_family"], r["best_family"]) == ("Niger-Congo", "Indo-European")
    assert r["family_gap"] == pytest.approx(2.875)
    # genera: Germanic 3, Slavic -1, Indic 1.5, Bantoid -3, Defoid 0.5
    assert (r["worst_genus"], r["best_genus"], r["genus_gap"]) == ("Bantoid", "Germanic", 6)
    # scripts: Latin (de, nl, sw, yo) 0.875, Cyrillic -1, Devanagari 1.5
    assert (r["worst_script"], r["best_script"]) == ("Cyrillic", "Devanagari")
    assert r["script_gap"] == pytest.approx(2.5)
    # Spearman over the 5 languages in CC-100 (sw 1.6 < hi 20.2 < nl 29.3 < de 66.6 < ru 278.0 GiB):
    # gain ranks sw 1, ru 2, hi 3, de 4, nl 5; d = 0, 3, -1, 0, -2 -> rho = 1 - 6 * 14 / (5 * 24) = 0.3
    assert r["cc100_languages"] == 5 and r["cc100_spearman"] == pytest.approx(0.3)
    assert "0.30 (5 of 6)" in markdown and "en left out" in markdown


def test_fairness_correlation_needs_three_languages():
    assert report_fairness.size_correlation({"de": 1.0, "fr": 2.0}) == (None, 2)
    assert report_fairness.size_correlation({"de": 1.0, "qu": 2.0, "wo": 3.0}) == (None, 1)
