"""SIB-200 (tasks/__init__.py `sib200`): its release's converter (prepare_data.py --from_raw sib200_tsv) on the shared
files and on constructed files with the format's edge cases, accuracy and macro F1, bad input before the model
loads, the cost estimate from the registry's sizes, and a tiny run from a replica of the hub copy in the hub's layout
(tests/hub_replica.py) through the report's per-language, group, fairness and typology sections."""
import json
import sys

import pytest

from conftest import FAST, ROOT, SHARED
import hub_replica
import prepare_data
from tasks import SIB200_LABELS, get_task, resolve_languages
from tasks.classification import KIND as CLASSIFICATION, sib200_tsv
from utils.args import InputError
from utils.data import read_jsonl

sys.path.insert(0, str(ROOT / "scripts"))

SIB200_DATA = SHARED / "data" / "sib200"
HEADER = "index_id\tcategory\ttext\n"


def convert(path, split, lang, out):
    prepare_data.main(["--from_raw", "sib200_tsv", "--input", str(path), "--task", "sib200", "--split", split,
                       "--lang", lang, "--out", str(out)])


# ---- the release's files ---------------------------------------------------------------------------------------

def test_converter_on_the_release_files(shared_data, tmp_path):
    """English train/dev/test and the 16 varieties' test sets; English (eng_Latn) is written under the task's code
    en; FLORES varieties of one language in two scripts stay apart; every variety holds the English test sentences'
    ids and labels (the same sentences in every language)."""
    spec, out = get_task("sib200"), tmp_path / "data"
    for raw, split in (("train.tsv", "train"), ("dev.tsv", "validation"), ("test.tsv", "test")):
        convert(shared_data / "sib200" / "eng_Latn" / raw, split, "eng_Latn", out)
        rows = read_jsonl(out / "sib200" / f"{split}-en.jsonl")
        assert len(rows) == spec.official_size(split, "en")  # 701 / 99 / 204
        assert {row["label"] for row in rows} == set(SIB200_LABELS)
    english = {row["id"]: row for row in read_jsonl(out / "sib200" / "test-en.jsonl")}
    varieties = sorted(p.name for p in (shared_data / "sib200").iterdir() if p.name != "eng_Latn")
    assert len(varieties) == 16 and {"zho_Hans", "zho_Hant", "arb_Arab", "arb_Latn"} <= set(varieties)
    for code in varieties:
        convert(shared_data / "sib200" / code / "test.tsv", "test", code, out)
        rows = read_jsonl(out / "sib200" / f"test-{code}.jsonl")
        assert {row["id"]: row["label"] for row in rows} == {i: row["label"] for i, row in english.items()}, code
        assert all(row["text_a"] != english[row["id"]]["text_a"] for row in rows[:5]), code  # translated
    texts = {code: [r["text_a"] for r in read_jsonl(out / "sib200" / f"test-{code}.jsonl")]
             for code in ("zho_Hans", "zho_Hant", "arb_Arab", "arb_Latn")}
    assert texts["zho_Hans"] != texts["zho_Hant"] and texts["arb_Arab"] != texts["arb_Latn"]
    assert resolve_languages(spec, ",".join(varieties)) == varieties  # each its own code of the task


# ---- constructed files: the format's edge cases ----------------------------------------------------------------

def test_converter_edge_cases(tmp_path):
    spec = get_task("sib200")
    path = tmp_path / "test.tsv"
    path.write_bytes(("\ufeff" + HEADER + '1\thealth\t"Quoted" words, kept as text.\r\n\r\n'
                      "2\tscience/technology\tA second line.\n\n").encode("utf-8"))
    rows = list(sib200_tsv(path, spec=spec))  # byte-order mark, Windows line ends, blank lines, quotes
    assert rows == [{"id": "1", "text_a": '"Quoted" words, kept as text.', "text_b": None, "label": "health"},
                    {"id": "2", "text_a": "A second line.", "text_b": None, "label": "science/technology"}]
    bad = {"index_id,category,text\n1,health,x\n": r"test.tsv:1: expected SIB-200's header",
           HEADER + "1\thealth\tfine\n2\thealth\tone\textra tab\n": r"test.tsv:3: expected 3 tab-separated columns",
           HEADER + "1\tweather\tRain.\n": r"test.tsv:2: label 'weather' is not a label of task 'sib200'",
           HEADER + "1\thealth\t \n": r"test.tsv:2: empty text"}
    for text, message in bad.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            list(sib200_tsv(path, spec=spec))


def test_accuracy_and_macro_f1_and_xtreme_metrics_unchanged():
    records = [{"id": str(i), "label": gold, "prediction": predicted} for i, (gold, predicted) in
               enumerate([("health", "health"), ("health", "travel"), ("travel", "travel"), ("sports", "travel")])]
    metrics = CLASSIFICATION.compute_metrics(get_task("sib200"), records, "hau_Latn")
    # F1 per label in the gold or the predictions: health P 1 R 1/2 -> 2/3, travel P 1/3 R 1 -> 1/2, sports 0
    assert metrics["accuracy"] == pytest.approx(50.0)
    assert metrics["macro_f1"] == pytest.approx(100 * (2 / 3 + 1 / 2 + 0) / 3)
    assert set(CLASSIFICATION.compute_metrics(get_task("xnli"), records, "de")) == {"accuracy"}


# ---- bad input: one line, before the model loads ---------------------------------------------------------------

def test_bad_languages_are_one_line_before_the_model_loads(tmp_path):
    import run_target
    cases = {"zho_Hanx": r"^--languages: language 'zho_Hanx' is not in the language registry .*did you mean "
                         r"zho_Hant, zho_Hans",
             "qu": r"^--languages: qu not a language of task 'sib200' \(closest of its 205: quy_Latn",
             "deu_Latn,yue_Hans": r"^--languages: language 'yue_Hans' is not in the language registry .*yue_Hant"}
    for languages, message in cases.items():
        out = tmp_path / languages
        with pytest.raises(InputError, match=message) as error:
            run_target.main(["--task", "sib200", "--model_name_or_path", str(tmp_path / "no-model"),
                             "--output_dir", str(out), "--languages", languages, *FAST])
        assert "\n" not in str(error.value) and not out.exists()


# ---- the cost estimate knows its sizes -------------------------------------------------------------------------

def test_cost_estimate_knows_its_sizes():
    from pipeline import cost
    spec = get_task("sib200")
    assert cost.training_examples(spec, {}) == (701, "")
    assert [cost.eval_examples(spec, split, lang, {}) for split, lang in
            (("validation", "en"), ("test", "hau_Latn"), ("test", "nqo_Nkoo"))] == [99, 204, 204]


# ---- a tiny run from the hub's layout, into the report ---------------------------------------------------------

def hub_rows(path):
    """The hub's columns (index_id, category, text) of an original TSV's rows."""
    return [{"index_id": int(row["id"]), "category": row["label"], "text": row["text_a"]}
            for row in sib200_tsv(path, spec=get_task("sib200"))]


def test_runs_from_a_hub_replica_into_the_report(shared_data, tiny_model_dir, tmp_path, monkeypatch):
    """Davlan/sib200 replicated in the hub's layout (one config per variety, README configs, Parquet) from the
    release's files (N'Ko: synthetic rows); two tiny runs (a baseline and a variant) read it through
    datasets.load_dataset; the report's languages, groups, fairness and typology sections cover the varieties."""
    import report
    import run_target
    configs = ("eng_Latn", "hau_Latn", "zho_Hant", "nqo_Nkoo")
    records = [r for r in hub_replica.added_records() if r["id"] == "Davlan/sib200" and r["config"] in configs]
    tables = {("eng_Latn", split): hub_rows(shared_data / "sib200" / "eng_Latn" / f"{raw}.tsv")[:40]
              for split, raw in (("train", "train"), ("validation", "dev"), ("test", "test"))}
    tables.update({(code, "test"): hub_rows(shared_data / "sib200" / code / "test.tsv")[:20]
                   for code in ("hau_Latn", "zho_Hant")})
    hub = tmp_path / "hub"
    hub_replica.build_parquet_repo(hub, "Davlan/sib200", records, 20, tables=tables)
    hub_replica.use_mirror(monkeypatch, hub)
    runs = tmp_path / "runs"
    for variant, seed in ((None, "1"), ("other", "2")):
        out = runs / (variant or "baseline") / "sib200"
        run_target.main(["--task", "sib200", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                         "--languages", "eng_Latn,hau_Latn,zho_Hant,nqo", *FAST, "--seed", seed,
                         *(["--variant", variant] if variant else [])])
        metrics = json.loads((out / "metrics.json").read_text())
        assert set(metrics["per_language"]) == {"en", "hau_Latn", "zho_Hant", "nqo_Nkoo"}
        assert all(set(scores["test"]) >= {"accuracy", "macro_f1"} for scores in metrics["per_language"].values())
    tables = report.main([str(runs)])
    names = {row["language"]: row["name"] for row in tables["per_language"] if row["target"] == "sib200"}
    assert names == {"en": "English", "hau_Latn": "Hausa", "zho_Hant": "Chinese (Traditional)", "nqo_Nkoo": "N'Ko"}
    groups = {(row["grouping"], row["group"]) for row in tables["per_group"] if row["target"] == "sib200"}
    assert {("script", "N'Ko"), ("script", "Han"), ("family", "Unknown"), ("family", "Afro-Asiatic")} <= groups
    fairness, = [row for row in tables["fairness"] if row["target"] == "sib200"]
    assert fairness["n_languages"] == 3  # English, the training language, left out
    typology = [row for row in tables["typology"] if row["target"] == "sib200"]
    assert typology and max(row["n_languages"] for row in typology) == 3


def test_experiment_files_name_the_new_targets(tmp_path):
    """An experiment file naming the targets beyond XTREME-R expands into jobs whose pipelines run them."""
    from pipeline import experiment
    from pipeline.jobs import experiment_jobs
    targets = ["sib200", "americasnli", "masakhaner", "masakhapos", "belebele"]
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"description": "d", "targets": targets, "models": ["m"], "seeds": [1],
                                "variants": [{"name": "baseline"}, {"name": "mnli", "task": "mnli"}]}))
    jobs = experiment_jobs(experiment.load(path, output_dir=tmp_path / "runs"), tmp_path / "runs")
    assert len(jobs) == 2
    for job in jobs:
        args = job.pipeline_args
        assert args[args.index("--targets") + 1].split(",") == targets
