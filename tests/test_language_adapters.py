"""Language adapters (utils/language_adapters.py): run_intermediate.py --task mlm --peft lora trains one on a
language's text; run_target.py --peft lora --language_adapters TEMPLATE trains the task adapter with the English
adapter active and frozen and evaluates each language with its own (or the closest language's by URIEL, or none)
and the task adapter; bad input is one line before the model loads."""
import json
import random
from pathlib import Path

import pytest
from builders import make_sentence, nli_rows, write_jsonl
from safetensors import safe_open
from test_peft import LORA, bad, config_of

import run_intermediate

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

TRAIN = ["--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "1", "--per_device_eval_batch_size",
         "8", "--learning_rate", "1e-2", "--use_cpu", "--dataloader_num_workers", "0", "--seed", "1"]
MLM_STEPS = ["--max_steps", "4", "--logging_steps", "2"]
TARGET_STEPS = ["--max_steps", "4", "--eval_strategy", "steps", "--eval_steps", "4", "--save_steps", "4",
                "--logging_steps", "2"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """MNLI (train, validation), XNLI test sets in de, fr and es, and an English and a German corpus."""
    d = tmp_path_factory.mktemp("lang") / "data"
    write_jsonl(d / "mnli" / "train-en.jsonl", nli_rows(24, 1))
    write_jsonl(d / "mnli" / "validation-en.jsonl", nli_rows(6, 2))
    for lang, seed in (("de", 3), ("fr", 4), ("es", 5)):
        write_jsonl(d / "xnli" / f"test-{lang}.jsonl", nli_rows(6, seed, prefix=f"{lang}-"))
    for lang, seed in (("en", 6), ("de", 7)):
        rng = random.Random(seed)
        (d.parent / f"{lang}.txt").write_text("\n".join(make_sentence(rng) for _ in range(40)) + "\n")
    return d


def train_adapter(lang, corpus, model, out):
    return run_intermediate.main(["--task", "mlm", "--mlm_corpus", str(corpus), "--mlm_language", lang,
                                  "--model_name_or_path", str(model), "--output_dir", str(out), *LORA, *TRAIN,
                                  *MLM_STEPS])


@pytest.fixture(scope="module")
def adapters(data, tiny_model_dir):
    """English and German language adapters on the tiny model: the template runs/lang/{lang}."""
    root = data.parent / "runs" / "lang"
    for lang in ("en", "de"):
        train_adapter(lang, data.parent / f"{lang}.txt", tiny_model_dir, root / lang)
    return str(root / "{lang}")


def target(model, data, out, *extra, languages="de,fr"):
    return ["--task", "xnli", "--model_name_or_path", str(model), "--data_dir", str(data), "--output_dir", str(out),
            "--languages", languages, *LORA, *TRAIN, *TARGET_STEPS, *extra]


def test_an_mlm_run_trains_a_language_adapter(adapters, tiny_model_dir):
    """--task mlm --mlm_corpus --peft lora: an adapter in peft's format on the base model, its LoRA trained, the
    language recorded, the MLM loss in metrics.json."""
    run = Path(adapters.replace("{lang}", "de"))
    folder = run / "encoder"
    adapter = json.loads((folder / "adapter_config.json").read_text())
    assert adapter["peft_type"] == "LORA" and adapter["base_model_name_or_path"] == str(tiny_model_dir.resolve())
    assert not (folder / "model.safetensors").exists()
    with safe_open(str(folder / "adapter_model.safetensors"), "pt") as weights:
        assert all(weights.get_tensor(key).abs().sum() > 0 for key in weights.keys() if ".lora_B." in key)
    config = config_of(run)
    assert config["arguments"]["mlm_language"] == "de" and config["intermediate_tasks"] == ["mlm"]
    assert config["arguments"]["eval_strategy"] == "no"  # no dev set: no checkpoint selection
    loss = json.loads((run / "metrics.json").read_text())["mlm_loss"]
    assert loss["last_step"] == 4 and loss["first"] > 0 and loss["last"] > 0


def test_mlm_run_mistakes_are_named(data, tiny_model_dir, tmp_path):
    base = ["--model_name_or_path", str(tiny_model_dir), *LORA, *TRAIN, *MLM_STEPS]
    assert bad(["--task", "mlm", *base], tmp_path, run_intermediate) == (
        "--task mlm: --mlm_corpus is required (the text to train on, one sentence per line)")
    message = bad(["--task", "mlm", "--mlm_corpus", str(data.parent / "de.txt"), "--mlm_language", "xx", *base],
                  tmp_path, run_intermediate)
    assert message.startswith("language 'xx' is not in the language registry")
