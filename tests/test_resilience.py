"""Runs that never lose work: kill -9 mid-training and resume, partial checkpoints, two writers on one run."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from utils.results import last_complete_checkpoint, run_lock

ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}


def test_kill_9_mid_training_then_resume(tiny_model_dir, tiny_data_dir, tmp_path):
    out = tmp_path / "pawsx"
    command = [sys.executable, str(ROOT / "run_target.py"), "--task", "pawsx", "--model_name_or_path",
               str(tiny_model_dir), "--data_dir", str(tiny_data_dir), "--output_dir", str(out), "--languages", "de",
               "--per_device_train_batch_size", "4", "--max_steps", "400", "--eval_strategy", "steps",
               "--eval_steps", "4", "--learning_rate", "1e-3", "--use_cpu", "--seed", "1"]
    log = open(tmp_path / "first.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=ENV)
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None and not list(out.glob("checkpoint-*/trainer_state.json")):
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed mid-training"
    process.send_signal(signal.SIGKILL)  # kill -9: no handler, no cleanup
    process.wait()
    assert not (out / "DONE").exists() and not (out / "metrics.json").exists()
    killed_at = last_complete_checkpoint(out, remove_partial=False)
    assert killed_at is not None

    resumed = subprocess.run([*command[:command.index("--max_steps") + 1], "12", *command[command.index("--max_steps") + 2:]],
                             capture_output=True, text=True, env=ENV, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming the interrupted run from" in resumed.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert "accuracy" in metrics["per_language"]["de"]["test"] and (out / "DONE").is_file()


def test_partial_checkpoint_is_skipped(tmp_path):
    good, partial = tmp_path / "checkpoint-4", tmp_path / "checkpoint-8"
    good.mkdir(), partial.mkdir()
    (good / "trainer_state.json").write_text('{"global_step": 4}')
    (partial / "model.safetensors").write_bytes(b"half")  # killed while saving: no trainer_state.json
    assert last_complete_checkpoint(tmp_path) == str(good) and not partial.exists()


def test_two_writers_on_one_run_are_refused(tmp_path):
    with run_lock(tmp_path):
        held = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
                               "from utils.results import run_lock\nwith run_lock(sys.argv[2]): pass",
                               str(ROOT), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert held.returncode != 0 and "is locked by another running process" in held.stderr
    with run_lock(tmp_path):  # released: usable again
        pass
