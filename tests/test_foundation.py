"""The registry, local/hub loading, classification metrics, encoder transfer, bad input and atomic outputs."""
import json
from pathlib import Path

import datasets
import pytest
from conftest import FAST, nli_rows, write_jsonl

import prepare_data
import run_intermediate
import run_target
from tasks import TASKS, get_task, resolve_languages
from tasks import classification
from utils import data as data_utils
from utils.args import DataArguments
from utils.results import average_metrics


def test_registry_names_and_errors():
    assert {"mnli", "qqp", "anli", "xnli", "pawsx"} <= set(TASKS)
    assert get_task("xnli").train_task == "mnli" and len(get_task("xnli").languages) == 15
    assert len(get_task("pawsx").languages) == 7 and get_task("pawsx").train_task == "pawsx"
    with pytest.raises(ValueError, match="unknown task 'xnnli'.*known tasks: .*xnli"):
        get_task("xnnli")
    with pytest.raises(ValueError, match="--languages: xx not a language of task 'xnli'"):
        resolve_languages(get_task("xnli"), "de,xx")
    assert resolve_languages(get_task("xnli"), "de, fr") == ["de", "fr"]
    for spec in TASKS.values():  # every train_task and data_task exists (kinds: tests/test_kinds.py)
        assert spec.train_task is None or spec.train_task in TASKS
        assert spec.data_task is None or spec.data_task in TASKS


def test_classification_metrics_hand_computed():
    spec = get_task("qqp")
    records = [{"prediction": p, "label": g} for p, g in
               [("duplicate", "duplicate"), ("duplicate", "not_duplicate"), ("not_duplicate", "duplicate"),
                ("not_duplicate", "not_duplicate"), ("duplicate", "duplicate")]]
    metrics = classification.compute_metrics(spec, records, "en")
    assert metrics["accuracy"] == pytest.approx(60.0)
    assert metrics["f1"] == pytest.approx(100 * 2 * (2 / 3 * 2 / 3) / (4 / 3))  # P = R = 2/3
    assert average_metrics({"de": {"test": {"accuracy": 80.0}}, "fr": {"test": {"accuracy": 70.0}}}) == \
        {"test": {"accuracy": 75.0}}


def test_local_loading_and_bad_input(tmp_path):
    spec, args = get_task("xnli"), DataArguments(data_dir=str(tmp_path))
    write_jsonl(tmp_path / "xnli" / "test-de.jsonl", nli_rows(5, 0))
    assert len(data_utils.load_rows(spec, "test", "de", args, classification.KIND)) == 5
    with pytest.raises(FileNotFoundError, match=r"xnli/test-fr.jsonl: no such file"):
        data_utils.load_rows(spec, "test", "fr", args, classification.KIND)
    bad = tmp_path / "xnli" / "test-fr.jsonl"
    bad.write_text(json.dumps(nli_rows(1, 0)[0]) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"test-fr.jsonl:2: not a valid JSON line"):
        data_utils.load_rows(spec, "test", "fr", args, classification.KIND)
    rows = nli_rows(3, 0)
    rows[2]["label"] = "maybe"
    write_jsonl(bad, rows)
    with pytest.raises(ValueError, match=r"test-fr.jsonl:3: label of task 'xnli': 'maybe' is not one of"):
        data_utils.load_rows(spec, "test", "fr", args, classification.KIND)
    rows = nli_rows(3, 0)
    del rows[1]["text_a"]
    write_jsonl(bad, rows)
    with pytest.raises(ValueError, match=r"test-fr.jsonl:2: field 'text_a' is missing or null"):
        data_utils.load_rows(spec, "test", "fr", args, classification.KIND)
    bad.write_text("")
    with pytest.raises(ValueError, match="test-fr.jsonl"):
        data_utils.load_rows(spec, "test", "fr", args, classification.KIND)


def test_hub_mapping_and_prepare_data(tmp_path, monkeypatch):
    glue = [{"premise": "a b", "hypothesis": "c", "label": 2, "idx": 0},
            {"premise": "d", "hypothesis": "e", "label": -1, "idx": 1}]
    xnli = [{"language": "de", "sentence1": "x", "sentence2": "y", "gold_label": "neutral"},
            {"language": "fr", "sentence1": "u", "sentence2": "v", "gold_label": "entailment"}]
    from hub_replica import hub_repo, use_mirror  # the hub's layout and exact features, only these rows
    hub_repo(tmp_path / "hub", "nyu-mll/glue", {("mnli", "train"): glue, ("mnli", "validation_matched"): glue})
    use_mirror(monkeypatch, hub_repo(tmp_path / "hub", "google/xtreme", {("XNLI", "test"): xnli,
                                                                          ("XNLI", "validation"): xnli}))
    prepare_data.main(["--tasks", "mnli,xnli", "--languages", "de,fr", "--out", str(tmp_path / "out")])
    train = data_utils.read_jsonl(tmp_path / "out" / "mnli" / "train-en.jsonl")
    assert train == [{"id": "0", "text_a": "a b", "text_b": "c", "label": "contradiction"}]  # label -1 dropped
    assert not (tmp_path / "out" / "mnli" / "test-en.jsonl").exists()  # the replica has no such split
    de = data_utils.read_jsonl(tmp_path / "out" / "xnli" / "test-de.jsonl")
    assert [(r["text_a"], r["label"]) for r in de] == [("x", "neutral")]


def test_prepare_data_from_raw_tsv(tmp_path):
    tsv = tmp_path / "dev.txt"
    tsv.write_text("Ein Hund.\tEin Tier.\tentailment\nEine Katze.\tKein Tier.\tcontradiction\n", encoding="utf-8")
    prepare_data.main(["--from_raw", "xnli_tsv", "--input", str(tsv), "--task", "xnli", "--split", "test",
                       "--lang", "de", "--out", str(tmp_path / "out")])
    rows = data_utils.read_jsonl(tmp_path / "out" / "xnli" / "test-de.jsonl")
    assert [r["label"] for r in rows] == ["entailment", "contradiction"] and rows[0]["text_b"] == "Ein Tier."
    tsv.write_text("only\ttwo\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dev.txt:1: expected 3 tab-separated columns"):
        prepare_data.main(["--from_raw", "xnli_tsv", "--input", str(tsv), "--task", "xnli", "--split", "test",
                           "--lang", "fr", "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out" / "xnli" / "test-fr.jsonl").exists()


def test_atomic_writes_leave_nothing_half_written(tmp_path):
    from utils.results import write_jsonl_atomic
    path = tmp_path / "test-de.jsonl"
    write_jsonl_atomic(path, [{"a": 1}])

    def rows():
        yield {"a": 2}
        raise RuntimeError("killed while writing")
    with pytest.raises(RuntimeError):
        write_jsonl_atomic(path, rows())
    assert path.read_text() == '{"a": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["test-de.jsonl"]  # no temporary file left behind


def test_intermediate_then_target_transfers_encoder_only(tiny_model_dir, tiny_data_dir, tmp_path):
    from safetensors.torch import load_file
    out = tmp_path / "runs" / "mnli"
    run_intermediate.main(["--task", "mnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir",
                           str(tiny_data_dir), "--output_dir", str(out), *FAST])
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_language"]["en"]["validation"]) == {"accuracy"}
    encoder = load_file(out / "encoder" / "model.safetensors")
    assert not any("classifier" in k for k in encoder) and (out / "encoder" / "tokenizer.json").is_file()
    assert (out / "DONE").is_file() and not list(out.glob("checkpoint-*"))

    from transformers import AutoModelForSequenceClassification
    from utils.args import ModelArguments
    from utils.modeling import load_with_new_head
    model = load_with_new_head(AutoModelForSequenceClassification, ModelArguments(str(out / "encoder")),
                               num_labels=2)
    state = model.state_dict()
    for key, value in encoder.items():  # every encoder weight equals the checkpoint's
        assert (state["roberta." + key.removeprefix("roberta.")] == value).all(), key
    fresh = AutoModelForSequenceClassification.from_pretrained(str(out / "encoder"), num_labels=2)
    assert model.classifier.dense.weight.shape == fresh.classifier.dense.weight.shape

    target = tmp_path / "runs" / "mnli" / "xnli"
    run_target.main(["--task", "xnli", "--model_name_or_path", str(out / "encoder"), "--data_dir",
                     str(tiny_data_dir), "--output_dir", str(target), "--languages", "de,fr", *FAST])
    metrics = json.loads((target / "metrics.json").read_text())
    assert set(metrics["per_language"]) == {"de", "fr"} and "accuracy" in metrics["average"]["test"]
    predictions = data_utils.read_jsonl(target / "predictions" / "xnli" / "test-de.jsonl")
    assert len(predictions) == 9 and {"id", "prediction", "label"} <= set(predictions[0])
    config = json.loads((target / "run_config.json").read_text())
    assert config["intermediate_task"] == "mnli" and config["base_model"] == str(tiny_model_dir)
    assert config["arguments"]["languages"] == "de,fr" and "transformers" in config["versions"]


def test_incompatible_checkpoint_is_a_clear_error(tmp_path, tiny_data_dir):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="--model_name_or_path .*empty: the directory has no config.json"):
        run_target.main(["--task", "pawsx", "--model_name_or_path", str(tmp_path / "empty"), "--data_dir",
                         str(tiny_data_dir), "--output_dir", str(tmp_path / "o"), *FAST])
    assert not (tmp_path / "o").exists()  # found before anything was written
    (tmp_path / "empty" / "config.json").write_text("{}")  # a directory that still is no model: found at load
    with pytest.raises(ValueError, match="--model_name_or_path .*empty: not a loadable encoder checkpoint"):
        run_target.main(["--task", "pawsx", "--model_name_or_path", str(tmp_path / "empty"), "--data_dir",
                         str(tiny_data_dir), "--output_dir", str(tmp_path / "o"), "--languages", "de", *FAST])


def test_unknown_task_and_language_arguments(tmp_path, tiny_model_dir):
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        run_target.main(["--task", "nope", "--output_dir", str(tmp_path)])
    with pytest.raises(ValueError, match="not a target task"):
        run_target.main(["--task", "mnli", "--output_dir", str(tmp_path)])


def test_checkpoint_of_another_model_is_rejected(tmp_path, tiny_model_dir):
    """A BERT-shaped checkpoint whose weights do not match the config's encoder names: a clear error."""
    import shutil
    from safetensors.torch import load_file, save_file
    bad = tmp_path / "bad"
    shutil.copytree(tiny_model_dir, bad)
    weights = load_file(bad / "model.safetensors")
    save_file({"other." + k: v for k, v in weights.items()}, bad / "model.safetensors")
    from transformers import AutoModelForSequenceClassification
    from utils.args import ModelArguments
    from utils.modeling import load_with_new_head
    with pytest.raises(ValueError, match="not an encoder of a compatible xlm-roberta model"):
        load_with_new_head(AutoModelForSequenceClassification, ModelArguments(str(bad)), num_labels=2)


def test_freeze_embeddings(tiny_model_dir):
    from transformers import AutoModelForSequenceClassification
    from utils.args import ModelArguments
    from utils.modeling import load_with_new_head
    model = load_with_new_head(AutoModelForSequenceClassification,
                               ModelArguments(str(tiny_model_dir), freeze_embeddings=True), num_labels=2)
    assert not model.get_input_embeddings().weight.requires_grad
    assert model.classifier.dense.weight.requires_grad and model.roberta.encoder.layer[0].output.dense.weight.requires_grad


def test_predictions_come_back_in_example_order(tiny_model_dir, tmp_path):
    """transformers 5 length-groups evaluation batches under group_by_length; our Trainer keeps feature order."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from utils.args import XTrainingArguments
    from utils.trainer import Trainer
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=3).eval()
    texts = [" ".join(["cat"] * n) for n in (3, 40, 7, 25, 1, 60, 12, 2, 33)]
    features = datasets.Dataset.from_dict(dict(tokenizer(texts)))
    args = XTrainingArguments(output_dir=str(tmp_path), per_device_eval_batch_size=2, use_cpu=True,
                              train_sampling_strategy="group_by_length", eval_strategy="no",
                              load_best_model_at_end=False)
    trainer = Trainer(model=model, args=args, processing_class=tokenizer,
                      data_collator=classification.data_collator(None, tokenizer, None))
    logits = trainer.predict(features).predictions
    with torch.no_grad():
        expected = [model(**tokenizer(t, return_tensors="pt")).logits[0].numpy() for t in texts]
    for got, want in zip(logits, expected):
        assert got == pytest.approx(want, abs=1e-4)


def test_scripts_work_copied_into_another_project(tmp_path):
    """run_*.py + tasks/ + engine/ + utils/ copied elsewhere run from any working directory: each script imports the
    engine and the registry beside itself and reaches its argument checks (an unknown task, refused in one line)."""
    import os
    import shutil
    import subprocess
    import sys
    from conftest import ROOT
    project = tmp_path / "project"
    for folder in ("tasks", "engine", "utils"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for script in ROOT.glob("run_*.py"):
        shutil.copy(script, project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    jobs = {name: subprocess.Popen([sys.executable, str(project / name), "--task", "no_such_task", "--output_dir",
                                    str(tmp_path / "out")], cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            for name in ("run_target.py", "run_intermediate.py", "run_retrieval.py")}
    for name, job in jobs.items():
        _, err = job.communicate(timeout=300)
        assert job.returncode == 2 and f"{name}: error: unknown task 'no_such_task'" in err, err[-2000:]
