"""Choosing the source language per evaluation language (run_target.py --train_languages auto; engine/sources.py):
the typologically nearest language with training data, one training run per source, merged and compared with the
English source in the report."""
import importlib
import json
from types import SimpleNamespace

import pytest

import run_target
from builders import tag_rows
from conftest import FAST, write_jsonl
from engine.sources import choose_sources, training_candidates
from tasks import get_task
from utils.args import InputError
from utils.typology import distance, transfer_distance

PANX = get_task("panx")


def panx_data(root, sources=("en", "de", "hi")):
    data = root / "data"
    for i, lang in enumerate(sources):
        write_jsonl(data / "panx" / f"train-{lang}.jsonl", tag_rows(24, 10 + i, "panx", prefix=f"{lang}-"))
        write_jsonl(data / "panx" / f"validation-{lang}.jsonl", tag_rows(6, 20 + i, "panx", prefix=f"{lang}v-"))
    for i, lang in enumerate(("af", "ur")):
        write_jsonl(data / "panx" / f"test-{lang}.jsonl", tag_rows(6, 30 + i, "panx", prefix=f"{lang}t-"))
    return data


def test_the_distance_is_the_mean_of_three_uriel_distances():
    kinds = ("syntactic", "genetic", "geographic")
    assert transfer_distance("af", "nl") == pytest.approx(sum(distance("af", "nl", k) for k in kinds) / 3, abs=1e-4)


def test_each_language_gets_its_nearest_source_but_never_itself(tmp_path):
    data_args = SimpleNamespace(data_dir=str(panx_data(tmp_path, ("en", "de", "hi", "af"))))
    assert training_candidates(PANX, data_args) == ["af", "de", "en", "hi"]
    choices = choose_sources(PANX, ["af", "ur"], data_args)
    assert choices["af"].source == "de" and choices["ur"].source == "hi"  # Afrikaans's own data is left out
    assert choices["af"].distance < choices["af"].english_distance == transfer_distance("af", "en")


def test_no_candidate_source_is_an_error(tmp_path):
    data_args = SimpleNamespace(data_dir=str(panx_data(tmp_path, ("af",))))
    with pytest.raises(InputError, match=r"^--train_languages auto: no candidate source language for af"):
        choose_sources(PANX, ["af"], data_args)


def test_hub_candidates_are_the_training_tasks_languages_with_a_training_split():
    hub = SimpleNamespace(data_dir=None)
    assert "de" in training_candidates(PANX, hub) and training_candidates(get_task("mnli"), hub) == ["en"]
    assert "tl" not in training_candidates(get_task("udpos"), hub)  # UD-POS Tagalog: test only on the hub


def test_auto_source_runs_one_training_per_source_and_the_report_compares_with_english(tmp_path, tiny_model_dir):
    data, runs = panx_data(tmp_path), tmp_path / "runs"
    common = ["--task", "panx", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
              "--languages", "af,ur", *FAST]
    auto = runs / "auto" / "panx"
    document = run_target.main([*common, "--output_dir", str(auto), "--train_languages", "auto"])
    assert {lang: choice["source"] for lang, choice in document["sources"].items()} == {"af": "de", "ur": "hi"}
    for source, lang in (("de", "af"), ("hi", "ur")):
        sub = json.loads((auto / "sources" / source / "metrics.json").read_text())
        assert list(sub["per_language"]) == [lang] and document["per_language"][lang] == sub["per_language"][lang]
        config = json.loads((auto / "sources" / source / "run_config.json").read_text())
        assert config["arguments"]["train_languages"] == source
    recorded = json.loads((auto / "run_config.json").read_text())["sources"]
    assert recorded["af"]["english_distance"] == transfer_distance("af", "en")
    assert run_target.main([*common, "--output_dir", str(auto), "--train_languages", "auto"]) == document  # done

    english = run_target.main([*common, "--output_dir", str(runs / "english" / "panx")])
    report = importlib.import_module("scripts.report")
    tables = report.main([str(runs), "--sections", "settings", "--output_dir", str(tmp_path / "report")])
    rows = {(r["language"], r["setting"]): r for r in tables["settings"]}
    af = rows[("af", "source_auto")]
    assert af["source"] == "de" and af["gain"] == pytest.approx(
        document["per_language"]["af"]["test"]["f1"] - english["per_language"]["af"]["test"]["f1"])
    assert len([run for run in tables["settings"] if run["setting"] == "zero_shot"]) == 3  # af, ur, average


def test_auto_source_checks_every_sources_run_before_training(tmp_path, tiny_model_dir):
    data = panx_data(tmp_path)
    (data / "panx" / "validation-hi.jsonl").write_text('{"id": "x", "tokens": ["a"]}\n')  # no tags
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"validation-hi.jsonl"):
        run_target.prepare(["--task", "panx", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
                            "--languages", "af,ur", "--output_dir", str(out), "--train_languages", "auto", *FAST])
    assert not (out / "sources" / "de" / "metrics.json").exists()


def test_an_experiments_auto_variant_is_compared_with_the_variant_of_its_intermediate_task(tmp_path):
    """q6: the variant mnli_nearest_source (--train_languages auto) is the source_auto setting of the variant mnli
    (the same intermediate task, trained on English); a translate-train run (de) stays its own variant's run."""
    from reporting import runs as report_runs
    from reporting.sections import settings
    root = tmp_path / "runs"

    def write(rel, variant, source, scores, sources=None):
        out = root / rel
        out.mkdir(parents=True)
        per_language = {lang: {"test": {"f1": value}} for lang, value in scores.items()}
        (out / "metrics.json").write_text(json.dumps({"task": "panx", "metric": "f1", "per_language": per_language,
                                                      "sources": sources or {}}))
        arguments = {"seed": 1, "variant": variant, **({"train_languages": source} if source else {})}
        (out / "run_config.json").write_text(json.dumps({"task": "panx", "intermediate_task": "mnli",
                                                         "base_model": "xlmr", "seed": 1, "arguments": arguments}))
        (out / "DONE").write_text("")

    write("s1/mnli/panx", "mnli", None, {"af": 60, "ur": 40})
    write("s1/mnli_nearest_source/panx", "mnli_nearest_source", "auto", {"af": 70, "ur": 45},
          {"af": {"source": "de"}, "ur": {"source": "hi"}})
    write("s1/mnli_de/panx", "mnli_de", "de", {"af": 65, "ur": 30})
    runs = report_runs.collect(root, root / "report", "test")
    assert {run.intermediate for run in runs} == {"mnli", "mnli_nearest_source (source auto)", "mnli_de"}
    _, rows = settings.settings_table(runs)
    auto = {r["language"]: r for r in rows if r["setting"] == "source_auto"}
    assert {lang: (r["variant"], r["source"], r["gain"]) for lang, r in auto.items() if lang != "average"} == \
        {"af": ("mnli", "de", 10), "ur": ("mnli", "hi", 5)}
