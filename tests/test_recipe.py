"""Each task's recipe (the paper's protocol, jiant's XTREME benchmark) is the default of every training script,
any flag the user passes wins, the effective batch is kept on any number of processes, and run_config.json says
what was applied."""
import json

import pytest
from conftest import nli_rows, write_jsonl

import run_target
from tasks import TASKS, get_task
from utils.args import XTrainingArguments, recipe_arguments
from utils.trainer import selection_callbacks


def flags(argv):
    return {argv[i][2:]: argv[i + 1] for i in range(0, len(argv), 2)}


def test_registry_recipes_are_jiants_xtreme_settings():
    epochs = {name: TASKS[name].recipe.epochs for name in ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa")}
    assert epochs == {"xnli": 2, "pawsx": 5, "udpos": 10, "panx": 10, "xquad": 2, "mlqa": 2, "tydiqa": 2}
    assert {TASKS[n].recipe.batch_size for n in ("xquad", "mlqa", "tydiqa", "squad")} == {16}
    assert {TASKS[n].recipe.batch_size for n in ("xnli", "pawsx", "udpos", "panx", "mnli")} == {32}
    for spec in (s for s in TASKS.values() if "xtreme" in s.benchmarks or s.paper_intermediate):  # the paper's
        assert (spec.recipe.learning_rate, spec.recipe.eval_steps, spec.recipe.selection_examples,
                spec.recipe.patience) == (1e-5, 1000, 500, 30)
    assert get_task("xquad").selection_metric == "avg" and get_task("xnli").selection_metric == "accuracy"


@pytest.mark.parametrize("task, world, given, device, accumulation", [
    ("xnli", 1, [], 8, 4), ("xnli", 8, [], 4, 1), ("xquad", 1, [], 8, 2), ("xquad", 8, [], 2, 1),
    ("xnli", 1, ["--per_device_train_batch_size", "16"], None, 2),
    ("xnli", 2, ["--gradient_accumulation_steps", "2"], 8, None),
    ("xnli", 1, ["--effective_batch_size", "64"], 8, 8),
])
def test_the_effective_batch_is_kept_on_any_number_of_processes(task, world, given, device, accumulation):
    argv, record = recipe_arguments(get_task(task).recipe, ["--task", task, *given], world_size=world)
    applied = flags(argv[2 + len(given):])
    assert applied.get("per_device_train_batch_size") == (str(device) if device else None)
    assert applied.get("gradient_accumulation_steps") == (str(accumulation) if accumulation else None)
    assert record["effective_batch_size"] == (64 if "--effective_batch_size" in given else get_task(task).recipe.batch_size)
    assert record["processes"] == world


def test_user_flags_win_and_a_batch_that_does_not_divide_is_an_error():
    argv, record = recipe_arguments(get_task("pawsx").recipe, ["--num_train_epochs", "1", "--eval_strategy", "epoch"])
    applied = flags(argv[4:])
    assert "num_train_epochs" not in applied and "eval_steps" not in applied and "eval_strategy" not in applied
    assert record["from_flags"] == {"num_train_epochs": "1", "eval_strategy": "epoch"}
    assert record["applied"]["learning_rate"] == 1e-5 and record["defaults"]["epochs"] == 5
    with pytest.raises(ValueError, match="--per_device_train_batch_size 5 on 1 process.* cannot make the effective "
                                         "batch 16"):
        recipe_arguments(get_task("xquad").recipe, ["--per_device_train_batch_size", "5"], world_size=1)
    config = {"task": "xnli", "num_train_epochs": 1}  # a .json config file is completed the same way
    completed, _ = recipe_arguments(get_task("xnli").recipe, config)
    assert completed["num_train_epochs"] == 1 and completed["gradient_accumulation_steps"] == 4


def test_selection_callbacks_stop_early(tmp_path):
    args = XTrainingArguments(output_dir=str(tmp_path), eval_strategy="steps", eval_steps=10,
                              early_stopping_patience=30, use_cpu=True)
    assert [c.early_stopping_patience for c in selection_callbacks(args)] == [30]
    assert args.restore_callback_states_from_checkpoint  # a resumed run keeps its count
    args.early_stopping_patience = 0
    assert selection_callbacks(args) == []


def test_an_abbreviated_flag_is_an_error_not_a_silent_default():
    from utils.args import DataArguments, ModelArguments, parse_args
    with pytest.raises(ValueError, match="--learning_rat"):
        parse_args(ModelArguments, DataArguments, XTrainingArguments, argv=["--learning_rat", "2e-5", "--use_cpu"])


def test_processes_that_cannot_share_the_batch_are_named():
    with pytest.raises(ValueError, match="effective batch 32 .* cannot be split evenly over 3 processes"):
        recipe_arguments(get_task("xnli").recipe, ["--task", "xnli"], world_size=3)


def test_a_target_run_with_no_training_flags_follows_its_recipe(tiny_model_dir, tmp_path):
    """XNLI on 40 English examples with the recipe: batch 32 = 8 x 4 accumulation, 2 epochs = 4 steps; the dev
    set is evaluated at the end (a run shorter than the 1,000-step cadence still selects its checkpoint)."""
    data = tmp_path / "data"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(40, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(600, 2))
    write_jsonl(data / "xnli" / "test-de.jsonl", nli_rows(6, 3))
    out = tmp_path / "xnli"
    run_target.main(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
                     "--output_dir", str(out), "--languages", "de", "--use_cpu", "--keep_checkpoints",
                     "--dataloader_num_workers", "0"])
    recipe = json.loads((out / "run_config.json").read_text())["recipe"]
    assert recipe["applied"] == {"num_train_epochs": 2, "learning_rate": 1e-5, "per_device_train_batch_size": 8,
                                 "gradient_accumulation_steps": 4, "eval_strategy": "steps", "eval_steps": 1000,
                                 "selection_examples": 500, "early_stopping_patience": 30}
    assert recipe["effective_batch_size"] == 32 and recipe["from_flags"] == {}
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4 and state["train_batch_size"] == 8
    evaluations = [entry for entry in state["log_history"] if "eval_accuracy" in entry]
    assert [entry["step"] for entry in evaluations] == [4]
    assert state["best_model_checkpoint"].endswith("checkpoint-4")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["selection"] == {"metric": "accuracy", "best": evaluations[0]["eval_accuracy"],
                                    "dev_examples": 500, "checkpoint": "checkpoint-4"}
    # the user's cadence wins: one evaluation per epoch, none twice
    run_target.main(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
                     "--output_dir", str(tmp_path / "epochs"), "--languages", "de", "--use_cpu", "--keep_checkpoints",
                     "--dataloader_num_workers", "0", "--eval_strategy", "epoch"])
    state = json.loads((tmp_path / "epochs" / "checkpoint-4" / "trainer_state.json").read_text())
    assert [entry["step"] for entry in state["log_history"] if "eval_accuracy" in entry] == [2, 4]


def test_selection_examples_within_max_eval_samples():
    from engine.plan import selection_limit
    from utils.args import DataArguments
    assert selection_limit(DataArguments(selection_examples=500)) == 500
    assert selection_limit(DataArguments(selection_examples=500, max_eval_samples=100)) == 100
    assert selection_limit(DataArguments(selection_examples=0)) is None
