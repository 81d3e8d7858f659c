"""Few-shot target-language training (run_target.py --few_shot K; engine/few_shot.py): shots drawn per the kind's
unit or read from fsxlt/buckets' layout, never from the evaluated split; one run per (K, language, shot set) from
the English model; the mean over the sets beside zero-shot; resumed per set."""
import importlib
import json
from collections import Counter
from types import SimpleNamespace

import datasets
import pytest

import run_target
from builders import nli_rows, tag_rows
from conftest import FAST, write_jsonl
from engine.few_shot import draw_shots, read_shot_set, shortfall, tag_types
from tasks import get_task
from tasks.kinds import kind_of
from utils.args import InputError
from utils.data import read_jsonl

XNLI, PANX = get_task("xnli"), get_task("panx")


def test_per_class_shots_take_k_of_each_label_deterministically():
    pool = datasets.Dataset.from_list(nli_rows(30, 1))
    kind = kind_of(XNLI)
    rows = draw_shots(kind, pool, 2, "0:xnli:de:2:0")
    assert Counter(pool[rows]["label"]) == {label: 2 for label in XNLI.labels}
    assert rows == draw_shots(kind, pool, 2, "0:xnli:de:2:0") != draw_shots(kind, pool, 2, "0:xnli:de:2:1")


def test_per_tag_shots_cover_every_entity_type_k_times():
    pool = datasets.Dataset.from_list(tag_rows(60, 3, "panx"))
    rows = draw_shots(kind_of(PANX), pool, 3, "seed")
    counts = Counter(t for tags in pool[rows]["tags"] for t in tag_types(tags))
    assert set(counts) == {t for tags in pool["tags"] for t in tag_types(tags)} and min(counts.values()) >= 3
    assert tag_types(["B-PER", "I-PER", "O", "B-LOC"]) == ["PER", "LOC"]
    assert tag_types(["NOUN", "VERB", "NOUN"]) == ["NOUN", "VERB", "NOUN"]  # UPOS: every tag counts


def test_shortfall_names_the_class_and_its_count():
    rows = nli_rows(9, 1)
    pool = datasets.Dataset.from_list([r for r in rows if r["label"] != "neutral"] +
                                      [r for r in rows if r["label"] == "neutral"][:1])
    assert shortfall(kind_of(XNLI), pool, 2) == "the label 'neutral' has 1 examples, fewer than K=2"
    assert shortfall(kind_of(XNLI), pool, 1) is None


def write_buckets(root):
    """fsxlt/buckets' layout: XNLI by language name (sampled.json), PAN-X by code (train.tsv; one set empty)."""
    for index in range(2):
        folder = root / "xnli" / "2-shots" / "german" / f"{index}-th"
        folder.mkdir(parents=True)
        sampled = {label: [{"uid": f"german-{index}{n}{label[:2]}-val", "text_a": "the cat runs",
                            "text_b": "a dog sees", "label": label, "portion_identifier": -1} for n in range(2)]
                   for label in XNLI.labels}
        (folder / "sampled.json").write_text(json.dumps(sampled))
        folder = root / "panx" / "1-shots" / "de" / f"{index}-th"
        folder.mkdir(parents=True)
        (folder / "train.tsv").write_text("" if index else "Erzstift\tB-LOC\nMainz\tI-LOC\n''\tO\n\n"
                                          "Club\tB-ORG\nHans\tB-PER\n")


def test_published_shot_sets_are_read_in_fsxlt_layout(tmp_path):
    write_buckets(tmp_path)
    rows = read_shot_set(XNLI, kind_of(XNLI), tmp_path / "xnli", 2, "de", 1)
    assert len(rows) == 6 and Counter(r["label"] for r in rows) == {label: 2 for label in XNLI.labels}
    assert rows[0]["id"].startswith("german-1") and rows[0]["text_b"] == "a dog sees"
    tags = read_shot_set(PANX, kind_of(PANX), tmp_path / "panx", 1, "de", 0)
    assert [r["tags"] for r in tags] == [["B-LOC", "I-LOC", "O"], ["B-ORG", "B-PER"]]
    assert read_shot_set(PANX, kind_of(PANX), tmp_path / "panx", 1, "de", 1) == []  # published empty: skipped


def test_a_shot_file_with_labels_not_the_tasks_is_an_error(tmp_path):
    folder = tmp_path / "2-shots" / "german" / "0-th"
    folder.mkdir(parents=True)
    (folder / "sampled.json").write_text(json.dumps({"contradictory": [{"uid": "g-1", "text_a": "a", "text_b": "b",
                                                                        "label": "contradictory"}]}))
    with pytest.raises(InputError, match=r"sampled.json: label 'contradictory' is not a label of task 'xnli'"):
        read_shot_set(XNLI, kind_of(XNLI), tmp_path, 2, "de", 0)


def xnli_data(tmp_path, dev_rows=12):
    data = tmp_path / "data"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(48, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(12, 2))
    write_jsonl(data / "xnli" / "test-de.jsonl", nli_rows(9, 3, prefix="test-"))
    write_jsonl(data / "xnli" / "validation-de.jsonl", nli_rows(dev_rows, 4, prefix="dev-"))
    return data


def xnli_argv(model, data, out, *flags):
    return ["--task", "xnli", "--model_name_or_path", str(model), "--data_dir", str(data), "--output_dir", str(out),
            "--languages", "de", *FAST, "--few_shot_epochs", "2", "--few_shot_batch_size", "4", *flags]


def test_few_shot_runs_every_set_from_the_english_model_and_resumes(tmp_path, tiny_model_dir, monkeypatch):
    data, out = xnli_data(tmp_path), tmp_path / "run"
    document = run_target.main(xnli_argv(tiny_model_dir, data, out, "--few_shot", "1,2", "--shot_sets", "2"))
    de = document["per_language"]["de"]
    assert {"test", "fewshot1", "fewshot2"} <= set(de) and de["fewshot2"]["shot_sets"] == 2
    sets = document["few_shot"]["2"]["de"]
    assert len(sets) == 2 and de["fewshot2"]["accuracy"] == pytest.approx(sum(s["accuracy"] for s in sets) / 2)
    for index in range(2):
        records = read_jsonl(out / "predictions" / "xnli" / f"fewshot2-{index}-de.jsonl")
        assert [r["id"] for r in records] == [r["id"] for r in nli_rows(9, 3, prefix="test-")]  # the test set
    config = json.loads((out / "run_config.json").read_text())
    assert config["arguments"]["few_shot"] == "1,2" and config["arguments"]["few_shot_learning_rate"] == 3e-5

    # resume: an interrupted run trains only the shot sets without a predictions file
    (out / "predictions" / "xnli" / "fewshot1-1-de.jsonl").unlink()
    (out / "DONE").unlink()
    import engine.few_shot as few_shot
    drawn, real = [], few_shot.shots_of
    monkeypatch.setattr(few_shot, "shots_of", lambda plan, data, k, lang, index, seed:
                        drawn.append((k, index)) or real(plan, data, k, lang, index, seed))
    resumed = run_target.main(xnli_argv(tiny_model_dir, data, out, "--few_shot", "1,2", "--shot_sets", "2"))
    assert drawn == [(1, 1)]
    assert resumed["per_language"]["de"]["fewshot2"] == de["fewshot2"]

    report = importlib.import_module("scripts.report")  # the report puts the settings beside zero-shot
    tables = report.main([str(out), "--sections", "settings", "--output_dir", str(tmp_path / "report")])
    shown = {row["setting"]: row for row in tables["settings"] if row["language"] == "de"}
    assert list(shown) == ["zero_shot", "fewshot1", "fewshot2"] and shown["fewshot2"]["scores"] == 2
    assert shown["fewshot2"]["gain"] == pytest.approx(de["fewshot2"]["accuracy"] - de["test"]["accuracy"])
    assert "## Transfer settings" in (tmp_path / "report" / "report.md").read_text()


def test_drawn_shots_come_from_the_dev_set_and_never_from_the_test_set(tmp_path, tiny_model_dir):
    from engine.few_shot import shots_of
    from engine.plan import plan_run
    from engine.runner import TaskData
    from utils.args import DataArguments, FewShotArguments, ModelArguments, RunOptions, XTrainingArguments
    from utils.modeling import load_tokenizer
    data = xnli_data(tmp_path)
    data_args = DataArguments(task="xnli", data_dir=str(data), languages="de")
    plan = plan_run(XNLI, data_args, RunOptions(few_shot=FewShotArguments(few_shot="2")), do_train=True,
                    zero_shot=True)
    assert plan.few_shot.sources == {"de": "validation"}
    model_args = ModelArguments(str(tiny_model_dir))
    task_data = TaskData(XNLI, load_tokenizer(model_args), data_args, model_args,
                         XTrainingArguments(output_dir=str(tmp_path / "o"), use_cpu=True))
    shots = shots_of(plan.few_shot, task_data, 2, "de", 0, seed=0)
    assert all(i.startswith("dev-") for i in shots["id"]) and len(shots) == 6


@pytest.mark.parametrize("flags, message", [
    (["--few_shot", "5"], r"^--few_shot 5: xnli validation-de has the label '\w+' has \d examples, fewer than K=5"),
    (["--few_shot", "0"], r"^--few_shot 0: expected K or a comma list of K, each a positive integer"),
    (["--few_shot", "2", "--shot_sets", "0"], r"^--shot_sets 0: expected at least 1"),
    (["--few_shot", "2", "--shots", "nowhere"], r"^--shots nowhere: no <K>-shots folders"),
])
def test_few_shot_bad_input_stops_before_the_model_loads(tmp_path, tiny_model_dir, flags, message):
    data, out = xnli_data(tmp_path), tmp_path / "run"
    with pytest.raises(InputError, match=message):
        run_target.prepare(xnli_argv(tiny_model_dir, data, out, *flags))
    assert not out.exists()


def test_few_shot_needs_a_split_besides_the_evaluated_one(tmp_path, tiny_model_dir):
    data = xnli_data(tmp_path)
    (data / "xnli" / "validation-de.jsonl").unlink()
    with pytest.raises(InputError, match=r"^--few_shot: task 'xnli' has no training or validation split for de"):
        run_target.prepare(xnli_argv(tiny_model_dir, data, tmp_path / "run", "--few_shot", "1"))


def test_tagging_few_shot_from_published_sets_skips_an_empty_set(tmp_path, tiny_model_dir):
    write_buckets(tmp_path / "buckets")
    data = tmp_path / "data"
    write_jsonl(data / "panx" / "train-en.jsonl", tag_rows(40, 1, "panx"))
    write_jsonl(data / "panx" / "validation-en.jsonl", tag_rows(8, 2, "panx"))
    write_jsonl(data / "panx" / "test-de.jsonl", tag_rows(6, 3, "panx", prefix="de-"))
    write_jsonl(data / "panx" / "validation-de.jsonl", tag_rows(6, 4, "panx", prefix="dv-"))
    document = run_target.main(["--task", "panx", "--model_name_or_path", str(tiny_model_dir), "--data_dir",
                                str(data), "--output_dir", str(tmp_path / "run"), "--languages", "de", *FAST,
                                "--few_shot", "1", "--shot_sets", "2", "--shots", str(tmp_path / "buckets"),
                                "--few_shot_epochs", "2"])
    assert document["per_language"]["de"]["fewshot1"]["shot_sets"] == 1  # set 1 is an empty published file
    assert len(document["few_shot"]["1"]["de"]) == 1


def test_each_shot_set_starts_from_the_english_model(tmp_path, tiny_model_dir, monkeypatch):
    """The weights every few-shot run starts from are the English model's (restored after each set)."""
    import engine.few_shot as few_shot
    starts, real = [], few_shot.few_shot_trainer

    def recorded(run, data, shots, lang, out):
        starts.append(sum(float(p.detach().double().sum()) for p in run.trainer.model.parameters()))
        return real(run, data, shots, lang, out)
    monkeypatch.setattr(few_shot, "few_shot_trainer", recorded)
    run_target.main(xnli_argv(tiny_model_dir, xnli_data(tmp_path), tmp_path / "run", "--few_shot", "1,2",
                              "--shot_sets", "2", "--few_shot_learning_rate", "1e-3", "--few_shot_selection", "last"))
    assert len(starts) == 4 and max(starts) - min(starts) < 1e-9


# ---- the report: settings side by side ----
def write_target_run(root, rel, seed, test, settings=None, few_shot=None):
    """A finished xnli target run: test {lang: accuracy}, settings {split: {lang: accuracy}}, few_shot {K: {lang:
    [accuracy of each set]}}."""
    out = root / rel
    out.mkdir(parents=True)
    per_language = {lang: {"test": {"accuracy": value}} for lang, value in test.items()}
    for name, scores in (settings or {}).items():
        for lang, value in scores.items():
            per_language[lang][name] = {"accuracy": value}
    sets = {k: {lang: [{"accuracy": v} for v in values] for lang, values in langs.items()}
            for k, langs in (few_shot or {}).items()}
    (out / "metrics.json").write_text(json.dumps({"task": "xnli", "metric": "accuracy", "per_language": per_language,
                                                  "few_shot": sets}))
    (out / "run_config.json").write_text(json.dumps({"task": "xnli", "intermediate_task": "mnli", "base_model": "xlmr",
                                                     "seed": seed, "arguments": {"seed": seed}}))
    (out / "DONE").write_text("")


def test_settings_section_pools_shot_sets_over_seeds_with_a_t_interval(tmp_path):
    from reporting import runs as report_runs
    from reporting.sections import settings
    root = tmp_path / "runs"
    write_target_run(root, "s1/xnli", 1, {"de": 50, "sw": 40}, {"fewshot4": {"de": 61}, "translate_test": {"de": 70}},
                     {"4": {"de": [60, 62]}})
    write_target_run(root, "s2/xnli", 2, {"de": 54, "sw": 42}, {"fewshot4": {"de": 65}, "translate_test": {"de": 74}},
                     {"4": {"de": [64, 66]}})
    runs = report_runs.collect(root, root / "report", "test")
    assert all(run.extra == {} for run in runs)  # settings are not --extra_eval sets
    markdown, rows = settings.settings_table(runs)
    few = next(r for r in rows if (r["language"], r["setting"]) == ("de", "fewshot4"))
    half_width = 3.182446305284263 * (20 / 3) ** 0.5 / 2  # t(0.975, 3) x the standard error of 60, 62, 64, 66
    assert few["scores"] == 4 and few["mean"] == pytest.approx(63) and few["zero_shot"] == pytest.approx(52)
    assert (few["low"], few["high"]) == (pytest.approx(63 - half_width), pytest.approx(63 + half_width))
    assert few["gain"] == pytest.approx(11)
    translated = next(r for r in rows if (r["language"], r["setting"]) == ("de", "translate_test"))
    assert translated["scores"] == 2 and translated["gain"] == pytest.approx(72 - 52)
    assert "| language | zero-shot | translate-test | fewshot4 |" in markdown
    assert "| de | 52.0 [26.6, 77.4] | 72.0 [46.6, 97.4] (+20.0) | 63.0 [58.9, 67.1] (+11.0) |" in markdown
    assert "| sw | 41.0 [28.3, 53.7] | – | – |" in markdown  # zero-shot only
    assert "| average | 46.5 | 72.0 (+20.0) | 63.0 (+11.0) |" in markdown


def test_shot_and_epoch_sources_never_read_the_evaluated_split_even_through_the_hub():
    from engine.few_shot import readable, shot_source
    hub = SimpleNamespace(data_dir=None)
    xquad = get_task("xquad")  # its test split is the hub's validation split
    assert not readable(xquad, "validation", "de", hub, ("test",))
    with pytest.raises(InputError, match=r"^--few_shot: task 'xquad' has no training or validation split for de"):
        shot_source(xquad, "de", hub, ("test",))
    assert shot_source(PANX, "de", hub, ("test",)) == "train"  # PAN-X's hub configs have every split
    assert shot_source(XNLI, "de", hub, ("test",)) == "validation"  # the hub's XNLI has no training split


def test_training_languages_get_no_shots(tmp_path):
    from engine.plan import plan_run
    from utils.args import DataArguments, FewShotArguments, RunOptions
    data = xnli_data(tmp_path)
    write_jsonl(data / "xnli" / "test-en.jsonl", nli_rows(9, 7, prefix="en-"))
    plan = plan_run(XNLI, DataArguments(task="xnli", data_dir=str(data), languages="en,de"),
                    RunOptions(few_shot=FewShotArguments(few_shot="1")), do_train=True, zero_shot=True)
    assert plan.few_shot.languages == ("de",) and plan.few_shot.selection == {"de": "validation"}


def test_published_shots_are_left_out_of_the_dev_set_by_their_text():
    from engine.few_shot import FewShotPlan, selection_set
    dev = datasets.Dataset.from_list([{"id": "de-0", "text_a": "Er erklärt, die Welt", "text_b": "Sie ist rund.",
                                       "label": "neutral"},
                                      {"id": "de-1", "text_a": "Ein Hund", "text_b": "Eine Katze", "label": "neutral"}])
    shots = datasets.Dataset.from_list([{"id": "german-7053-val", "text_a": "Er erklärt , die Welt",
                                         "text_b": "Sie ist rund .", "label": "neutral"}])
    plan = FewShotPlan((1,), 1, ("de",), {}, {"de": "validation"}, "buckets", None)
    data = SimpleNamespace(kind=kind_of(XNLI), spec=XNLI, examples=lambda split, lang: dev)
    assert selection_set(plan, data, "de", shots, None)["id"] == ["de-1"]


def test_a_label_without_any_example_is_short():
    pool = datasets.Dataset.from_list([r for r in nli_rows(12, 1) if r["label"] != "neutral"])
    assert shortfall(kind_of(XNLI), pool, 1, XNLI.labels) == "the label 'neutral' has 0 examples, fewer than K=1"


def test_dev_selection_without_a_dev_split_is_an_error(tmp_path, tiny_model_dir):
    data = xnli_data(tmp_path)
    (data / "xnli" / "validation-de.jsonl").rename(data / "xnli" / "train-de.jsonl")  # shots from train, no dev
    with pytest.raises(InputError, match=r"^--few_shot_selection dev: task 'xnli' has no validation split for de"):
        run_target.prepare(xnli_argv(tiny_model_dir, data, tmp_path / "run", "--few_shot", "1"))
    run_target.prepare(xnli_argv(tiny_model_dir, data, tmp_path / "run", "--few_shot", "1",
                                 "--few_shot_selection", "last"))


def test_the_paper_table_gains_a_row_per_setting(tmp_path):
    from reporting import runs as report_runs
    from reporting.section import Context
    from reporting.sections import paper
    root = tmp_path / "runs"
    write_target_run(root, "s1/xnli", 1, {"de": 50, "sw": 40}, {"fewshot4": {"de": 61}}, {"4": {"de": [60, 62]}})
    write_target_run(root, "s2/xnli", 2, {"de": 54, "sw": 42}, {"fewshot4": {"de": 65}}, {"4": {"de": [64, 66]}})
    section = paper.build(Context(root, report_runs.collect(root, root / "report", "test"), resamples=10))
    rows = {row["intermediate"]: row for row in section.tables["paper_table"]}
    assert list(rows) == ["mnli", "mnli [fewshot4]"]
    assert rows["mnli"]["mean"] == pytest.approx(46.5)
    setting = rows["mnli [fewshot4]"]  # de only (sw has no shots): 61 and 65 against zero-shot 50 and 54
    assert setting["mean"] == pytest.approx(63) and setting["delta"] == pytest.approx(11) and setting["n_seeds"] == 2
    assert "| mnli [fewshot4] | 63.0 ± 2.8 (+11.0" in section.markdown


def write_predictions(run_dir, split, lang, correct, n=200):
    """An xnli predictions file of n examples (ids shared by every split of a language), the first `correct` right."""
    rows = [{"id": f"{lang}-{i}", "label": "entailment", "prediction": "entailment" if i < correct else "neutral"}
            for i in range(n)]
    write_jsonl(run_dir / "predictions" / "xnli" / f"{split}-{lang}.jsonl", rows)


def test_a_settings_difference_gets_the_paired_bootstrap_interval(tmp_path):
    """Few-shot and translate-test rows of the paper table and the significance table: the setting minus the same
    runs' zero-shot, paired by example id, every shot set of every seed resampled as a seed is."""
    from reporting import runs as report_runs
    from reporting.section import Context
    from reporting.sections import paper, significance
    root = tmp_path / "runs"
    for seed, (zero, sets, translated) in {1: (100, (120, 124), 140), 2: (108, (128, 132), 150)}.items():
        run = root / f"s{seed}" / "xnli"
        write_target_run(root, f"s{seed}/xnli", seed, {"de": zero / 2},
                         {"fewshot4": {"de": sum(sets) / 4}, "translate_test": {"de": translated / 2}},
                         {"4": {"de": [value / 2 for value in sets]}})
        write_predictions(run, "test", "de", zero)
        write_predictions(run, "translate_test", "de", translated)
        for index, value in enumerate(sets):
            write_predictions(run, f"fewshot4-{index}", "de", value)
    context = Context(root, report_runs.collect(root, root / "report", "test"), resamples=400)
    rows = {row["intermediate"]: row for row in significance.rows(context) if row["language"] == "avg"}
    few, translated = rows["mnli [fewshot4]"], rows["mnli [translate_test]"]
    assert few["difference"] == pytest.approx(11.0) and few["seed_pairs"] == 4 and few["pairing"] == "shot sets"
    assert translated["difference"] == pytest.approx(20.5) and translated["seed_pairs"] == 2
    for row in (few, translated):  # every example the setting gets right the zero-shot run gets right too: > 0
        assert 0 < row["low"] < row["difference"] < row["high"] and row["significant"] and row["examples"] == 200
    table = {row["intermediate"]: row for row in paper.build(context).tables["paper_table"]}
    assert table["mnli [fewshot4]"]["delta"] == pytest.approx(11.0)
    assert (table["mnli [fewshot4]"]["delta_low"], table["mnli [fewshot4]"]["delta_high"]) == (few["low"], few["high"])
    (root / "s2" / "xnli" / "predictions" / "xnli" / "fewshot4-1-de.jsonl").unlink()  # a set's file lost: 3 pairs
    context = Context(root, report_runs.collect(root, root / "report", "test"), resamples=400)
    few = next(row for row in significance.rows(context) if row["intermediate"] == "mnli [fewshot4]")
    assert few["seed_pairs"] == 3 and few["difference"] == pytest.approx((10 + 12 + 10) / 3)
