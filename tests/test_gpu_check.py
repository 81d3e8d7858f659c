"""scripts/gpu_check.py --cpu end to end: every kind's cell through its entry point, multi-task, Tatoeba, BUCC mining
and the training benchmark on the tiny model, one JSON summary; and the plan covers every kind of the registry."""
import json
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from tasks import TASKS
from tasks.kinds import kind_of

sys.path.insert(0, str(ROOT / "scripts"))
import gpu_check  # noqa: E402

TRAINING_CELLS = ("classification", "multiple_choice", "span_qa", "tagging", "classification_lora", "tagging_lora",
                  "dual_encoder", "multitask")


def test_the_plan_has_a_cell_of_every_kind(tmp_path):
    plan = gpu_check.cells(tmp_path / "model", tmp_path / "data", tmp_path / "runs", steps=2, batch=4, cpu=True)
    kinds = {spec.kind for spec in TASKS.values()}
    assert kinds <= set(plan) | {"bitext_search", "bitext_mining"}, kinds - set(plan)  # cells retrieval, mining
    tasks = {argv[argv.index("--task") + 1] for _, argv in plan.values() if "--task" in argv}
    assert {TASKS[name].kind for name in tasks} == kinds  # each kind through a task of that kind
    assert {TASKS[name].kind for name in tasks if kind_of(TASKS[name]).script == "run_retrieval.py"} == \
        {"bitext_search", "bitext_mining"}
    assert all("--pad_to_max_length" in argv for name, (_, argv) in plan.items() if name in TRAINING_CELLS)


def test_cpu_run_end_to_end(tiny_model_dir, tmp_path):
    out = tmp_path / "summary.json"
    status = gpu_check.main(["--cpu", "--steps", "1", "--tokenizer", str(tiny_model_dir), "--workdir",
                             str(tmp_path / "work"), "--out", str(out)])
    summary = json.loads(out.read_text())
    failed = {name: cell["status"] for name, cell in summary["cells"].items() if cell["status"] != "ok"}
    assert status == 0 and not failed, failed
    assert list(summary["cells"]) == [*gpu_check.cells(*(tmp_path,) * 3, 1, 4, True), "benchmark"]
    assert summary["device"] == "cpu" and summary["model"]["num_hidden_layers"] == 2
    for name in TRAINING_CELLS:
        cell = summary["cells"][name]
        assert cell["samples_per_s"] > 0 and cell["train_tokens_per_s"] > 0 and cell["seconds"] > 0, name
        assert cell["peak_gpu_memory_gib"] is None  # measured on a GPU only
    for name in ("retrieval", "mining"):
        assert summary["cells"][name]["samples_per_s"] > 0
    for task in ("xnli", "panx"):  # the LoRA cells: the same runs with --peft lora, far fewer parameters trained
        full, lora = (json.loads((tmp_path / "work" / "runs" / folder / "run_config.json").read_text())["peft"]
                      for folder in (task, f"{task}_lora"))
        assert (full["method"], lora["method"]) == ("full", "lora"), task
        assert 0 < lora["trainable_parameters"] < full["trainable_parameters"], task
    rows = summary["cells"]["benchmark"]["rows"]
    assert set(rows) == {"pairs", "qa", "tagging", "pairs/lora", "qa/lora", "tagging/lora"}
    assert all(row["samples_per_s"] > 0 and row["mfu"] is None for row in rows.values())  # no peak on a CPU
    assert all(rows[f"{shape}/lora"]["trainable_parameters"] < rows[shape]["trainable_parameters"]
               for shape in ("pairs", "qa", "tagging"))
    assert summary["seconds"] >= sum(cell["seconds"] for cell in summary["cells"].values()) * 0.99


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without a GPU")
def test_without_a_gpu_the_shell_command_asks_for_cpu(tmp_path):
    result = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh"), "--out", str(tmp_path / "s.json")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "pass --cpu" in result.stderr
    assert not (tmp_path / "s.json").exists()
