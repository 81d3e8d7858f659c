"""A target's head is built from its training task's labels: the two lists agree (every registry target; a
pre-flight error at run time otherwise), and predictions are decoded with the model's own id2label."""
import json
from dataclasses import replace

import pytest
from conftest import FAST

import run_target
import tasks
from tasks import TASKS, get_task
from engine.preflight import label_disagreement
from utils.args import InputError
from utils.modeling import head_labels

TARGETS = sorted(name for name, spec in TASKS.items() if spec.is_target)


def test_the_registry_has_targets():
    assert {"xnli", "pawsx", "udpos", "panx", "xquad", "xcopa"} <= set(TARGETS)


@pytest.mark.parametrize("name", TARGETS)
def test_every_target_has_its_training_tasks_labels_in_order(name):
    spec = TASKS[name]
    train = TASKS[spec.train_task]  # a KeyError here: a target trained on a task the registry lacks
    assert spec.kind == train.kind
    if spec.label_map:  # its own labels, each mapped onto one of its training task's (MasakhaNER's DATE as O)
        assert label_disagreement(spec, train) is None and spec.labels != train.labels
        return
    assert (spec.labels is None) == (train.labels is None)
    assert tuple(spec.labels or ()) == tuple(train.labels or ())
    assert label_disagreement(spec, train) is None


def test_label_disagreement_names_both_lists():
    xnli, mnli = get_task("xnli"), get_task("mnli")
    reordered = replace(xnli, labels=("contradiction", "entailment", "neutral"))
    assert label_disagreement(reordered, mnli) == (
        "task xnli: its labels (contradiction, entailment, neutral) are not those of its training task mnli "
        "(entailment, neutral, contradiction), in the same order; its head is built from mnli's labels")
    assert "read from the training data" in label_disagreement(replace(xnli, labels=None), mnli)
    assert "a classification task; expected one kind" in label_disagreement(get_task("udpos"), mnli)


def target_argv(model_dir, data_dir, out, *flags):
    return ["--task", "xnli", "--model_name_or_path", str(model_dir), "--data_dir", str(data_dir),
            "--output_dir", str(out), "--languages", "de", *FAST, *flags]


def test_preflight_stops_a_target_whose_labels_disagree(monkeypatch, tiny_model_dir, tiny_data_dir, tmp_path):
    reordered = replace(get_task("xnli"), labels=("contradiction", "entailment", "neutral"))
    monkeypatch.setitem(tasks.TASKS, "xnli", reordered)
    out = tmp_path / "run"
    with pytest.raises(InputError) as error:
        run_target.prepare(target_argv(tiny_model_dir, tiny_data_dir, out))
    assert "\n" not in str(error.value) and str(error.value).startswith("task xnli: its labels (contradiction, ")
    assert not out.exists()


def test_head_labels_reads_named_heads_only():
    from transformers import PretrainedConfig
    assert head_labels(PretrainedConfig()) is None  # a bare encoder: LABEL_0, LABEL_1
    assert head_labels(PretrainedConfig(num_labels=3)) is None
    named = PretrainedConfig(id2label={"1": "b", "0": "a"})
    assert head_labels(named) == ["a", "b"]


def trained_head(model_dir, directory, id2label, predicted):
    """A sequence classifier on the tiny encoder whose head names id2label and always outputs `predicted`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, num_labels=len(id2label), id2label=dict(enumerate(id2label)),
        label2id={name: i for i, name in enumerate(id2label)})
    with torch.no_grad():
        head = model.classifier.out_proj
        head.weight.zero_()
        head.bias.copy_(torch.tensor([10.0 if name == predicted else 0.0 for name in id2label]))
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(directory)
    return directory


def test_predictions_are_decoded_with_the_models_own_id2label(tiny_model_dir, tiny_data_dir, tmp_path):
    """A checkpoint whose head orders the labels unlike the registry: evaluated (no training), every prediction
    is the head's own name for the output it favours."""
    checkpoint = trained_head(tiny_model_dir, tmp_path / "xnli-head", ["contradiction", "entailment", "neutral"],
                              predicted="neutral")
    out = tmp_path / "run"
    run_target.main(target_argv(checkpoint, tiny_data_dir, out, "--do_eval"))
    records = [json.loads(line) for line in (out / "predictions" / "xnli" / "test-de.jsonl").read_text().splitlines()]
    assert records and {r["prediction"] for r in records} == {"neutral"}  # the registry's index 2: contradiction


def test_preflight_stops_evaluating_a_head_of_other_labels(tiny_model_dir, tiny_data_dir, tmp_path):
    checkpoint = trained_head(tiny_model_dir, tmp_path / "sentiment", ["negative", "neutral", "positive"],
                              predicted="neutral")
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"^--model_name_or_path .*sentiment: its head's labels \(negative, "
                                         r"neutral, positive\) are not task mnli's \(entailment, neutral, "
                                         r"contradiction\); evaluate a checkpoint trained on mnli"):
        run_target.prepare(target_argv(checkpoint, tiny_data_dir, out, "--do_eval"))
    assert not out.exists()


def test_a_custom_tasks_labels_come_from_its_training_file(tiny_model_dir, tmp_path):
    """--task custom reads its labels from the training file: a dev label it lacks stops the run in one line."""
    import run_intermediate
    from conftest import nli_rows, write_jsonl
    train = write_jsonl(tmp_path / "train.jsonl", [r for r in nli_rows(12, 1) if r["label"] != "neutral"])
    dev = write_jsonl(tmp_path / "dev.jsonl", nli_rows(3, 2))  # entailment, neutral, contradiction
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"^\S*dev\.jsonl:2: label 'neutral' does not occur in the training file "
                                         r"\S*train\.jsonl \(labels: contradiction, entailment\)$"):
        run_intermediate.prepare(["--task", "custom", "--task_kind", "classification", "--train_file", str(train),
                                  "--validation_file", str(dev), "--text_columns", "text_a,text_b",
                                  "--label_column", "label", "--model_name_or_path", str(tiny_model_dir),
                                  "--output_dir", str(out), *FAST])
    assert not out.exists()
