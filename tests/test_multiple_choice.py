"""Multiple choice: hub mapping of each task, validation errors, preprocessing, accuracy, tiny end-to-end runs."""
import json
from types import SimpleNamespace

import datasets
import numpy as np
import pytest
from builders import mc_rows
from conftest import FAST, write_jsonl

from tasks import get_task
from tasks import multiple_choice as mc
from utils.data import load_local


def hub(rows):
    return datasets.Dataset.from_list(rows)


def test_hellaswag_from_hub_prefixes_ctx_b_and_drops_unlabelled_rows():
    rows = [{"ind": 4, "ctx_a": "A man sits.", "ctx_b": "he", "endings": ["runs.", "eats.", "sleeps.", "sings."],
             "label": "2"},
            {"ind": 5, "ctx_a": "A dog.", "ctx_b": "", "endings": ["a", "b", "c", "d"], "label": ""}]
    out = mc.from_hub(get_task("hellaswag"), hub(rows), "en")
    assert out.num_rows == 1
    assert out[0]["context"] == "A man sits."
    assert out[0]["choices"] == ["he runs.", "he eats.", "he sleeps.", "he sings."]
    assert out[0]["label"] == 2


def test_commonsenseqa_from_hub_reads_nested_choices_and_letter_labels():
    rows = [{"id": "q1", "question": "Where is water?", "question_concept": "water",
             "choices": {"label": list("ABCDE"), "text": ["sea", "desert", "sky", "moon", "sun"]}, "answerKey": "A"},
            {"id": "q2", "question": "Test?", "question_concept": "x",
             "choices": {"label": list("ABCDE"), "text": list("vwxyz")}, "answerKey": ""}]
    out = mc.from_hub(get_task("commonsenseqa"), hub(rows), "en")
    assert out.to_list() == [{"id": "q1", "context": "Where is water?",
                              "choices": ["sea", "desert", "sky", "moon", "sun"], "label": 0}]


def test_socialiqa_and_cosmosqa_from_hub():
    siqa = [{"context": "Tom fell.", "question": "How does Tom feel?", "answerA": "hurt", "answerB": "glad",
             "answerC": "bored", "label": "3"}]
    out = mc.from_hub(get_task("socialiqa"), hub(siqa), "en")[0]
    assert (out["context"], out["choices"], out["label"]) == ("Tom fell. How does Tom feel?",
                                                               ["hurt", "glad", "bored"], 2)
    cosmos = [{"id": "c1", "context": "It rained.", "question": "Why wet?", "answer0": "a", "answer1": "b",
               "answer2": "c", "answer3": "d", "label": 1},
              {"id": "c2", "context": "x", "question": "y", "answer0": "a", "answer1": "b", "answer2": "c",
               "answer3": "d", "label": -1}]
    out = mc.from_hub(get_task("cosmosqa"), hub(cosmos), "en")
    assert out.to_list() == [{"id": "c1", "context": "It rained. Why wet?", "choices": ["a", "b", "c", "d"],
                              "label": 1}]


def test_copa_and_xcopa_use_xtreme_r_question_wording():
    rows = [{"premise": "Mein Auge war rot.", "choice1": "Ich weinte.", "choice2": "Ich lachte.",
             "question": "cause", "label": 0, "idx": 7, "changed": False}]
    for task in ("copa", "xcopa"):
        out = mc.from_hub(get_task(task), hub(rows), "et")[0]
        assert out["context"] == "Mein Auge war rot. What was the cause?"
        assert out["choices"] == ["Ich weinte.", "Ich lachte."] and out["label"] == 0 and out["id"] == "7"


@pytest.mark.parametrize("bad_row, message", [
    ({"id": "x", "context": "c", "choices": ["a", "b", "c"], "label": 0}, "3 choices, but the first row has 4"),
    ({"id": "x", "context": "c", "choices": ["a", "b", "c", "d"], "label": 4}, "label 4 is not a choice index"),
    ({"id": "x", "context": "c", "choices": ["a", "b", "c", "d"], "label": -1}, "label -1 is not a choice index"),
])
def test_validate_names_file_and_line(tmp_path, bad_row, message):
    good = {"id": "g", "context": "c", "choices": ["a", "b", "c", "d"], "label": 1}
    path = write_jsonl(tmp_path / "hellaswag" / "train-en.jsonl", [good, good, bad_row])
    with pytest.raises(ValueError, match=rf"{path}:3: {message}"):
        mc.validate(get_task("hellaswag"), load_local(path), path)


def test_validate_rejects_a_label_that_is_not_an_index(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"id": "g", "context": "c", "choices": ["a", "b"], "label": "B"}])
    with pytest.raises(ValueError, match=rf"{path}:1: label 'B' is not a choice index"):
        mc.validate(get_task("copa"), load_local(path), path)


def test_preprocess_pairs_the_context_with_every_choice(tiny_model_dir):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    args = SimpleNamespace(max_seq_length=16, pad_to_max_length=False)
    batch = {"id": ["a", "b"], "context": ["the cat", "a dog"], "choices": [["runs", "sees"], ["big", "red"]],
             "label": [1, 0]}
    features = mc.preprocess(get_task("copa"), tokenizer, args, is_train=True)(batch)
    assert [len(f) for f in features["input_ids"]] == [2, 2] and features["labels"] == [1, 0]
    second = tokenizer.decode(features["input_ids"][0][1], skip_special_tokens=True).split()
    assert second == ["the", "cat", "sees"]
    collated = mc.data_collator(None, tokenizer, args)([{k: v[i] for k, v in features.items()} for i in range(2)])
    assert collated["input_ids"].shape[:2] == (2, 2) and collated["labels"].tolist() == [1, 0]


def test_postprocess_and_accuracy_by_hand():
    examples = {"id": ["a", "b", "c", "d"], "label": [0, 1, 2, 1]}
    logits = np.array([[5.0, 1, 0], [0, 2, 1], [3, 0, 1], [0, 0, 9]])  # predicts 0, 1, 0, 2
    records = mc.postprocess(get_task("socialiqa"), (logits,), examples, None, None)
    assert [r["prediction"] for r in records] == [0, 1, 0, 2]
    assert mc.compute_metrics(get_task("socialiqa"), records, "en") == {"accuracy": 50.0}


def test_tiny_end_to_end_hellaswag_then_xcopa(tmp_path, tiny_model_dir):
    import run_intermediate
    import run_target
    data = tmp_path / "data"
    write_jsonl(data / "hellaswag" / "train-en.jsonl", mc_rows(32, 1, 4))
    write_jsonl(data / "hellaswag" / "validation-en.jsonl", mc_rows(8, 2, 4))
    write_jsonl(data / "copa" / "train-en.jsonl", mc_rows(24, 3, 2))
    write_jsonl(data / "copa" / "validation-en.jsonl", mc_rows(8, 4, 2))
    for lang, seed in (("et", 5), ("zh", 6)):
        write_jsonl(data / "xcopa" / f"test-{lang}.jsonl", mc_rows(6, seed, 2, prefix=f"{lang}-"))
    inter = tmp_path / "runs" / "hellaswag"
    run_intermediate.main(["--task", "hellaswag", "--model_name_or_path", str(tiny_model_dir),
                           "--output_dir", str(inter), "--data_dir", str(data), *FAST])
    assert (inter / "encoder" / "config.json").is_file()
    target = inter / "xcopa"
    run_target.main(["--task", "xcopa", "--model_name_or_path", str(inter / "encoder"), "--output_dir", str(target),
                     "--data_dir", str(data), "--languages", "et,zh", *FAST])
    metrics = json.loads((target / "metrics.json").read_text())
    assert set(metrics["per_language"]) == {"et", "zh"}
    lines = (target / "predictions" / "xcopa" / "test-zh.jsonl").read_text().splitlines()
    assert len(lines) == 6 and set(json.loads(lines[0])) == {"id", "prediction", "label"}
    for lang in ("et", "zh"):  # the accuracy is the share of the written predictions that are right
        records = [json.loads(line) for line in (target / "predictions" / "xcopa" / f"test-{lang}.jsonl").open()]
        assert {r["prediction"] for r in records} <= {0, 1}
        assert metrics["per_language"][lang]["test"]["accuracy"] == pytest.approx(
            100 * sum(r["prediction"] == r["label"] for r in records) / len(records))
