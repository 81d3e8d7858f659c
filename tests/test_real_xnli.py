"""Real model, real data: the real multilingual encoder learns German XNLI through run_target.py (slow)."""
import json
import time

import pytest

import run_target
from builders import german_xnli

pytestmark = pytest.mark.slow


def test_real_model_learns_german_xnli(real_model_dir, shared_data, tmp_path):
    """150 steps at the recipe's effective batch of 32 (16 x 2 accumulated): 4,800 sentence pairs, about two epochs
    of the 2,245 German training pairs; the checkpoint chosen on the dev set (250 pairs) at step 75 or 150; the test
    accuracy on the first 1,500 test pairs."""
    data = german_xnli(shared_data, tmp_path / "data")
    started = time.time()
    run_target.main(["--task", "xnli", "--model_name_or_path", str(real_model_dir), "--data_dir", str(data),
                     "--train_languages", "de", "--languages", "de", "--output_dir", str(tmp_path / "run"),
                     "--max_steps", "150", "--per_device_train_batch_size", "16", "--learning_rate", "5e-5",
                     "--eval_strategy", "steps", "--eval_steps", "75", "--per_device_eval_batch_size", "64",
                     "--max_eval_samples", "1500", "--freeze_embeddings", "--use_cpu", "--seed", "1"])
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    accuracy = metrics["per_language"]["de"]["test"]["accuracy"]
    print(f"German XNLI test accuracy {accuracy:.1f} (chance 33.3) after 150 steps in {time.time() - started:.0f} s")
    assert accuracy > 45.0  # three balanced classes: chance is 33.3
