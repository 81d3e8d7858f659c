"""MasakhaNER 2.0 and MasakhaPOS (tasks/__init__.py `masakhaner`, `masakhapos`): their CoNLL-style release files
(prepare_data.py --from_raw conll) with the format's edge cases, MasakhaNER's label map onto PAN-X's labels (DATE
evaluated as O) checked by the registry and applied when its rows are read, and tiny runs from English PAN-X and
UD-POS. Their data is CC BY-NC: every file here is synthetic, in the release's format."""
import json
from dataclasses import replace

import pytest

from conftest import FAST, write_jsonl
from builders import tag_rows
import prepare_data
import tasks
from tasks import get_task, label_map_problem, resolve_languages, task_code
from tasks.kinds import kind_of
from utils.args import DataArguments, InputError
from utils.data import load_rows, read_jsonl

# MasakhaNER-style: `token TAG` lines, a -DOCSTART- line, two blank lines between two sentences, Windows line ends in
# one sentence, an IOB1-style I-DATE that opens a chunk, and no blank line at the end of the file
NER_FILE = ("-DOCSTART- O\n\n"
            "Musa B-PER\nya O\nje O\nKano B-LOC\nranar O\nLitinin B-DATE\nI-DATE I-DATE\n\n\n"
            "Kamfanin B-ORG\r\nDangote I-ORG\r\nya O\r\n\r\n"
            "A O\nshekarar I-DATE\n2023 I-DATE\n.  O")
POS_FILE = ("Musa PROPN\nya AUX\nje VERB\nKano PROPN\n. PUNCT\n\n\n"
            "Haba INTJ\n! PUNCT\n")


def convert(text, task, lang, tmp_path, split="test"):
    raw = tmp_path / f"{task}-{lang}.txt"
    raw.write_bytes(text.encode("utf-8"))
    prepare_data.main(["--from_raw", "conll", "--input", str(raw), "--task", task, "--split", split, "--lang", lang,
                       "--out", str(tmp_path / "data")])
    code = task_code(lang, get_task(task).languages)  # written under the task's code of the language
    return read_jsonl(tmp_path / "data" / task / f"{split}-{code}.jsonl")


def test_masakhaner_release_format(tmp_path):
    rows = convert(NER_FILE, "masakhaner", "hau_Latn", tmp_path)  # the registry's code of the language: hau
    assert (tmp_path / "data" / "masakhaner" / "test-hau.jsonl").is_file()
    assert [row["tokens"] for row in rows] == [["Musa", "ya", "je", "Kano", "ranar", "Litinin", "I-DATE"],
                                               ["Kamfanin", "Dangote", "ya"], ["A", "shekarar", "2023", "."]]
    assert [row["tags"] for row in rows] == [["B-PER", "O", "O", "B-LOC", "O", "B-DATE", "I-DATE"],
                                             ["B-ORG", "I-ORG", "O"], ["O", "B-DATE", "I-DATE", "O"]]
    assert len({row["id"] for row in rows}) == 3


def test_masakhapos_release_format(tmp_path):
    rows = convert(POS_FILE, "masakhapos", "yor", tmp_path)
    assert [row["tags"] for row in rows] == [["PROPN", "AUX", "VERB", "PROPN", "PUNCT"], ["INTJ", "PUNCT"]]
    assert resolve_languages(get_task("masakhapos"), "yor_Latn,hau,pcm_Latn") == ["yor", "hau", "pcm"]


def test_date_is_read_as_o_through_the_label_map(tmp_path):
    convert(NER_FILE, "masakhaner", "hau", tmp_path)
    spec = get_task("masakhaner")
    assert label_map_problem(spec, get_task("panx")) is None
    rows = load_rows(spec, "test", "hau", DataArguments(data_dir=str(tmp_path / "data")), kind_of(spec))
    assert rows["tags"] == [["B-PER", "O", "O", "B-LOC", "O", "O", "O"], ["B-ORG", "I-ORG", "O"], ["O", "O", "O", "O"]]
    unmapped = replace(spec, label_map={"B-DATE": "O"})
    assert label_map_problem(unmapped, get_task("panx")).startswith(
        "task masakhaner: its label map leaves I-DATE unmapped")
    assert label_map_problem(replace(spec, label_map={"DATE": "TIME"}), get_task("panx")).startswith(
        "task masakhaner: its label map leaves B-DATE, I-DATE unmapped")


def test_an_unmapped_label_is_one_line_before_the_model_loads(tiny_model_dir, tmp_path, monkeypatch):
    import run_target
    monkeypatch.setitem(tasks.TASKS, "masakhaner", replace(get_task("masakhaner"), label_map={"B-DATE": "O"}))
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"^task masakhaner: its label map leaves I-DATE unmapped") as error:
        run_target.main(["--task", "masakhaner", "--model_name_or_path", str(tiny_model_dir),
                         "--output_dir", str(out), "--data_dir", str(tmp_path), "--languages", "hau", *FAST])
    assert "\n" not in str(error.value) and not out.exists()


@pytest.mark.parametrize("task, train_task, text",
                         [("masakhaner", "panx", NER_FILE), ("masakhapos", "udpos", POS_FILE)])
def test_trained_on_english_evaluated_on_the_release_files(task, train_task, text, tiny_model_dir, tmp_path):
    import run_target
    data = tmp_path / "data"
    write_jsonl(data / train_task / "train-en.jsonl", tag_rows(24, 1, train_task))
    write_jsonl(data / train_task / "validation-en.jsonl", tag_rows(6, 2, train_task))
    for lang in ("hau", "yor"):
        convert(text, task, lang, tmp_path)
    out = tmp_path / "run"
    run_target.main(["--task", task, "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                     "--data_dir", str(data), "--languages", "hau,yor", *FAST])
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_language"]) == {"hau", "yor"}
    assert all(get_task(task).metric in scores["test"] for scores in metrics["per_language"].values())
    gold = {tag for row in read_jsonl(out / "predictions" / task / "test-hau.jsonl") for tag in row["label"]}
    assert not any(tag.endswith("DATE") for tag in gold)  # MasakhaNER's DATE scored as O
