"""One run lifecycle (utils/lifecycle.py), the same tests for every entry point: a target run, a multi-task
intermediate run and a retrieval run. Skip-if-done returns the finished results, --overwrite clears the old ones,
the lock keeps a second process out, and a mistake is found before anything is written."""
import json
import time

import pytest
from conftest import FAST, nli_rows, write_jsonl

import run_intermediate
import run_retrieval
import run_target
from utils.args import InputError
from utils.results import run_lock

ENTRY_POINTS = {  # name -> (script's main, its argv without --output_dir, the predictions folder it writes)
    "target": (run_target.main, ["--task", "xnli", "--languages", "de", *FAST], "xnli"),
    "multitask": (run_intermediate.main, ["--tasks", "mnli,pawsx", *FAST], "mnli"),
    "retrieval": (run_retrieval.main, ["--task", "tatoeba", "--languages", "de"], "tatoeba"),
}


@pytest.fixture()
def lifecycle_data(tiny_data_dir):
    write_jsonl(tiny_data_dir / "tatoeba" / "test-de.jsonl",
                [{"source": f"{i} {r['text_a']}", "target": r["text_a"]} for i, r in enumerate(nli_rows(6, 9))])
    return tiny_data_dir


def argv_of(name, model, data, out, *extra):
    main, argv, _ = ENTRY_POINTS[name]
    return main, [*argv, "--model_name_or_path", str(model), "--data_dir", str(data), "--output_dir", str(out),
                  *extra]


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_finished_run_is_skipped_and_overwrite_clears_it(name, tiny_model_dir, lifecycle_data, tmp_path):
    out = tmp_path / name
    main, argv = argv_of(name, tiny_model_dir, lifecycle_data, out)
    first = main(argv)
    assert (out / "DONE").is_file() and json.loads((out / "metrics.json").read_text()) == first
    stamp = (out / "metrics.json").stat().st_mtime_ns
    assert main(argv) == first                              # skipped: the finished run's results
    assert (out / "metrics.json").stat().st_mtime_ns == stamp
    stale = out / "predictions" / ENTRY_POINTS[name][2] / "stale-xx.jsonl"
    stale.write_text("{}\n")
    (out / "checkpoint-99").mkdir()
    time.sleep(0.01)
    again = main([*argv, "--overwrite"])
    assert not stale.exists() and not (out / "checkpoint-99").exists()   # nothing of the old run survives
    assert (out / "DONE").is_file() and (out / "metrics.json").stat().st_mtime_ns != stamp
    assert again["per_language"].keys() == first["per_language"].keys()


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_a_locked_run_is_refused(name, tiny_model_dir, lifecycle_data, tmp_path):
    out = tmp_path / name
    main, argv = argv_of(name, tiny_model_dir, lifecycle_data, out)
    with run_lock(out), pytest.raises(RuntimeError, match="is locked by another running process"):
        main(argv)
    assert not (out / "DONE").exists() and not (out / "metrics.json").exists()


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_a_missing_file_is_found_before_anything_is_written(name, tiny_model_dir, lifecycle_data, tmp_path):
    main, argv = argv_of(name, tiny_model_dir, lifecycle_data, tmp_path / name, "--languages", "de,fr")
    (lifecycle_data / {"target": "xnli", "multitask": "pawsx", "retrieval": "tatoeba"}[name]
     / {"target": "test-fr.jsonl", "multitask": "validation-en.jsonl", "retrieval": "test-de.jsonl"}[name]).unlink()
    with pytest.raises(InputError, match=r"\.jsonl: no such file; expected the local layout"):
        main(argv)
    assert not (tmp_path / name).exists()


def test_a_typo_on_the_command_line_is_one_line_and_nothing_is_written(tiny_model_dir, tiny_data_dir, tmp_path):
    import subprocess
    import sys
    from conftest import ROOT
    out = tmp_path / "xnli"
    result = subprocess.run([sys.executable, str(ROOT / "run_target.py"), "--task", "xnli", "--languages", "en,xx",
                             "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(tiny_data_dir),
                             "--output_dir", str(out), *FAST], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "run_target.py: error: --languages: xx not a language of task 'xnli' (known: ar, bg, de, el, en, es, fr, hi, "
        "ru, sw, th, tr, ur, vi, zh)"]
    assert not out.exists()


def test_a_doc_stride_beyond_the_window_is_found_before_training(tiny_model_dir, tmp_path):
    from conftest import write_jsonl
    from builders import synthetic_qa_rows
    data = tmp_path / "data"
    for split in ("train", "validation"):
        write_jsonl(data / "squad" / f"{split}-en.jsonl", synthetic_qa_rows(4, 1))
    write_jsonl(data / "xquad" / "test-de.jsonl", synthetic_qa_rows(4, 2))
    argv = ["--task", "xquad", "--languages", "de", "--model_name_or_path", str(tiny_model_dir), "--data_dir",
            str(data), "--output_dir", str(tmp_path / "out"), "--max_seq_length", "96", *FAST]
    with pytest.raises(InputError, match=r"--doc_stride 128: under --qa_windows xtreme.* = 28"):
        run_target.main(argv)
    assert not (tmp_path / "out").exists()


def test_an_xtreme_r_language_missing_from_the_hub_is_named_before_training(tiny_model_dir, tmp_path):
    argv = ["--task", "panx", "--languages", "de,qu", "--model_name_or_path", str(tiny_model_dir),
            "--output_dir", str(tmp_path / "out"), "--do_eval", *FAST]
    with pytest.raises(InputError, match=r"panx qu is not in the hub copy google/xtreme .* pass --data_dir"):
        run_target.main(argv)
    assert not (tmp_path / "out").exists()
