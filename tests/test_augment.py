"""Code-switching augmentation: MUSE dictionaries, the exact share replaced, nothing else changed, every kind."""
import math
import re

import datasets
import pytest

from tasks.kinds import KINDS
from utils.augment import CodeSwitcher, augment_dataset, load_dictionaries, read_dictionary

FIELDS = KINDS["classification"].TEXT_FIELDS  # the fields code-switching rewrites in a classification row

FI = {"cat": ["kissa"], "dog": ["koira"], "house": ["talo"], "big": ["iso", "suuri"], "the": ["se"]}
SW = {"cat": ["paka"], "dog": ["mbwa"], "water": ["maji"]}


def write_dictionaries(directory):
    directory.mkdir(parents=True, exist_ok=True)
    for lang, entries in (("fi", FI), ("sw", SW)):
        lines = [f"{src} {tgt}" for src, targets in entries.items() for tgt in targets]
        (directory / f"en-{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def words(text):
    return re.findall(r"[^\W\d_]+|[^\w\s]|\d+", text)


def test_dictionary_format_and_errors(tmp_path):
    directory = write_dictionaries(tmp_path / "dicts")
    assert load_dictionaries(directory, ["fi", "sw"])["fi"]["big"] == ["iso", "suuri"]
    (directory / "en-xx.txt").write_text("cat kissa\n\ndog\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en-xx.txt:3: expected 'source_word target_word'"):
        read_dictionary(directory / "en-xx.txt")
    with pytest.raises(FileNotFoundError, match=r"en-qu.txt: no such dictionary"):
        load_dictionaries(directory, ["fi", "qu"])
    with pytest.raises(ValueError, match="--augment_ratio 1.5"):
        CodeSwitcher({"fi": FI}, 1.5)


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.5, 1.0])
def test_exact_share_of_candidates_replaced_and_nothing_else(ratio):
    switcher = CodeSwitcher({"fi": FI, "sw": SW}, ratio, seed=7)
    translations = {t for d in (FI, SW) for targets in d.values() for t in targets}
    text_a = "The big cat sees the dog near 3 houses, and water."  # candidates: The big cat the dog water (6)
    example = {"id": "x", "text_a": text_a, "text_b": None, "label": "neutral"}
    out = switcher.switch(example, FIELDS, index=0)
    before, after = words(text_a), words(out["text_a"])
    assert len(before) == len(after) and out["label"] == "neutral" and out["text_b"] is None
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert len(changed) == math.floor(ratio * 6 + 0.5)
    for b, a in changed:  # only candidate words, each replaced by one of its translations (capitals kept)
        assert b.lower() in FI or b.lower() in SW
        assert a.lower() in translations and (a[0].isupper() == b[0].isupper())
    assert example["text_a"] == text_a  # the input row is not modified


def test_share_over_many_examples_and_determinism():
    switcher = CodeSwitcher({"fi": FI, "sw": SW}, 0.3, seed=1)
    text = "cat dog house big the water tree river " * 3  # 18 candidates, 6 others
    rows = [switcher.switch({"text_a": text, "text_b": "dog"}, FIELDS, i) for i in range(200)]
    changed = [sum(b != a for b, a in zip(words(text) + ["dog"], words(r["text_a"]) + [r["text_b"]])) for r in rows]
    assert set(changed) == {round(0.3 * 19)}  # 19 candidates in the example (both fields) -> 6 each time
    again = [switcher.switch({"text_a": text, "text_b": "dog"}, FIELDS, i) for i in range(200)]
    assert again == rows
    other = [CodeSwitcher({"fi": FI, "sw": SW}, 0.3, seed=2).switch({"text_a": text, "text_b": "dog"},
                                                                    FIELDS, i) for i in range(200)]
    assert other != rows
    used = {w for r in rows for w in words(r["text_a"])}
    assert "kissa" in used and "paka" in used  # both languages are drawn


def test_tagging_span_qa_and_multiple_choice_fields():
    switcher = CodeSwitcher({"fi": FI, "sw": SW}, 1.0, seed=3)
    tagged = switcher.switch({"id": "t", "tokens": ["The", "cat", "runs", "."], "tags": ["DET", "NOUN", "VERB", "PUNCT"]},
                             KINDS["tagging"].TEXT_FIELDS, 0)
    assert tagged["tokens"] == ["Se", tagged["tokens"][1], "runs", "."] and tagged["tokens"][1] in ("kissa", "paka")
    assert tagged["tags"] == ["DET", "NOUN", "VERB", "PUNCT"]
    context = "The dog saw the big house by the water."
    qa = {"id": "q", "context": context, "question": "What did the dog see?",
          "answers": {"text": ["big house"], "answer_start": [context.index("big house")]}}
    out = switcher.switch(qa, KINDS["span_qa"].TEXT_FIELDS, 0)
    start = out["answers"]["answer_start"][0]
    assert out["context"][start:start + len("big house")] == "big house"  # the answer is intact, offset shifted
    assert "dog" not in out["context"] and "dog" not in out["question"] and "water" not in out["context"]
    mc = switcher.switch({"id": "m", "context": "A big dog.", "choices": ["the cat", "a tree"], "label": 1},
                         KINDS["multiple_choice"].TEXT_FIELDS, 0)
    assert mc["choices"][1] == "a tree" and mc["choices"][0].split()[0] == "se" and mc["label"] == 1
    assert mc["context"].startswith("A ") and "dog" not in mc["context"]


def test_augment_dataset_maps_every_row_and_logs(caplog):
    dataset = datasets.Dataset.from_list([{"id": str(i), "text_a": "the big dog", "text_b": None, "label": "a"}
                                          for i in range(5)])
    with caplog.at_level("INFO", logger="utils.augment"):
        out = augment_dataset(dataset, KINDS["classification"], CodeSwitcher({"fi": FI}, 1.0, seed=0))
    assert all(r["text_a"] in ("se iso koira", "se suuri koira") for r in out)
    assert "code-switched example 0" in caplog.text
    with pytest.raises(ValueError, match="kind 'bitext_search' have no text fields"):
        augment_dataset(dataset, KINDS["bitext_search"], CodeSwitcher({"fi": FI}, 1.0))


def test_target_training_with_codeswitching(tiny_model_dir, tiny_data_dir, tmp_path, caplog):
    import json
    from conftest import FAST
    import run_target
    directory = tmp_path / "dicts"
    directory.mkdir()
    (directory / "en-de.txt").write_text("cat Katze\ndog Hund\nhouse Haus\nthe die\n", encoding="utf-8")
    out = tmp_path / "xnli"
    with caplog.at_level("INFO", logger="utils.augment"):
        run_target.main(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                         "--data_dir", str(tiny_data_dir), "--languages", "de", "--augment", "codeswitch",
                         "--dictionaries", str(directory), "--augment_languages", "de", "--augment_ratio", "0.5",
                         *FAST])
    assert "code-switched example" in caplog.text and (out / "DONE").is_file()
    assert json.loads((out / "run_config.json").read_text())["arguments"]["augment"] == "codeswitch"
