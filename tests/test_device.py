"""Device defaults per device (utils/device.py), with the CUDA capabilities mocked: bf16 on an H100-like device,
fp16 on a V100-like one, nothing on CPU; the user's flags win; the off switches; the TrainingArguments they give;
the encoding precision of retrieval and its cache key."""
import json

import pytest
import torch
import transformers

from tasks import get_task
from utils import device
from utils.args import DataArguments, ModelArguments, XTrainingArguments, parse_args, recipe_arguments

H100 = {"name": "NVIDIA H100 80GB HBM3", "capability": (9, 0), "bf16": True}
V100 = {"name": "Tesla V100-SXM2-32GB", "capability": (7, 0), "bf16": False}
ALL_ON = {"bf16": True, "tf32": True, "attn_implementation": "sdpa", "optim": "adamw_torch_fused",
          "dataloader_pin_memory": True, "dataloader_num_workers": 4}


@pytest.fixture()
def gpu(monkeypatch):
    """gpu(H100) makes torch see that device (count GPUs, `cpus` CPUs); gpu(None): a machine without CUDA."""
    def mock(spec, count=1, cpus=16):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: spec is not None)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count if spec else 0)
        if spec:
            monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: spec["capability"])
            monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: spec["name"])
            monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: spec["bf16"])
        monkeypatch.setattr(device.os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
        monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    return mock


def test_h100_gets_bf16_tf32_sdpa_fused_adamw_pinned_memory_and_workers(gpu):
    gpu(H100)
    assert device.cuda_capabilities() == {"name": H100["name"], "bf16": True, "tf32": True, "count": 1}
    assert device.device_defaults({}) == ALL_ON


def test_v100_gets_fp16_with_loss_scaling_and_no_tf32(gpu):
    gpu(V100)
    defaults = device.device_defaults({})
    assert defaults["fp16"] is True and "bf16" not in defaults and "tf32" not in defaults
    assert {k: defaults[k] for k in ("attn_implementation", "optim")} == {"attn_implementation": "sdpa",
                                                                          "optim": "adamw_torch_fused"}


def test_cpu_gets_nothing_and_argv_is_unchanged(gpu):
    gpu(None)
    assert device.cuda_capabilities() is None and device.device_defaults({}) == {}
    argv = ["--task", "xnli", "--num_train_epochs", "1"]
    assert device.with_device_defaults(argv, {}) == (argv, {})
    full, record = recipe_arguments(get_task("xnli").recipe, argv, world_size=1)
    assert record["device_defaults"] == {} and not any(flag in full for flag in ("--bf16", "--fp16", "--tf32"))
    model_args, _, training_args = parse_args(ModelArguments, DataArguments, XTrainingArguments,
                                              argv=[*full[2:], "--output_dir", "x"])
    assert (training_args.bf16, training_args.fp16, training_args.tf32) == (False, False, None)
    assert training_args.dataloader_num_workers == 0 and model_args.attn_implementation is None


@pytest.mark.parametrize("given, absent", [
    ({"bf16": "false"}, ("bf16", "fp16")),          # fp32 on a bf16 device
    ({"fp16": True}, ("bf16", "fp16")),              # the user's fp16 wins over the default bf16
    ({"tf32": "false"}, ("tf32",)),
    ({"attn_implementation": "eager"}, ("attn_implementation",)),
    ({"optim": "adamw_torch"}, ("optim",)),
    ({"dataloader_pin_memory": "false"}, ("dataloader_pin_memory",)),
    ({"dataloader_num_workers": "0"}, ("dataloader_num_workers",))])
def test_every_default_has_an_off_switch_and_user_flags_win(gpu, given, absent):
    gpu(H100)
    defaults = device.device_defaults(given)
    assert not set(absent) & set(defaults)
    assert defaults == {k: v for k, v in ALL_ON.items() if k not in absent}


def test_use_cpu_on_a_gpu_machine_switches_nothing_on(gpu):
    gpu(H100)
    assert device.device_defaults({"use_cpu": True}) == device.device_defaults({"use_cpu": "true"}) == {}


@pytest.mark.parametrize("cpus, gpus, local_world, workers", [(16, 1, None, 4), (16, 8, "8", 1), (2, 1, None, 1),
                                                              (1, 1, None, 0), (64, 8, None, 4)])
def test_dataloader_workers_are_min_4_and_the_cpus_per_process_less_one(gpu, monkeypatch, cpus, gpus, local_world,
                                                                        workers):
    gpu(H100, count=gpus, cpus=cpus)
    if local_world:
        monkeypatch.setenv("LOCAL_WORLD_SIZE", local_world)
    assert device.dataloader_workers(gpus) == workers


def test_resulting_training_arguments_and_the_logged_line(gpu, monkeypatch, tmp_path):
    """The recipe's argv with the H100 defaults parses into TrainingArguments with them (the Trainer's own checks of
    bf16 and TF32 support and its device set-up answer as on that GPU); settings and summary describe them."""
    gpu(H100)
    tf32 = []
    monkeypatch.setattr(transformers.training_args, "is_torch_tf32_available", lambda: True)
    monkeypatch.setattr(transformers.training_args, "enable_tf32", tf32.append)
    monkeypatch.setattr(transformers.TrainingArguments, "_setup_devices", property(lambda self: torch.device("cuda")))
    monkeypatch.setattr(device, "tf32_enabled", lambda: tf32 == [True])
    argv = ["--task", "xnli", "--output_dir", str(tmp_path)]
    full, record = recipe_arguments(get_task("xnli").recipe, argv, world_size=1)
    assert record["device_defaults"] == ALL_ON
    model_args, _, training_args = parse_args(ModelArguments, DataArguments, XTrainingArguments, argv=full)
    assert training_args.bf16 and not training_args.fp16 and training_args.mixed_precision == "bf16"
    assert training_args.tf32 is True and tf32 == [True]
    assert training_args.optim == "adamw_torch_fused" and training_args.dataloader_pin_memory
    assert training_args.dataloader_num_workers == 4 and model_args.attn_implementation == "sdpa"
    settings = device.settings(training_args, model_args)
    assert settings == {"device": H100["name"], "precision": "bf16", "tf32": True, "attn_implementation": "sdpa",
                        "optim": "adamw_torch_fused", "dataloader_pin_memory": True, "dataloader_num_workers": 4}
    assert device.summary(settings) == ("device: NVIDIA H100 80GB HBM3; bf16, TF32 matmuls, SDPA attention, fused "
                                        "AdamW, pinned memory, 4 dataloader workers")
    # a user's flags win in a config file too
    config, record = recipe_arguments(get_task("xnli").recipe, {"task": "xnli", "bf16": False, "tf32": False})
    assert config["bf16"] is False and config["tf32"] is False and "fp16" not in config
    assert "bf16" not in record["device_defaults"] and record["device_defaults"]["optim"] == "adamw_torch_fused"


def test_cpu_run_records_its_settings_in_run_config(tiny_model_dir, tiny_data_dir, tmp_path, caplog):
    import run_target
    from conftest import FAST
    with caplog.at_level("INFO"):
        run_target.main(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir",
                         str(tiny_data_dir), "--languages", "de", "--output_dir", str(tmp_path / "run"), *FAST,
                         "--max_steps", "1"])
    config = json.loads((tmp_path / "run" / "run_config.json").read_text())
    assert config["device_settings"] == {"device": "cpu", "precision": "fp32", "tf32": False,
                                         "attn_implementation": "default", "optim": "adamw_torch_fused",
                                         "dataloader_pin_memory": False, "dataloader_num_workers": 0}
    assert config["recipe"]["device_defaults"] == {}
    assert "device: cpu; fp32, transformers' default attention" in caplog.text
    assert "Attention: sdpa (--attn_implementation not given" in caplog.text  # transformers 5 picks SDPA for XLM-R


def test_attn_implementation_reaches_the_model(tiny_model_dir):
    from transformers import AutoModelForSequenceClassification
    from utils.modeling import load_with_new_head
    for name, expected in ((None, "sdpa"), ("eager", "eager"), ("sdpa", "sdpa")):
        model = load_with_new_head(AutoModelForSequenceClassification,
                                   ModelArguments(str(tiny_model_dir), attn_implementation=name), num_labels=2)
        assert model.config._attn_implementation == expected


def test_encoding_precision_per_device(gpu):
    gpu(H100)
    assert device.encoding_dtype("cuda") is torch.bfloat16 and device.encoding_dtype("cuda", "fp32") is None
    assert device.encoding_dtype("cpu") is None
    gpu(V100)
    assert device.encoding_dtype("cuda") is torch.float16
    trainer_args = type("Args", (), {"bf16": False, "fp16": False})
    assert device.encoding_dtype("cuda", "auto", trainer_args) is None  # a Trainer's precision wins (--bf16 false)
    trainer_args.bf16 = True
    assert device.encoding_dtype("cpu", "auto", trainer_args) is torch.bfloat16
    with pytest.raises(ValueError, match="--encoding_precision 'bf17'"):
        device.encoding_dtype("cpu", "bf17")
    assert device.precision_key("cuda", torch.bfloat16) == {"precision": "bf16"}
    assert device.precision_key("cuda", torch.float16) == {"precision": "fp16"}
    assert device.precision_key("cpu", None) == {}


def test_bf16_embeddings_differ_from_fp32_and_are_cached_apart(tiny_model_dir, tmp_path, monkeypatch):
    """bf16 encoding (autocast, here on CPU) is close to fp32 but not equal, so the cache key names it: the fp32
    cache file (key unchanged from before) is never read by a bf16 run, nor the reverse."""
    import tasks.retrieval as R
    sentences = ["the cat sees the dog in the big red house.", "a man walks.", "music"]
    fp32 = R.Encoder(str(tiny_model_dir), layer=2, embedding_cache_dir=str(tmp_path))
    assert fp32.dtype is None and "precision" not in fp32.key and fp32.settings()["precision"] == "fp32"
    monkeypatch.setattr(R, "encoding_dtype", lambda *args: torch.bfloat16)
    bf16 = R.Encoder(str(tiny_model_dir), layer=2, embedding_cache_dir=str(tmp_path))
    assert bf16.key == {**fp32.key, "precision": "bf16"} and bf16.settings()["precision"] == "bf16"
    full, half = fp32.embed(sentences), bf16.embed(sentences)
    assert len(list(tmp_path.glob("*.npy"))) == 2 and full.dtype == half.dtype == torch.float32
    assert torch.allclose(full, half, atol=0.1) and not torch.allclose(full, half, atol=1e-5)
    assert torch.equal(R.Encoder(str(tiny_model_dir), layer=2, embedding_cache_dir=str(tmp_path)).embed(sentences),
                       half)  # (still patched) read back from the bf16 file


def test_length_sorted_encoding_equals_unbatched_encoding(tiny_model_dir):
    """Retrieval and dual-encoder encoding sort by length on every device: the same vectors as encoding each
    sentence alone (no padding), within float tolerance, in input order."""
    from transformers import AutoModel, AutoTokenizer
    import tasks.retrieval as R
    model, tokenizer = AutoModel.from_pretrained(tiny_model_dir).eval(), AutoTokenizer.from_pretrained(tiny_model_dir)
    sentences = [" ".join(["cat"] * n) + " dog." for n in (3, 40, 1, 25, 7, 60, 12, 2, 33)]
    batched = R.embed_sentences(model, tokenizer, sentences, 2, "mean", 512, 4, "cpu")
    alone = torch.cat([R.embed_sentences(model, tokenizer, [s], 2, "mean", 512, 1, "cpu") for s in sentences])
    assert torch.allclose(batched, alone, atol=1e-5)

    from transformers import TrainingArguments
    from tasks import dual_encoder as D
    from utils.trainer import Trainer
    dual = D.DualEncoder.from_pretrained(str(tiny_model_dir), pooling="mean")
    args = TrainingArguments(output_dir="unused", per_device_eval_batch_size=4, use_cpu=True, report_to="none")
    trainer = Trainer(model=dual, args=args, processing_class=tokenizer,
                      data_collator=D.data_collator(None, tokenizer, DataArguments()))
    vectors = D.encode(trainer, sentences, 128)
    one_by_one = torch.cat([D.encode(trainer, [s], 128) for s in sentences])
    assert torch.allclose(vectors, one_by_one, atol=1e-5)


def test_preflight_on_a_cpu_login_node_accepts_the_gpu_flags(tiny_model_dir, tiny_data_dir, tmp_path, capsys):
    """A grid checked on a CPU node: precision flags are left to the GPU machine, the device flags parse."""
    from pipeline import preflight
    from pipeline.stages import Stage
    stage = Stage("target xnli", "run_target.py", [
        "--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(tiny_data_dir), "--languages",
        "de", "--output_dir", str(tmp_path / "run"), "--bf16", "--tf32", "true", "--attn_implementation", "sdpa",
        "--optim", "adamw_torch_fused", "--eval_group_by_length", "false"])
    assert preflight.check([stage])
    assert "preflight: 1 stage(s) checked" in capsys.readouterr().out
