"""scripts/report.py on a fixture tree of run folders, against values computed by hand."""
import csv
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import report  # noqa: E402

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
                 "xtreme_r_score.csv", "per_language.csv", "per_group.csv", "base_models.csv", "runs.csv"):
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


def test_sections_flag_builds_only_the_sections_named(runs, tmp_path):
    out = tmp_path / "out"
    tables = report.main([str(runs), "--output_dir", str(out), "--sections", "runs,paper"])
    assert set(tables) == {"paper_table", "runs"}
    assert sorted(p.name for p in out.iterdir()) == ["paper_table.csv", "report.md", "runs.csv"]
    text = (out / "report.md").read_text()
    assert text.index("## The paper's table") < text.index("## Runs left out") and "## XTREME score" not in text
    with pytest.raises(SystemExit):
        report.main([str(runs), "--sections", "paper,nope"])


def test_sections_read_the_context_without_changing_it(runs):
    """Built in reverse order, every section gives the same tables: none depends on another having run first."""
    from reporting.section import Context
    from reporting.sections import SECTIONS

    def tables(names):
        context = Context(runs, report.collect(runs, runs / "report", "test"))
        built = {name: SECTIONS[name].build(context).tables for name in names}
        return {table: rows for name in SECTIONS for table, rows in built[name].items()}

    assert tables(list(SECTIONS)) == tables(list(SECTIONS)[::-1])
    context = Context(runs, report.collect(runs, runs / "report", "test"))
    paper_table = SECTIONS["paper"].build(context).tables["paper_table"]
    shared = context.shared(SECTIONS["paper"].rows)  # the rows the paper, base-model and heatmap sections share
    assert "delta_low" in paper_table[0] and all("delta_low" not in row for row in shared)


def test_run_facts_come_from_run_config_not_folder_names(tmp_path):
    """Base model, intermediate task and seed are the runner's run_config.json fields (engine/runner.py provenance);
    folder names that say otherwise (seed9, mnli) are not read; a missing field gives "unknown" / the baseline."""
    root = tmp_path / "runs"
    arguments = {"model_name_or_path": "roberta-large", "seed": 42}
    inter = make_run(root, "mnli", "mnli", "accuracy", {"en": 80},
                     {"task": "mnli", "intermediate_task": "none", "base_model": "roberta-large", "seed": 42,
                      "arguments": arguments}, split="validation")
    (inter / "encoder").mkdir()
    make_run(root, "mnli/xnli", "xnli", "accuracy", {"de": 70},
             {"task": "xnli", "intermediate_task": "mnli", "base_model": "roberta-large", "seed": 42,
              "arguments": {"model_name_or_path": str(inter / "encoder"), "seed": 42}})
    make_run(root, "baseline/xnli", "xnli", "accuracy", {"de": 60},
             {"task": "xnli", "intermediate_task": "none", "base_model": "roberta-large", "seed": 42,
              "arguments": arguments})
    make_run(root, "seed9/mnli/xnli", "xnli", "accuracy", {"de": 50}, {"task": "xnli", "seed": 3})
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


def test_lora_and_language_adapter_runs_are_grids_of_their_own(tmp_path):
    """Runs that differ only in how the encoder was trained (run_config.json "peft", "language_adapters") are not
    duplicates of each other: each method is a base model of the report, "m (lora)", with its own baseline."""
    root = tmp_path / "runs"
    methods = {"full": ({"method": "full"}, None, (60, 50)), "lora": ({"method": "lora"}, None, (58, 49)),
               "madx": ({"method": "lora"}, {"de": {"adapter": "de"}}, (59, 52))}
    for name, (peft, adapters, (tuned, base)) in methods.items():
        for inter, score in (("mnli", tuned), ("baseline", base)):
            config = {"task": "xnli", "intermediate_task": None if inter == "baseline" else inter, "base_model": "m",
                      "seed": 1, "peft": peft, **({"language_adapters": adapters} if adapters else {})}
            make_run(root, f"{name}/{inter}/xnli", "xnli", "accuracy", {"de": score}, config)
    tables = report.main([str(root)])
    assert not [row for row in tables["runs"] if row["status"] != "finished"]
    rows = {(row["base_model"], row["intermediate"]): row for row in tables["paper_table"]}
    assert set(rows) == {(base, inter) for base in ("m", "m (lora)", "m (lora + language adapters)")
                         for inter in ("baseline", "mnli")}
    assert rows[("m (lora)", "mnli")]["delta"] == 9.0 and rows[("m (lora + language adapters)", "mnli")]["delta"] == 7.0


def test_a_method_grid_takes_its_one_variant_without_intermediate_task_as_baseline(tmp_path):
    """Q7's variants run under their names: "lora" (LoRA, no intermediate task) is the "m (lora)" grid's baseline, so
    "stilts_lora" gets its difference; two such variants in one grid (lora_r8, lora_r16) stay as named."""
    def grid(root, variants):
        for variant, method, inter, score in variants:
            make_run(root, f"{variant}/xnli", "xnli", "accuracy", {"de": score},
                     {"task": "xnli", "intermediate_task": inter, "base_model": "m", "seed": 1, "variant": variant,
                      "peft": {"method": method}})
        return {(row["base_model"], row["intermediate"]): row for row in report.main([str(root)])["paper_table"]}

    q7 = [("baseline", "full", None, 50), ("stilts", "full", "mnli", 55), ("lora", "lora", None, 48),
          ("stilts_lora", "lora", "mnli", 52)]
    rows = grid(tmp_path / "q7", q7)
    assert set(rows) == {("m", "baseline"), ("m", "stilts"), ("m (lora)", "baseline"), ("m (lora)", "stilts_lora")}
    assert rows[("m (lora)", "stilts_lora")]["delta"] == 4.0 and rows[("m", "stilts")]["delta"] == 5.0
    rows = grid(tmp_path / "two", q7[:2] + [("lora_r8", "lora", None, 48), ("lora_r16", "lora", None, 49)])
    assert {inter for base, inter in rows if base == "m (lora)"} == {"lora_r8", "lora_r16"}


def test_empty_runs_dir_and_missing_dir(tmp_path, capsys):
    report.main([str(tmp_path)])
    assert (tmp_path / "report" / "report.md").is_file()
    with pytest.raises(SystemExit, match="not a folder"):
        report.main([str(tmp_path / "nope")])


def test_model_names_hub_ids_kept_local_folders_shortened():
    from reporting.runs import model_name
    assert model_name("xlm-roberta-large") == "xlm-roberta-large" and model_name("org/model") == "org/model"
    assert model_name("/root/.cache/models/multilingual-e5-small") == "multilingual-e5-small"


# ---------------------------------------------------------------- the XTREME-R score beside XTREME's
REGISTRY_LANGUAGES = {name: spec.languages for name, spec in TASKS.items()}
PANX_ADDED = TASKS["panx"].xtreme_r_languages   # XTREME-R's eight: qu, pl, uk, az, lt, pa, gu, ro


def every(task, score):
    return {lang: score for lang in REGISTRY_LANGUAGES[task]}


@pytest.fixture
def benchmark_runs(tmp_path):
    """Three configurations of one base model on XTREME and XTREME-R tasks; comments give the averages."""
    root = tmp_path / "runs"
    t = lambda inter, task, metric, scores: target(root, "m", 1, inter, task, metric, scores)  # noqa: E731
    t("baseline", "xnli", "accuracy", every("xnli", 70))                          # 70, all 15
    t("baseline", "xcopa", "accuracy", every("xcopa", 60))                        # 60, all 11 (XTREME-R only)
    t("baseline", "panx", "f1", {**every("panx", 50), "qu": 10})                  # XTREME 50; XTREME-R 2010/41
    t("baseline", "tatoeba", "accuracy", {"de": 80, "zh": 40})                    # 60, 2 of 36 / 2 of 41
    t("mnli", "xnli", "accuracy", every("xnli", 74))
    t("mnli", "xcopa", "accuracy", every("xcopa", 66))
    t("mnli", "panx", "f1", {**every("panx", 52), **{lang: 20 for lang in PANX_ADDED}})  # 52; (40*52 + 8*20) / 48
    t("mnli", "tatoeba", "accuracy", {"de": 90, "zh": 40})                        # 65
    t("mnli", "xquad", "f1", {"en": {"exact_match": 60, "f1": 80}, "ro": {"exact_match": 40, "f1": 60}})  # 70; 60
    t("hellaswag", "xnli", "accuracy", every("xnli", 72))                         # every task 2 above the baseline,
    t("hellaswag", "xcopa", "accuracy", every("xcopa", 62))                       # on the baseline's languages
    t("hellaswag", "panx", "f1", {**every("panx", 52), "qu": 12})                 # 2092/41 = 2010/41 + 2
    t("hellaswag", "tatoeba", "accuracy", {"de": 82, "zh": 42})
    return root


def missing_of(row) -> dict:
    return {cat: set(tasks.split(", ")) for cat, tasks in (part.split(": ") for part in row["missing"].split("; "))} \
        if row["missing"] else {}


def test_xtreme_r_score_per_group_and_overall(benchmark_runs):
    tables = report.main([str(benchmark_runs)])
    base = one(tables, "xtreme_r_score", intermediate="baseline")
    assert (base["xnli"], base["xcopa"], base["tatoeba"], base["udpos"], base["xquad"]) == (70, 60, 60, None, None)
    assert base["panx"] == pytest.approx(2010 / 41)
    assert (base["classification"], base["retrieval"], base["question answering"]) == (65, 60, None)
    assert base["structured prediction"] == pytest.approx(2010 / 41)
    assert base["n_tasks"] == 4 and base["xtreme_r"] == pytest.approx((70 + 60 + 2010 / 41 + 60) / 4)
    assert missing_of(base) == {"structured prediction": {"udpos"}, "question answering": {"xquad", "mlqa", "tydiqa"},
                                "retrieval": {"lareqa", "mewslix"}}
    mnli = one(tables, "xtreme_r_score", intermediate="mnli")
    assert (mnli["xnli"], mnli["xcopa"], mnli["tatoeba"], mnli["xquad"]) == (74, 66, 65, 60)
    assert mnli["panx"] == pytest.approx((40 * 52 + 8 * 20) / 48)
    assert (mnli["classification"], mnli["question answering"], mnli["retrieval"]) == (70, 60, 65)
    assert mnli["n_tasks"] == 5 and mnli["xtreme_r"] == pytest.approx((74 + 66 + 2240 / 48 + 65 + 60) / 5)
    assert mnli["delta"] is None  # other tasks (xquad) and other PAN-X languages than the baseline's
    hellaswag = one(tables, "xtreme_r_score", intermediate="hellaswag")
    assert hellaswag["panx"] == pytest.approx(2092 / 41) and hellaswag["delta"] == pytest.approx(2.0)
    assert "xtreme" not in base and "pawsx" not in base and "bucc" not in base


def test_xtreme_score_uses_only_xtreme_languages(benchmark_runs):
    tables = report.main([str(benchmark_runs)])
    base = one(tables, "xtreme_score", intermediate="baseline")
    assert (base["xnli"], base["panx"], base["tatoeba"], base["n_tasks"], base["xtreme"]) == (70, 50, 60, 3, 60)
    assert "xcopa" not in base and "xtreme_r" not in base
    assert missing_of(base) == {"classification": {"pawsx"}, "structured prediction": {"udpos"},
                                "question answering": {"xquad", "mlqa", "tydiqa"}, "retrieval": {"bucc"}}
    mnli = one(tables, "xtreme_score", intermediate="mnli")
    assert (mnli["panx"], mnli["xquad"], mnli["xtreme"]) == (52, 70, (74 + 52 + 65 + 70) / 4)
    assert one(tables, "xtreme_score", intermediate="hellaswag")["delta"] == pytest.approx(2.0)


def test_partial_language_runs_are_flagged(benchmark_runs):
    tables = report.main([str(benchmark_runs)])
    assert one(tables, "xtreme_score", intermediate="baseline")["partial"] == "tatoeba: 2 of 36 languages"
    assert one(tables, "xtreme_r_score", intermediate="baseline")["partial"] == \
        "panx: 41 of 48 languages; tatoeba: 2 of 41 languages"
    assert one(tables, "xtreme_score", intermediate="mnli")["partial"] == \
        "xquad: 1 of 11 languages; tatoeba: 2 of 36 languages"
    assert one(tables, "xtreme_r_score", intermediate="mnli")["partial"] == \
        "xquad: 2 of 12 languages; tatoeba: 2 of 41 languages"
    paper = {(r["intermediate"], r["target"]): r["languages"] for r in tables["paper_table"]}
    assert (paper[("baseline", "xnli")], paper[("baseline", "panx")], paper[("mnli", "panx")]) == \
        ("", "+1 other language", "+8 other languages")
    assert paper[("mnli", "xquad")] == "partial: 1 of 11 languages; +1 other language"
    text = (benchmark_runs / "report" / "report.md").read_text()
    xtreme, xtreme_r = text.split("## XTREME score")[1].split("## XTREME-R score")
    assert "| m | baseline | 70.0 | – | – | 50.0 |" in xtreme and "60.0 (partial: 2 of 36 languages)" in xtreme
    assert "| 60.0 (partial) |" in xtreme and "retrieval: bucc" in xtreme
    assert f"| {2010 / 41:.1f} (partial: 41 of 48 languages) |" in xtreme_r
    assert f"| {2240 / 48:.1f} |" in xtreme_r and "60.0 (partial: 2 of 12 languages)" in xtreme_r
    assert "- xquad, mnli: partial: 1 of 11 languages; +1 other language" in text
    with open(benchmark_runs / "report" / "xtreme_r_score.csv") as f:
        rows = {row["intermediate"]: row for row in csv.DictReader(f)}
    assert rows["baseline"]["partial"] == "panx: 41 of 48 languages; tatoeba: 2 of 41 languages"
    assert float(rows["hellaswag"]["delta"]) == pytest.approx(2.0) and float(rows["mnli"]["xtreme_r"]) == \
        pytest.approx((74 + 66 + 2240 / 48 + 65 + 60) / 5, abs=1e-4)
