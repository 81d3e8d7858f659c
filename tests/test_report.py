"""scripts/report.py on a fixture tree of run folders, against values computed by hand."""
import csv
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import report  # noqa: E402

from utils.languages import LANGUAGES, XTREME_LANGUAGES, XTREME_R_LANGUAGES  # noqa: E402
from tasks import TASKS  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_run(root, rel, task, metric, scores, config=None, done=True, split="test"):
    """scores: {lang: number or dict of metrics}; a number becomes {metric: number}."""
    out = root / rel
    out.mkdir(parents=True, exist_ok=True)
    per_language = {lang: {split: v if isinstance(v, dict) else {metric: v}} for lang, v in scores.items()}
    (out / "metrics.json").write_text(json.dumps({"task": task, "metric": metric, "per_language": per_language}))
    if config is not None:
        (out / "run_config.json").write_text(json.dumps(config))
    if done:
        (out / "DONE").write_text("")
    return out


def target(root, base, seed, inter, task, metric, scores):
    config = {"task": task, "intermediate_task": None if inter == "baseline" else inter, "base_model": base,
              "seed": seed, "arguments": {"model_name_or_path": "ignored", "seed": seed}}
    return make_run(root, f"{base}/seed{seed}/{inter}/{task}", task, metric, scores, config)


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "runs"
    t = target
    t(root, "xlmr", 1, "baseline", "xnli", "accuracy", {"de": 70, "fr": 74})            # avg 72
    t(root, "xlmr", 2, "baseline", "xnli", "accuracy", {"de": 72, "fr": 76})            # avg 74
    t(root, "xlmr", 1, "mnli", "xnli", "accuracy", {"de": 75, "fr": 77})                # avg 76
    t(root, "xlmr", 2, "mnli", "xnli", "accuracy", {"de": 77, "fr": 81})                # avg 79
    t(root, "xlmr", 1, "baseline", "xquad", "f1", {"en": {"exact_match": 60, "f1": 80, "avg": 70},
                                                   "de": {"exact_match": 50, "f1": 70}})  # avg (70 + 60) / 2
    t(root, "xlmr", 1, "mnli", "xquad", "f1", {"en": {"exact_match": 62, "f1": 82},
                                               "de": {"exact_match": 54, "f1": 74}})      # avg (72 + 64) / 2
    t(root, "xlmr", 1, "baseline", "tatoeba", "accuracy", {"de": 80, "zh": 50})          # avg 65
    t(root, "xlmr", 1, "mnli", "tatoeba", "accuracy", {"de": 90, "zh": 40})              # avg 65
    t(root, "mbert", 1, "baseline", "xnli", "accuracy", {"de": 60, "fr": 62})           # avg 61
    t(root, "mbert", 1, "mnli", "xnli", "accuracy", {"de": 63, "fr": 65})               # avg 64
    make_run(root, "xlmr/seed1/mnli", "mnli", "accuracy", {"en": 85},
             {"task": "mnli", "intermediate_task": "none", "base_model": "xlmr", "seed": 1,
              "arguments": {"model_name_or_path": "xlmr", "seed": 1}}, split="validation")
    make_run(root, "xlmr/seed1/mnli/pawsx", "pawsx", "accuracy", {"de": 1}, {"task": "pawsx"}, done=False)
    bad = make_run(root, "xlmr/seed1/mnli/udpos", "udpos", "f1", {"de": 1}, {"task": "udpos"})
    (bad / "metrics.json").write_text('{"task": "udpos", "metric": ')
    missing = make_run(root, "xlmr/seed1/baseline/panx", "panx", "f1", {"de": 1}, {"task": "panx"})
    (missing / "metrics.json").write_text('{"task": "panx", "metric": "f1"}')
    return root


def rows_of(tables, name, **match):
    return [r for r in tables[name] if all(r[k] == v for k, v in match.items())]


def one(tables, name, **match):
    rows = rows_of(tables, name, **match)
    assert len(rows) == 1, (match, rows)
    return rows[0]


def test_paper_table_mean_std_and_difference(runs):
    tables = report.main([str(runs)])
    base = one(tables, "paper_table", base_model="xlmr", intermediate="baseline", target="xnli")
    assert (base["n_seeds"], base["mean"], base["delta"]) == (2, 73.0, None)
    assert base["std"] == pytest.approx(2 ** 0.5)
    mnli = one(tables, "paper_table", base_model="xlmr", intermediate="mnli", target="xnli")
    assert (mnli["mean"], mnli["delta"], mnli["seeds"]) == (77.5, 4.5, "1 2")
    assert mnli["std"] == pytest.approx(4.5 ** 0.5)
    qa = one(tables, "paper_table", base_model="xlmr", intermediate="mnli", target="xquad")
    assert (qa["mean"], qa["delta"], qa["std"]) == (68.0, 3.0, None)
    assert one(tables, "paper_table", base_model="mbert", intermediate="mnli", target="xnli")["delta"] == 3.0
    order = [(r["base_model"], r["target"], r["intermediate"]) for r in tables["paper_table"]]
    assert order[:2] == [("mbert", "xnli", "baseline"), ("mbert", "xnli", "mnli")]
    assert [t for b, t, _ in order if b == "xlmr"] == ["xnli", "xnli", "xquad", "xquad", "tatoeba", "tatoeba"]


def test_xtreme_score_per_task_category_and_overall(runs):
    tables = report.main([str(runs)])
    base = one(tables, "xtreme_score", base_model="xlmr", intermediate="baseline")
    assert (base["xnli"], base["xquad"], base["tatoeba"], base["pawsx"]) == (73.0, 65.0, 65.0, None)
    assert (base["classification"], base["question answering"], base["retrieval"]) == (73.0, 65.0, 65.0)
    assert base["structured prediction"] is None and base["n_tasks"] == 3
    assert base["xtreme"] == pytest.approx((73 + 65 + 65) / 3)
    mnli = one(tables, "xtreme_score", base_model="xlmr", intermediate="mnli")
    assert mnli["xtreme"] == pytest.approx((77.5 + 68 + 65) / 3)
    assert mnli["delta"] == pytest.approx(2.5)
    assert one(tables, "xtreme_score", base_model="mbert", intermediate="mnli")["xtreme"] == 64.0


def test_per_language_and_per_family(runs):
    tables = report.main([str(runs)])
    de = one(tables, "per_language", base_model="xlmr", intermediate="mnli", target="xnli", language="de")
    assert (de["mean"], de["delta"], de["n_seeds"], de["name"]) == (76.0, 5.0, 2, "German")
    family = one(tables, "per_group", base_model="xlmr", intermediate="mnli", target="xnli", grouping="family")
    assert family["group"] == "Indo-European" and family["languages"] == "de fr"
    assert (family["mean"], family["delta"], family["worst_language"], family["worst"], family["gap"]) == \
        (77.5, 4.5, "de", 76.0, 3.0)
    assert family["std"] == pytest.approx(1.5)
    genus = one(tables, "per_group", base_model="xlmr", intermediate="mnli", target="xnli", group="Romance")
    assert (genus["mean"], genus["delta"], genus["gap"], genus["std"]) == (79.0, 4.0, 0.0, 0.0)
    han = one(tables, "per_group", base_model="xlmr", intermediate="mnli", target="tatoeba", group="Han")
    latin = one(tables, "per_group", base_model="xlmr", intermediate="mnli", target="tatoeba",
                grouping="script", group="Latin")
    assert (han["delta"], latin["delta"]) == (-10.0, 10.0)


def test_unfinished_and_corrupted_runs_are_listed_not_averaged(runs):
    tables = report.main([str(runs)])
    status = {r["path"]: (r["status"], r["problem"]) for r in tables["runs"]}
    assert status["xlmr/seed1/mnli/pawsx"][0] == "unfinished"
    assert status["xlmr/seed1/mnli/udpos"][0] == "corrupted" and "not valid JSON" in status["xlmr/seed1/mnli/udpos"][1]
    assert status["xlmr/seed1/baseline/panx"] == ("corrupted", f"{runs}/xlmr/seed1/baseline/panx/metrics.json: "
                                                  "missing field 'per_language'")
    assert not {"pawsx", "udpos", "panx"} & {r["target"] for r in tables["paper_table"]}
    intermediate = one(tables, "runs", path="xlmr/seed1/mnli")
    assert (intermediate["role"], intermediate["average"], intermediate["base_model"]) == ("intermediate", 85.0, "xlmr")
    text = (runs / "report" / "report.md").read_text()
    assert "## Runs left out" in text and "xlmr/seed1/mnli/udpos" in text


def test_files_written_markdown_csv_and_png(runs, tmp_path):
    out = tmp_path / "out"
    report.main([str(runs), "--output_dir", str(out)])
    for name in ("report.md", "languages.md", "groups.md", "paper_table.csv", "xtreme_score.csv",
                 "per_language.csv", "per_group.csv", "base_models.csv", "runs.csv"):
        assert (out / name).stat().st_size > 0, name
    text = (out / "report.md").read_text()
    assert "| mnli | 77.5 ± 2.1 (+4.5) | 68.0 (+3.0) | 65.0 (+0.0) |" in text
    assert "| baseline | 73.0 ± 1.4 | 65.0 | 65.0 |" in text
    with open(out / "paper_table.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[0].keys() >= {"base_model", "target", "intermediate", "n_seeds", "mean", "std", "delta"}
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "heatmap_xlmr.png" in pngs and "heatmap_mbert.png" in pngs and "languages_xlmr_xnli.png" in pngs
    import matplotlib.image
    for name in pngs:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, name
        assert matplotlib.image.imread(out / name).shape[0] > 50
    assert not list(out.glob(".*.tmp"))


def test_base_model_comparison(runs):
    tables = report.main([str(runs)])
    row = one(tables, "base_models", intermediate="mnli", target="xnli")
    assert (row["mbert mean"], row["mbert delta"], row["xlmr mean"], row["xlmr delta"]) == (64.0, 3.0, 77.5, 4.5)


def test_layout_fallback_without_fields(tmp_path):
    """The runner's own run_config.json (no base_model/intermediate_task): read from the folder layout."""
    root = tmp_path / "runs"
    arguments = {"model_name_or_path": "roberta-large", "seed": 42}
    inter = make_run(root, "mnli", "mnli", "accuracy", {"en": 80}, {"task": "mnli", "arguments": arguments},
                     split="validation")
    (inter / "encoder").mkdir()
    make_run(root, "mnli/xnli", "xnli", "accuracy", {"de": 70},
             {"task": "xnli", "arguments": {"model_name_or_path": str(inter / "encoder"), "seed": 42}})
    make_run(root, "baseline/xnli", "xnli", "accuracy", {"de": 60}, {"task": "xnli", "arguments": arguments})
    make_run(root, "seed3/baseline/xnli", "xnli", "accuracy", {"de": 50})
    runs = {run.path: run for run in report.collect(root, root / "report", "test")}
    assert [(r.base_model, r.intermediate, r.seed, r.is_target) for r in runs.values()] == [
        ("roberta-large", "baseline", 42, True), ("roberta-large", "mnli", 42, False),
        ("roberta-large", "mnli", 42, True), ("unknown", "baseline", 3, True)]
    assert runs["mnli/xnli"].average == 70.0 and runs["mnli"].average == 80.0


def test_multitask_intermediate_and_bad_scores(tmp_path):
    """A multi-task intermediate run (task "multitask", intermediate_tasks) and the target trained from it."""
    root = tmp_path / "runs"
    make_run(root, "mt", "multitask", "average", {"en": {"mnli_accuracy": 70, "average": 60}},
             {"task": "multitask", "intermediate_tasks": ["mnli", "ccg"], "base_model": "xlmr", "seed": 1},
             split="validation")
    make_run(root, "mt/xnli", "xnli", "accuracy", {"de": 70},
             {"task": "xnli", "intermediate_task": ["mnli", "ccg"], "base_model": "xlmr", "seed": 1})
    make_run(root, "baseline/xnli", "xnli", "accuracy", {"de": {"accuracy": "n/a"}}, {"task": "xnli"})
    runs = {run.path: run for run in report.collect(root, root / "report", "test")}
    assert (runs["mt"].is_target, runs["mt"].intermediate, runs["mt"].average) == (False, "mnli+ccg", 60.0)
    assert (runs["mt/xnli"].is_target, runs["mt/xnli"].intermediate, runs["mt/xnli"].average) == (True, "mnli+ccg", 70.0)
    assert runs["baseline/xnli"].status == "corrupted"
    assert runs["baseline/xnli"].problem.endswith("metrics.json: per_language/de/test: could not convert string "
                                                  "to float: 'n/a'")


def test_duplicate_runs_are_not_averaged_twice(tmp_path):
    root = tmp_path / "runs"
    config = {"task": "xnli", "intermediate_task": None, "base_model": "m", "seed": 1}
    make_run(root, "a/xnli", "xnli", "accuracy", {"de": 60}, config)
    make_run(root, "b/xnli", "xnli", "accuracy", {"de": 70}, config)
    tables = report.main([str(root)])
    assert one(tables, "paper_table", target="xnli")["mean"] == 60.0
    assert one(tables, "runs", path="b/xnli")["status"] == "duplicate"


def test_empty_runs_dir_and_missing_dir(tmp_path, capsys):
    report.main([str(tmp_path)])
    assert (tmp_path / "report" / "report.md").is_file()
    with pytest.raises(SystemExit, match="not a folder"):
        report.main([str(tmp_path / "nope")])


def test_languages_cover_every_registry_language():
    registry = {lang for spec in TASKS.values() for lang in spec.languages + spec.xtreme_r_languages}
    assert registry <= set(LANGUAGES)
    assert len(XTREME_LANGUAGES) == 40 and len(XTREME_R_LANGUAGES) == 50 and set(XTREME_R_LANGUAGES) == set(LANGUAGES)
    for lang in LANGUAGES.values():
        assert lang.name and lang.family and lang.genus and lang.script
    assert (LANGUAGES["sw"].family, LANGUAGES["ur"].script, LANGUAGES["eu"].genus) == ("Niger-Congo", "Arabic", "Basque")


def test_model_names_hub_ids_kept_local_folders_shortened():
    from report_runs import model_name
    assert model_name("xlm-roberta-large") == "xlm-roberta-large" and model_name("org/model") == "org/model"
    assert model_name("/root/.cache/models/multilingual-e5-small") == "multilingual-e5-small"
