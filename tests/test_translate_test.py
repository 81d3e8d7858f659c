"""Translate-test (run_target.py --translate_test DIR): the English-trained model evaluated on English translations
of each language's test set, matched to the original by id and scored against the original's gold labels."""
import random

import datasets
import pytest

import run_target
from conftest import FAST, write_jsonl
from tasks import get_task
from tasks.kinds import kind_of
from utils.args import InputError
from utils.data import load_translated_set, read_jsonl


def translations(original, seed=0, **changes):
    """The rows of original (English stand-ins for translations) shuffled, each label flipped to a wrong one: the
    run must take the gold from the original test set, in its order."""
    rows = [{**row, "label": "neutral" if row["label"] != "neutral" else "entailment", **changes} for row in original]
    random.Random(seed).shuffle(rows)
    return rows


def argv(model, data, out, translated, *flags):
    return ["--task", "xnli", "--model_name_or_path", str(model), "--data_dir", str(data), "--output_dir", str(out),
            "--languages", "de,fr", "--translate_test", str(translated), *FAST, *flags]


def test_translate_test_is_scored_against_the_original_labels_in_its_order(tmp_path, tiny_model_dir, tiny_data_dir):
    original = read_jsonl(tiny_data_dir / "xnli" / "test-de.jsonl")
    translated = tmp_path / "translated"
    write_jsonl(translated / "xnli" / "test-de.jsonl", translations(original))  # fr has no translation: not scored
    out = tmp_path / "run"
    document = run_target.main(argv(tiny_model_dir, tiny_data_dir, out, translated))
    records = read_jsonl(out / "predictions" / "xnli" / "translate_test-de.jsonl")
    assert [r["id"] for r in records] == [row["id"] for row in original]
    assert [r["label"] for r in records] == [row["label"] for row in original]
    accuracy = 100 * sum(r["prediction"] == r["label"] for r in records) / len(records)
    assert document["per_language"]["de"]["translate_test"]["accuracy"] == pytest.approx(accuracy)
    assert "translate_test" not in document["per_language"]["fr"] and "test" in document["per_language"]["fr"]


@pytest.mark.parametrize("rows, message", [
    (lambda o: o[1:], r"test-de.jsonl: 1 of the 9 ids of the de test set have no translation \(first: de-"),
    (lambda o: o + [{**o[0], "id": "elsewhere"}], r"1 ids are not in the de test set \(first: elsewhere\)"),
    (lambda o: o + o[:2], r"2 ids are repeated"),
    (lambda o: [{k: v for k, v in row.items() if k != "id"} for row in o], r"no 'id' field"),
])
def test_translations_that_do_not_match_the_test_set_stop_the_run_before_the_model_loads(
        tmp_path, tiny_model_dir, tiny_data_dir, rows, message):
    original = read_jsonl(tiny_data_dir / "xnli" / "test-de.jsonl")
    translated = tmp_path / "translated"
    write_jsonl(translated / "xnli" / "test-de.jsonl", rows(original))
    out = tmp_path / "run"
    with pytest.raises(InputError, match=message):
        run_target.prepare(argv(tiny_model_dir, tiny_data_dir, out, translated))
    assert not out.exists()


def test_translate_test_needs_a_file_and_a_kind_scored_on_translations(tmp_path, tiny_model_dir, tiny_data_dir):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"^--translate_test .*empty: no translated test file of an evaluation "
                                         r"language in .*xnli \(expected test-<lang>.jsonl, <lang> one of de, fr\)"):
        run_target.prepare(argv(tiny_model_dir, tiny_data_dir, tmp_path / "run", tmp_path / "empty"))
    with pytest.raises(InputError, match=r"^--translate_test juletxara/xnli_mt: no such folder; translate-test "
                                         r"reads local files"):
        run_target.prepare(argv(tiny_model_dir, tiny_data_dir, tmp_path / "run", "juletxara/xnli_mt"))
    with pytest.raises(InputError, match=r"^--translate_test: task 'panx' \(tagging\) cannot be scored on "
                                         r"translations"):
        run_target.prepare(["--task", "panx", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                            str(tmp_path / "panx"), "--data_dir", str(tiny_data_dir), "--translate_test",
                            str(tmp_path), *FAST])


def test_multiple_choice_translations_keep_the_original_answer(tmp_path):
    spec = get_task("xcopa")
    original = datasets.Dataset.from_list([{"id": f"q{i}", "context": f"premise {i}", "choices": ["a", "b"],
                                            "label": i % 2} for i in range(4)])
    rows = [{"id": f"q{i}", "context": f"translated premise {i}", "choices": ["A", "B"]} for i in (3, 1, 0, 2)]
    write_jsonl(tmp_path / spec.name / "test-et.jsonl", rows)  # no label in the file: the original's is taken
    dataset = load_translated_set(spec, tmp_path, "et", kind_of(spec), original)
    assert dataset["id"] == ["q0", "q1", "q2", "q3"] and dataset["label"] == [0, 1, 0, 1]
    assert dataset["context"][3] == "translated premise 3"


def test_the_cost_estimate_counts_the_translated_sets(tmp_path, tiny_data_dir):
    from engine.plan import plan_run
    from pipeline.cost import evaluated_sets
    from utils.args import DataArguments, DomainArguments, RunOptions
    original = read_jsonl(tiny_data_dir / "xnli" / "test-de.jsonl")
    write_jsonl(tmp_path / "xnli" / "test-de.jsonl", translations(original))
    plan = plan_run(get_task("xnli"), DataArguments(task="xnli", data_dir=str(tiny_data_dir)),
                    RunOptions(domain=DomainArguments(translate_test=str(tmp_path))), do_train=True, zero_shot=True)
    sets = {(split, lang): count for split, lang, count, _ in evaluated_sets(plan, {"data_dir": str(tiny_data_dir)}, 1)}
    assert sets[("translate_test", "de")] == len(original) and ("translate_test", "fr") not in sets
