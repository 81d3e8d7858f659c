"""The pipeline driver end to end, rerun skips, resume from a checkpoint, and torchrun on two CPU processes."""
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import builders
from conftest import FAST, ROOT
from test_sweep import planner

import run_target
from utils.data import read_jsonl

ENV = {**os.environ, "PYTHON": sys.executable, "TOKENIZERS_PARALLELISM": "false"}


def pipeline(*args):
    return subprocess.run(["bash", str(ROOT / "run_pipeline.sh"), *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=600)


# Slow (CI runs it): seven stages through run_pipeline.sh (four run, three skipped), about 40 s; the fast
# suite keeps the pipeline's dry run and the runner's rerun skip and resume, and tests/test_sweep.py's real
# sweep (CI) runs the same chain.
@pytest.mark.slow
def test_pipeline_end_to_end_then_rerun_skips(tiny_model_dir, tiny_data_dir, tmp_path):
    runs = tmp_path / "runs"
    args = ["--intermediate", "mnli", "--targets", "xnli,pawsx", "--model_name_or_path", tiny_model_dir,
            "--output_dir", runs, "--data_dir", tiny_data_dir, "--languages", "de", "--", *FAST]
    first = pipeline(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (runs / "mnli" / "encoder" / "model.safetensors").is_file()
    for target in ("xnli", "pawsx"):
        metrics = json.loads((runs / "mnli" / target / "metrics.json").read_text())
        assert list(metrics["per_language"]) == ["de"] and (runs / "mnli" / target / "DONE").is_file()
    assert "xnli (accuracy)" in first.stdout
    second = pipeline(*args)
    assert second.returncode == 0 and second.stdout.count("finished earlier") == 3, second.stdout
    baseline = pipeline("--intermediate", "none", "--targets", "pawsx", "--model_name_or_path", tiny_model_dir,
                        "--output_dir", runs, "--data_dir", tiny_data_dir, "--languages", "de", "--", *FAST)
    assert baseline.returncode == 0, baseline.stderr[-3000:]
    config = json.loads((runs / "baseline" / "pawsx" / "run_config.json").read_text())
    assert config["intermediate_task"] == "none"


def test_pipeline_rejects_bad_arguments(tmp_path):
    result = pipeline("--targets", "xnli", "--output_dir", tmp_path)  # through the launcher: the planner's status
    assert result.returncode == 2 and "--intermediate is required" in result.stderr
    result = planner("run", "--intermediate", "mnli", "--targets", "xnli", "--output_dir", tmp_path, "--bogus", "1")
    assert result.returncode == 2 and "unknown argument '--bogus'" in result.stderr


def test_rerun_is_skipped_and_interrupted_run_resumes(tiny_model_dir, tiny_data_dir, tmp_path, caplog):
    out = tmp_path / "pawsx"
    argv = ["--task", "pawsx", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(tiny_data_dir),
            "--output_dir", str(out), "--languages", "de", "--keep_checkpoints", *FAST]
    run_target.main(argv)
    finished = json.loads((out / "metrics.json").read_text())
    stamp = (out / "metrics.json").stat().st_mtime_ns
    run_target.main(argv)  # finished: a no-op
    assert (out / "metrics.json").stat().st_mtime_ns == stamp
    # Simulate a run killed after its first checkpoint: no DONE, no results, only checkpoint-3 left.
    for name in ("DONE", "metrics.json"):
        (out / name).unlink()
    shutil.rmtree(out / "predictions")
    shutil.rmtree(out / "checkpoint-6")
    with caplog.at_level("INFO"):
        run_target.main(argv)
    assert "Resuming" in caplog.text and "checkpoint-3" in caplog.text
    state = json.loads((out / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["global_step"] == 6 and (out / "DONE").is_file()
    resumed = json.loads((out / "metrics.json").read_text())
    assert resumed["per_language"] == finished["per_language"]


def test_torchrun_two_processes_scores_every_example_once(tiny_model_dir, tmp_path):
    from conftest import nli_rows, write_jsonl
    data = tmp_path / "data"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(24, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(7, 2))
    for lang, seed in (("de", 3), ("fr", 4)):
        write_jsonl(data / "xnli" / f"test-{lang}.jsonl", nli_rows(11, seed, prefix=f"{lang}-"))  # odd: uneven shards
    common = ["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
              "--languages", "de,fr", "--per_device_eval_batch_size", "4", "--use_cpu", "--seed", "3"]
    torchrun = builders.torchrun("run_target.py")
    flags = ["--per_device_train_batch_size", "4", "--max_steps", "4", "--eval_strategy", "steps", "--eval_steps", "2"]
    trained = subprocess.run([*torchrun, *common, *flags, "--output_dir", str(tmp_path / "ddp_train")],
                             capture_output=True, text=True, env=ENV, timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    for lang in ("de", "fr"):
        ids = [r["id"] for r in read_jsonl(tmp_path / "ddp_train" / "predictions" / "xnli" / f"test-{lang}.jsonl")]
        assert sorted(ids) == sorted(f"{lang}-{i}" for i in range(11))  # every example exactly once
    # Evaluation only (same seed, same fresh head): two processes give exactly the single process's results.
    ddp = subprocess.run([*torchrun, *common, "--do_eval", "--output_dir", str(tmp_path / "ddp")],
                         capture_output=True, text=True, env=ENV, timeout=600)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    run_target.main([*common, "--do_eval", "--output_dir", str(tmp_path / "single")])
    for lang in ("de", "fr"):
        name = Path("predictions") / "xnli" / f"test-{lang}.jsonl"
        assert read_jsonl(tmp_path / "ddp" / name) == read_jsonl(tmp_path / "single" / name)
    load = lambda d: json.loads((tmp_path / d / "metrics.json").read_text())["per_language"]  # noqa: E731
    assert load("ddp") == load("single")


def test_pipeline_dry_run_checks_every_stage_for_the_launchers_processes(tiny_model_dir, tiny_data_dir, tmp_path):
    """--dry_run checks and lists the stages, runs nothing; the check splits the batch over the launcher's
    processes, and precision flags (checked on the GPU machine itself) do not fail it on a CPU login node."""
    args = ["--intermediate", "mnli", "--targets", "xnli,pawsx", "--model_name_or_path", tiny_model_dir,
            "--output_dir", tmp_path / "runs", "--data_dir", tiny_data_dir, "--languages", "de", "--dry_run"]
    result = planner("run", *args, "--", "--bf16")  # a dry run is the planner's alone (test_sweep.planner)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "preflight: 3 stage(s) checked" in result.stdout and "[pipeline] target pawsx (to run)" in result.stdout
    assert not (tmp_path / "runs").exists()
    result = planner("run", *args, "--launcher", "torchrun --nproc_per_node 3")
    assert result.returncode == 2 and "cannot be split evenly over 3 processes" in result.stderr


def test_every_stage_records_its_variant_seed_and_base_model(tiny_model_dir, tiny_data_dir, tmp_path):
    """What the report needs is in each run's run_config.json, not only in its folder's name (a retrieval target
    included, which the planner starts with run_retrieval.py because the registry says its kind does not train)."""
    data = tmp_path / "with_tatoeba"
    shutil.copytree(tiny_data_dir, data)
    (data / "tatoeba").mkdir()
    (data / "tatoeba" / "test-de.jsonl").write_text(
        "".join(json.dumps({"source": f"Satz {i}", "target": f"sentence {i}"}) + "\n" for i in range(4)))
    runs = tmp_path / "runs"
    result = pipeline("--intermediate", "none", "--name", "plain", "--targets", "xnli,tatoeba", "--seed", "3",
                      "--model_name_or_path", tiny_model_dir, "--output_dir", runs, "--data_dir", data,
                      "--languages", "de", "--", *FAST[:FAST.index("--seed")])  # FAST's own seed would win
    assert result.returncode == 0, result.stderr[-3000:]
    for target in ("xnli", "tatoeba"):
        config = json.loads((runs / "plain" / target / "run_config.json").read_text())
        assert (config["arguments"]["variant"], config["seed"], config["base_model"]) == ("plain", 3, str(tiny_model_dir))


def corpora(tmp_path):
    """English and German text for language adapters (one sentence per line)."""
    import random
    paths = {}
    for lang, seed in (("en", 6), ("de", 7)):
        rng = random.Random(seed)
        paths[lang] = tmp_path / f"{lang}.txt"
        paths[lang].write_text("\n".join(builders.make_sentence(rng) for _ in range(40)) + "\n")
    return paths


def test_language_corpora_plan_adapter_stages_that_the_preflight_knows_are_planned(tiny_model_dir, tiny_data_dir,
                                                                                  tmp_path):
    """--language_corpora: one MLM LoRA stage per language before the targets, whose adapters the pre-flight takes as
    planned (not missing); a missing text file or a malformed list is one line, and nothing runs."""
    text = corpora(tmp_path)
    args = ["--intermediate", "none", "--name", "madx", "--targets", "xnli", "--model_name_or_path", tiny_model_dir,
            "--output_dir", tmp_path / "runs", "--data_dir", tiny_data_dir, "--languages", "de,fr", "--dry_run",
            "--language_adapter_flags", "--max_steps 4"]
    result = planner("run", *args, "--language_corpora", f"en={text['en']},de={text['de']}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "preflight: 3 stage(s) checked" in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("[pipeline] ")]
    assert [line.split(" (")[0] for line in lines] == ["[pipeline] language adapter en", "[pipeline] language adapter de",
                                                       "[pipeline] target xnli"]
    words = shlex.split(lines[-1].split(": ", 1)[1])
    assert words[words.index("--language_adapters") + 1] == str(tmp_path / "runs" / "madx" / "lang" / "{lang}")
    assert not (tmp_path / "runs").exists()
    result = planner("run", *args, "--language_corpora", f"en={text['en']},de={tmp_path / 'missing.txt'}")
    assert result.returncode == 2 and "run_intermediate.py --task mlm (--output_dir " in result.stderr
    assert f"{tmp_path / 'missing.txt'} is not a file or directory" in result.stderr
    result = planner("run", *args, "--language_corpora", f"en={text['en']},de")
    assert result.returncode == 2 and "--language_corpora: expected LANG=FILE" in result.stderr


@pytest.mark.slow
def test_pipeline_trains_language_adapters_then_composes_them(tiny_model_dir, tiny_data_dir, tmp_path):
    """run_pipeline.sh --language_corpora on the tiny model: English and German adapters, then XNLI with a LoRA task
    adapter evaluated on German with its own adapter and on French with the closest's."""
    text, runs = corpora(tmp_path), tmp_path / "runs"
    result = pipeline("--intermediate", "none", "--name", "madx", "--targets", "xnli", "--model_name_or_path",
                      tiny_model_dir, "--output_dir", runs, "--data_dir", tiny_data_dir, "--languages", "de,fr",
                      "--language_corpora", f"en={text['en']},de={text['de']}",
                      "--language_adapter_flags", "--max_steps 4 --eval_strategy no", "--", *FAST)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    for lang in ("en", "de"):
        assert (runs / "madx" / "lang" / lang / "DONE").is_file()
    chosen = json.loads((runs / "madx" / "xnli" / "run_config.json").read_text())["language_adapters"]
    assert chosen["de"]["adapter"] == "de" and chosen["de"]["distance"] == 0
    assert chosen["fr"]["adapter"] in ("en", "de") and chosen["fr"]["distance"] > 0
