"""Parameter-efficient training (--peft lora, utils/peft_setup.py): LoRA on the encoder of every kind and of the
encoder matrix's architectures, the task heads fully trained; the grid with adapters (an intermediate run saves its
adapter in peft's format, a target run merges it into the base and trains its own LoRA or the whole encoder); a
killed LoRA run resumes; bad input is one line before the model loads."""
import json
import shutil

import pytest
import torch
from builders import german_xnli, interrupt
from conftest import FAST
from encoders import build_encoder
from safetensors import safe_open
from test_grid import STEPS, grid_data, run_cell  # noqa: F401 (a fixture)

import run_intermediate
import run_target
from utils import peft_setup
from utils.args import InputError

LORA = ["--peft", "lora", "--lora_r", "4", "--lora_alpha", "8", "--lora_dropout", "0"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def config_of(out):
    return json.loads((out / "run_config.json").read_text())


def adapter_keys(folder):
    with safe_open(str(folder / "adapter_model.safetensors"), "pt") as weights:
        return list(weights.keys())


@pytest.fixture(scope="module")
def lora_intermediate(grid_data, tiny_model_dir, tmp_path_factory):
    """An MNLI intermediate run with --peft lora on the tiny model; its output folder."""
    out = tmp_path_factory.mktemp("lora") / "mnli"
    run_intermediate.main(["--task", "mnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir",
                           str(grid_data), "--output_dir", str(out), *LORA, *STEPS])
    return out


def test_an_intermediate_lora_run_saves_its_adapter_in_peft_format(lora_intermediate, tiny_model_dir):
    encoder = lora_intermediate / "encoder"
    assert (encoder / "adapter_model.safetensors").is_file() and not (encoder / "model.safetensors").exists()
    adapter = json.loads((encoder / "adapter_config.json").read_text())
    assert adapter["peft_type"] == "LORA" and adapter["r"] == 4
    assert adapter["base_model_name_or_path"] == str(tiny_model_dir.resolve())
    keys = adapter_keys(encoder)
    assert keys and all(".lora_A." in key or ".lora_B." in key for key in keys)  # the encoder's only, no head
    assert all(key.startswith("base_model.model.encoder.layer.") for key in keys)
    record = config_of(lora_intermediate)["peft"]
    assert record["method"] == "lora" and 0 < record["trainable_parameters"] < record["total_parameters"]
    lora_bytes = sum(torch.Size(safe_open(str(encoder / "adapter_model.safetensors"), "pt").get_slice(k).get_shape())
                     .numel() * 4 for k in keys)
    assert record["adapter_bytes"] == lora_bytes
    assert config_of(lora_intermediate)["arguments"]["peft"] == "lora"
    cost = config_of(lora_intermediate)["cost"]  # frozen weights skip their gradients: 4 N + 2 T per training token
    n, trained = cost["parameters_non_embedding"], cost["parameters_trained_non_embedding"]
    assert trained == record["trainable_parameters"] < n
    assert cost["flops"] == (4 * n + 2 * trained) * cost["train_tokens"] + 2 * n * cost["eval_tokens"]


@pytest.mark.parametrize("choice", ["lora", "full"])
def test_a_target_run_merges_the_intermediate_adapter(choice, lora_intermediate, tiny_model_dir, grid_data, tmp_path):
    """The target loads the base, merges the adapter (its encoder is the base plus the adapter's update), then
    trains its own LoRA or the whole encoder, as recorded."""
    out = tmp_path / "xnli"
    extra = LORA if choice == "lora" else []
    run_target.main(["--task", "xnli", "--model_name_or_path", str(lora_intermediate / "encoder"), "--data_dir",
                     str(grid_data), "--output_dir", str(out), "--languages", "de", *extra, *STEPS])
    config = config_of(out)
    record = config["peft"]
    assert record["method"] == choice
    assert record["merged_adapter"]["base_model"] == str(tiny_model_dir.resolve())
    if choice == "full":
        assert record["trainable_parameters"] == record["total_parameters"]
    else:
        assert record["trainable_parameters"] < record["total_parameters"] / 2
    assert config["base_model"] == str(tiny_model_dir) and config["intermediate_task"] == "mnli"


def test_the_merged_encoder_is_the_base_plus_the_adapter(lora_intermediate, tiny_model_dir):
    """load_with_new_head on the adapter folder: the base's weights where LoRA was not, changed where it was."""
    from types import SimpleNamespace
    from transformers import AutoModel, AutoModelForSequenceClassification
    from utils.modeling import load_with_new_head
    args = SimpleNamespace(model_name_or_path=str(lora_intermediate / "encoder"), cache_dir=None,
                           trust_remote_code=False)
    merged = load_with_new_head(AutoModelForSequenceClassification, args, num_labels=3).base_model.state_dict()
    base = AutoModel.from_pretrained(tiny_model_dir).state_dict()
    adapted = {key.removeprefix("base_model.model.").split(".lora_")[0] + ".weight"
               for key in adapter_keys(lora_intermediate / "encoder")}
    assert adapted and all(not torch.equal(merged[key], base[key]) for key in adapted)
    assert all(torch.equal(merged[key], base[key]) for key in merged if key in base and key not in adapted)


@pytest.mark.parametrize("target", ["xquad", "panx", "xcopa", "lareqa", "tatoeba"])
def test_every_target_kind_from_an_adapter_folder(target, lora_intermediate, grid_data, tmp_path):
    """Span QA, tagging, multiple choice and dual encoders train their own LoRA on the merged encoder, their heads
    fully trained; retrieval evaluates the merged encoder."""
    out = tmp_path / target
    if target == "tatoeba":
        run_cell(target, lora_intermediate / "encoder", grid_data, out)
        return
    run_target.main(["--task", target, "--model_name_or_path", str(lora_intermediate / "encoder"), "--data_dir",
                     str(grid_data), "--output_dir", str(out), "--languages", {"xcopa": "et"}.get(target, "de"),
                     *LORA, *STEPS])
    record = config_of(out)["peft"]
    assert record["method"] == "lora" and record["trainable_parameters"] < record["total_parameters"] / 2
    assert "merged_adapter" in record


def test_multitask_and_mlm_runs_share_one_lora_encoder(grid_data, tiny_model_dir, tmp_path):
    """MNLI, SQuAD and MLM on one encoder with LoRA: one adapter saved; the heads (the MLM head's dense and norm,
    not its decoder tied to the frozen embeddings) trained."""
    out = tmp_path / "multitask"
    run_intermediate.main(["--tasks", "mnli,squad", "--mlm_corpus", str(grid_data.parent / "corpus.txt"),
                           "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(grid_data),
                           "--output_dir", str(out), *LORA, *STEPS])
    keys = adapter_keys(out / "encoder")
    assert keys and all(key.startswith("base_model.model.encoder.layer.") for key in keys)
    record = config_of(out)["peft"]
    from transformers import AutoConfig
    hidden, vocab = (lambda c: (c.hidden_size, c.vocab_size))(AutoConfig.from_pretrained(tiny_model_dir))
    heads = record["trainable_parameters"] - record["adapter_bytes"] // 4  # the heads' trained parameters
    assert record["method"] == "lora" and 0 < heads < hidden * vocab  # no trainable copy of the tied decoder


def test_a_killed_lora_run_resumes(tiny_model_dir, grid_data, tmp_path):
    """A LoRA target run killed after its first checkpoint resumes from it to the same scores."""
    out = tmp_path / "xnli"
    argv = ["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(grid_data),
            "--output_dir", str(out), "--languages", "de", "--keep_checkpoints", *LORA, *FAST]
    finished = run_target.main(argv)
    interrupt(out, "checkpoint-6")
    resumed = run_target.main(argv)
    assert resumed["per_language"] == finished["per_language"]
    assert json.loads((out / "checkpoint-6" / "trainer_state.json").read_text())["global_step"] == 6


# ---- the encoder matrix: default target modules and a LoRA run per architecture ----
PROJECTIONS = {  # the attention and feed-forward projections each architecture's layers have, by name
    "bert": {"query", "key", "value", "dense"},
    "xlm-roberta": {"query", "key", "value", "dense"},
    "deberta-v2": {"query_proj", "key_proj", "value_proj", "dense"},
    "modernbert": {"Wqkv", "Wo", "Wi"},
    "electra": {"query", "key", "value", "dense"},
    "distilbert": {"q_lin", "k_lin", "v_lin", "out_lin", "lin1", "lin2"},
    "rembert": {"query", "key", "value", "dense"},
    "eurobert": {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
}


@pytest.mark.parametrize("arch", PROJECTIONS)
def test_lora_on_every_architecture(arch, grid_data, tmp_path):
    """The default target modules are the layers' projections; an intermediate LoRA run trains them (every lora_B,
    zero at the start, has moved) and nothing else of the encoder."""
    base = build_encoder(arch, tmp_path / "base")
    from transformers import AutoModel
    assert set(peft_setup.target_names(AutoModel.from_pretrained(base))) == PROJECTIONS[arch]
    out = tmp_path / "mnli"
    run_intermediate.main(["--task", "mnli", "--model_name_or_path", str(base), "--data_dir", str(grid_data),
                           "--output_dir", str(out), *LORA, *STEPS])
    folder = out / "encoder"
    layers = AutoModel.from_pretrained(base).config.num_hidden_layers
    modules = {key.split(".lora_")[0] for key in adapter_keys(folder)}
    assert len(modules) == layers * sum(1 for name in peft_setup.layer_linears(AutoModel.from_pretrained(base)))
    with safe_open(str(folder / "adapter_model.safetensors"), "pt") as weights:
        assert all(weights.get_tensor(key).abs().sum() > 0 for key in weights.keys() if ".lora_B." in key)
    assert config_of(out)["peft"]["trainable_parameters"] < config_of(out)["peft"]["total_parameters"] / 2


# ---- bad input: one line each, before the model loads ----
def bad(argv, tmp_path, script=run_target):
    out = tmp_path / "bad"
    with pytest.raises(InputError) as error:
        script.main([*argv, "--output_dir", str(out)])
    assert not out.exists()  # nothing written, no model loaded
    return str(error.value)


def target_argv(model, grid_data):
    return ["--task", "xnli", "--model_name_or_path", str(model), "--data_dir", str(grid_data), "--languages", "de",
            *STEPS]


def test_an_unknown_method_is_named(tiny_model_dir, grid_data, tmp_path):
    assert bad([*target_argv(tiny_model_dir, grid_data), "--peft", "adapters"], tmp_path) == (
        "--peft adapters: unknown method; expected lora (or leave it out: full fine-tuning)")


def test_rank_zero_is_refused(tiny_model_dir, grid_data, tmp_path):
    assert bad([*target_argv(tiny_model_dir, grid_data), "--peft", "lora", "--lora_r", "0"], tmp_path) == (
        "--lora_r 0: the rank must be a positive integer (e.g. 8)")


def test_target_modules_the_encoder_lacks_are_named_with_those_it_has(tiny_model_dir, grid_data, tmp_path):
    message = bad([*target_argv(tiny_model_dir, grid_data), "--peft", "lora", "--lora_target_modules",
                   "query,q_proj"], tmp_path)
    assert message == ("--lora_target_modules q_proj: the xlm-roberta encoder's layers have no linear module "
                       "'q_proj'; they have: attention.self.query, attention.self.key, attention.self.value, "
                       "attention.output.dense, intermediate.dense, output.dense")


def test_an_adapter_trained_on_another_base_model_is_refused(lora_intermediate, grid_data, tmp_path):
    """The adapter folder's base was replaced by another model (another width): refused, naming the difference;
    a base that is gone is named too."""
    folder = tmp_path / "encoder"
    shutil.copytree(lora_intermediate / "encoder", folder)
    other = build_encoder("xlm-roberta", tmp_path / "other")
    config = json.loads((other / "config.json").read_text())
    config["hidden_size"] = 64
    (other / "config.json").write_text(json.dumps(config))
    adapter = json.loads((folder / "adapter_config.json").read_text())
    (folder / "adapter_config.json").write_text(json.dumps({**adapter, "base_model_name_or_path": str(other)}))
    message = bad(target_argv(folder, grid_data), tmp_path)
    assert message.startswith(f"--model_name_or_path {folder}: its adapter was trained on another base model than "
                              f"{other} holds now (hidden_size 32 vs 64")
    gone = {**adapter, "base_model_name_or_path": str(tmp_path / "gone")}
    (folder / "adapter_config.json").write_text(json.dumps(gone))
    assert bad(target_argv(folder, grid_data), tmp_path).startswith(
        f"--model_name_or_path {folder}: its adapter's base model {tmp_path / 'gone'} is missing")


def test_the_training_benchmark_measures_lora_beside_full_fine_tuning(tmp_path):
    import sys
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_training
    out = tmp_path / "bench.json"
    bench_training.run(bench_training.parse(["--config", "tiny", "--shapes", "pairs", "--configs", "xstilts",
                                             "--methods", "full,lora", "--steps", "1", "--warmup_steps", "0",
                                             "--batch_size", "2", "--grad_accum", "1", "--peak_tflops", "0.5",
                                             "--out", str(out)]))
    full, lora = json.loads(out.read_text())["rows"]
    assert (full["method"], lora["method"]) == ("full", "lora")
    assert 0 < lora["trainable_parameters"] < full["trainable_parameters"] / 2
    assert full["peak_memory_mb"] > 0 and lora["peak_memory_mb"] > 0
    n = full["non_embedding_parameters"]  # LoRA's FLOPs: 4 N + 2 x its trained parameters; full: 6 N
    assert full["mfu"] == pytest.approx(6 * n * full["tokens"] / full["seconds"] / 0.5e12)
    assert lora["mfu"] == pytest.approx((4 * lora["non_embedding_parameters"] + 2 * lora["trainable_parameters"])
                                        * lora["tokens"] / lora["seconds"] / 0.5e12)


def test_the_cost_estimate_takes_a_lora_stage_from_lora_rows(tmp_path, grid_data):
    """pipeline/cost.py: a stage with --peft lora is estimated from the benchmark's LoRA rows, a full one from the
    full rows; without LoRA rows a LoRA stage is not estimated (said so)."""
    from pipeline import cost
    from pipeline.stages import Stage
    rows = [{"shape": "pairs", "samples_per_s": 100.0, "method": "full"},
            {"shape": "pairs", "samples_per_s": 400.0, "method": "lora"}]
    measured = tmp_path / "bench.json"
    measured.write_text(json.dumps({"device": "NVIDIA H100", "model": "xlm-roberta-large", "rows": rows}))
    argv = ["--task", "mnli", "--data_dir", str(grid_data), "--output_dir", str(tmp_path / "mnli"),
            "--num_train_epochs", "1", "--eval_strategy", "no"]
    stages = [Stage("intermediate mnli", "run_intermediate.py", argv),
              Stage("intermediate mnli", "run_intermediate.py", [*argv, "--peft", "lora"])]
    (full, lora), _, _ = cost.estimate(stages, cost.from_files([measured]))
    # 24 training examples, one epoch; the 6 dev examples evaluated once at 3 x the training rate
    assert full["hours"] == pytest.approx((24 / 100 + 6 / 300) / 3600)
    assert lora["hours"] == pytest.approx((24 / 400 + 6 / 1200) / 3600)
    measured.write_text(json.dumps({"device": "NVIDIA H100", "model": "xlm-roberta-large", "rows": rows[:1]}))
    (_, lora), _, _ = cost.estimate(stages, cost.from_files([measured]))
    assert lora["hours"] is None and lora["note"] == ("not estimated: no throughput for xlm-roberta-large, "
                                                      "classification (shape pairs, lora)")


def test_a_lora_option_without_peft_is_named(tiny_model_dir, grid_data, tmp_path):
    assert bad([*target_argv(tiny_model_dir, grid_data), "--lora_r", "4"], tmp_path) == (
        "--lora_r 4: a LoRA option without --peft lora (add --peft lora, or leave it out)")


@pytest.mark.slow
def test_real_model_learns_german_xnli_with_lora(real_model_dir, shared_data, tmp_path):
    """Real model, real data: LoRA alone (rank 8, the encoder frozen) lifts German XNLI clearly above chance."""
    import time
    data = german_xnli(shared_data, tmp_path / "data")
    started = time.time()
    run_target.main(["--task", "xnli", "--model_name_or_path", str(real_model_dir), "--data_dir", str(data),
                     "--train_languages", "de", "--languages", "de", "--output_dir", str(tmp_path / "run"),
                     "--peft", "lora", "--max_steps", "150", "--per_device_train_batch_size", "16",
                     "--learning_rate", "1e-3", "--eval_strategy", "steps", "--eval_steps", "75",
                     "--per_device_eval_batch_size", "64", "--max_eval_samples", "1500", "--use_cpu", "--seed", "1"])
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    record = config_of(tmp_path / "run")["peft"]
    accuracy = metrics["per_language"]["de"]["test"]["accuracy"]
    print(f"German XNLI test accuracy with LoRA {accuracy:.1f} (chance 33.3) after 150 steps in "
          f"{time.time() - started:.0f} s; trainable {record['trainable_parameters']:,} of "
          f"{record['total_parameters']:,}")
    assert record["trainable_parameters"] < record["total_parameters"] / 50
    assert accuracy > 45.0  # three balanced classes: chance is 33.3
