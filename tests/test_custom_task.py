"""--task custom: the user's JSONL/CSV corpus converted into a kind's schema and trained like a built-in task."""
import csv
import json
from types import SimpleNamespace

import pytest
from conftest import FAST, nli_rows, write_jsonl

import run_intermediate
from tasks.custom import build_custom_task
from utils.data import read_jsonl


def options(**kwargs):
    base = dict(task_kind=None, train_file=None, validation_file=None, test_file=None, text_columns=None,
                label_column=None)
    return SimpleNamespace(**{**base, **kwargs})


def own_format(rows):
    """NLI rows under the user's own column names."""
    return [{"premise": r["text_a"], "hypothesis": r["text_b"], "gold": r["label"]} for r in rows]


def test_custom_classification_from_jsonl_end_to_end(tiny_model_dir, tmp_path):
    train = write_jsonl(tmp_path / "bio" / "train.jsonl", own_format(nli_rows(40, 1)))
    dev = write_jsonl(tmp_path / "bio" / "dev.jsonl", own_format(nli_rows(9, 2)))
    out = tmp_path / "runs" / "bio"
    run_intermediate.main(["--task", "custom", "--task_kind", "classification", "--train_file", str(train),
                           "--validation_file", str(dev), "--text_columns", "premise,hypothesis",
                           "--label_column", "gold", "--model_name_or_path", str(tiny_model_dir),
                           "--output_dir", str(out), *FAST])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "custom" and "accuracy" in metrics["per_language"]["en"]["validation"]
    assert (out / "DONE").is_file() and (out / "encoder" / "model.safetensors").is_file()
    predictions = read_jsonl(out / "predictions" / "custom" / "validation-en.jsonl")
    assert len(predictions) == 9 and {p["label"] for p in predictions} <= {"entailment", "neutral", "contradiction"}


def test_missing_column_and_unknown_label_are_clear_errors(tmp_path):
    train = tmp_path / "train.csv"
    with open(train, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["sentence", "label"])
        writer.writeheader()
        writer.writerows([{"sentence": "good", "label": "pos"}, {"sentence": "bad", "label": "neg"}])
    dev = write_jsonl(tmp_path / "dev.jsonl", [{"sentence": "fine", "label": "pos"}, {"sentence": "meh", "label": "mid"}])
    args = options(task_kind="classification", train_file=str(train), validation_file=str(dev), label_column="label")
    with pytest.raises(ValueError, match=r"train.csv:2: no column 'text' \(--text_columns\); the file has columns "
                                         r"sentence, label"):
        build_custom_task(SimpleNamespace(**{**vars(args), "text_columns": "text"}), tmp_path / "out")
    with pytest.raises(ValueError, match=r"train.csv:2: no column 'gold' \(--label_column\)"):
        build_custom_task(SimpleNamespace(**{**vars(args), "text_columns": "sentence", "label_column": "gold"}),
                          tmp_path / "out")
    with pytest.raises(ValueError, match=r"dev.jsonl:2: label 'mid' does not occur in the training file"):
        build_custom_task(SimpleNamespace(**{**vars(args), "text_columns": "sentence"}), tmp_path / "out")
    with pytest.raises(ValueError, match="--task custom needs --task_kind"):
        build_custom_task(options(), tmp_path / "out")


def test_multiple_choice_span_qa_and_tagging_conversions(tmp_path):
    mc = write_jsonl(tmp_path / "mc.jsonl", [{"q": "Pick one", "a": "x", "b": "y", "ans": 1}])
    spec, directory = build_custom_task(options(task_kind="multiple_choice", train_file=str(mc), validation_file=str(mc),
                                                text_columns="q,a,b", label_column="ans"), tmp_path / "o1")
    assert spec.kind == "multiple_choice" and read_jsonl(directory / "custom" / "train-en.jsonl") == \
        [{"id": "train-1", "context": "Pick one", "choices": ["x", "y"], "label": 1}]
    qa = write_jsonl(tmp_path / "qa.jsonl", [{"id": "q1", "passage": "Anna lives in Paris.", "q": "Where?",
                                              "answer": "Paris"}])
    spec, directory = build_custom_task(options(task_kind="span_qa", train_file=str(qa), validation_file=str(qa),
                                                text_columns="passage,q", label_column="answer"), tmp_path / "o2")
    row = read_jsonl(directory / "custom" / "validation-en.jsonl")[0]
    assert spec.metric == "f1" and row["answers"] == {"text": ["Paris"], "answer_start": [14]} and row["id"] == "q1"
    tags = write_jsonl(tmp_path / "ner.jsonl", [{"words": "Anna lives here", "labels": "B-PER O O"}])
    spec, directory = build_custom_task(options(task_kind="tagging", train_file=str(tags), validation_file=str(tags),
                                                text_columns="words", label_column="labels"), tmp_path / "o3")
    assert spec.metric == "f1" and read_jsonl(directory / "custom" / "train-en.jsonl")[0]["tags"] == ["B-PER", "O", "O"]
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"words": "Anna lives", "labels": "B-PER"}])
    with pytest.raises(ValueError, match=r"bad.jsonl:1: 2 tokens but 1 tags"):
        build_custom_task(options(task_kind="tagging", train_file=str(bad), validation_file=str(bad),
                                  text_columns="words", label_column="labels"), tmp_path / "o4")
