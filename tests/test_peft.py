"""Parameter-efficient training (--peft lora, utils/peft_setup.py): LoRA on the encoder of every kind and of the
encoder matrix's architectures, the task heads fully trained; the grid with adapters (an intermediate run saves its
adapter in peft's format, a target run merges it into the base and trains its own LoRA or the whole encoder); a
killed LoRA run resumes; bad input is one line before the model loads."""
import json
import shutil

import pytest
import torch
from conftest import FAST
from encoders import build_encoder
from safetensors import safe_open
from test_grid import STEPS, grid_data, run_cell  # noqa: F401 (a fixture)

import run_intermediate
import run_target
from utils import peft_setup
from utils.args import InputError

LORA = ["--peft", "lora", "--lora_r", "4", "--lora_alpha", "8", "--lora_dropout", "0"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
