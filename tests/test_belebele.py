"""Belebele (tasks/__init__.py `belebele`, trained on `belebele_train`): its 122 FLORES-coded varieties resolve
through the language registry, a run without an English training set is one pre-flight line naming how to provide
one, and a tiny run trains on a registered English multiple-choice task's rows copied into belebele_train/ and is
evaluated on a replica of facebook/belebele in the hub's layout (tests/hub_replica.py)."""
import json
import shutil

import pytest

from conftest import FAST, write_jsonl
from builders import mc_rows
import hub_replica
from tasks import get_task, resolve_languages
from utils.args import InputError
from utils.languages import language


def test_varieties_resolve_through_the_language_registry():
    spec = get_task("belebele")
    assert len(spec.languages) == len(set(spec.languages)) == 122
    assert all(code in (language(code).key, language(code).flores) for code in spec.languages)
    assert len({language(code).key for code in spec.languages}) == 122  # two scripts of one language: two records
    assert {language(code).name for code in ("hin_Latn", "hin_Deva")} == {"Hindi (Latin script)", "Hindi"}
    assert resolve_languages(spec, "zho_Hant,zho_Hans,urd_Latn,en") == ["zho_Hant", "zho_Hans", "urd_Latn",
                                                                      "eng_Latn"]


def test_a_run_without_an_english_training_set_is_one_line(tiny_model_dir, tmp_path):
    import run_target
    for data in ([], ["--data_dir", str(tmp_path / "empty")]):
        out = tmp_path / f"out{len(data)}"
        with pytest.raises(InputError) as error:
            run_target.main(["--task", "belebele", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                             str(out), "--languages", "hau_Latn", *data, *FAST])
        message = str(error.value)
        assert "\n" not in message and "belebele_train/train-en.jsonl" in message and not out.exists()
    assert "prepare_data.py --tasks <task>" in get_task("belebele_train").official_route


def test_trained_on_a_registered_multiple_choice_task_evaluated_from_the_hub(tiny_model_dir, tmp_path, monkeypatch):
    import run_target
    data = tmp_path / "data"
    (data / "belebele_train").mkdir(parents=True)
    for split, seed in (("train", 1), ("validation", 2)):  # a registered 4-choice task's English rows, copied
        write_jsonl(data / "cosmosqa" / f"{split}-en.jsonl", mc_rows(16, seed, 4))  # as the README says
        shutil.copy(data / "cosmosqa" / f"{split}-en.jsonl", data / "belebele_train" / f"{split}-en.jsonl")
    configs = ("hin_Latn", "zho_Hant", "hau_Latn")
    hub = tmp_path / "hub"
    hub_replica.build_parquet_repo(hub, "facebook/belebele",
                                   [r for r in hub_replica.added_records()
                                    if r["id"] == "facebook/belebele" and r["config"] in configs], 6)
    hub_replica.use_mirror(monkeypatch, hub)
    out = tmp_path / "run"
    # --data_dir makes every read local: the test sets are exported from the hub (the replica) beside the
    # training set, as an offline cluster would (prepare_data.py --tasks belebele)
    import prepare_data
    prepare_data.main(["--tasks", "belebele", "--languages", ",".join(configs), "--splits", "test", "--out",
                       str(data)])
    run_target.main(["--task", "belebele", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                     "--data_dir", str(data), "--languages", ",".join(configs), "--max_seq_length", "64", *FAST])
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_language"]) == set(configs)
    assert metrics["train_task"] == "belebele_train"
    rows = [json.loads(line) for line in (data / "belebele" / "test-hau_Latn.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(len(row["choices"]) == 4 and 0 <= row["label"] < 4 for row in rows)
