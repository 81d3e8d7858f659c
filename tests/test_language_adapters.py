"""Language adapters (utils/language_adapters.py): run_intermediate.py --task mlm --peft lora trains one on a
language's text; run_target.py --peft lora --language_adapters TEMPLATE trains the task adapter with the English
adapter active and frozen and evaluates each language with its own (or the closest language's by URIEL, or none)
and the task adapter; bad input is one line before the model loads."""
import json
import random
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from builders import make_sentence, nli_rows, write_jsonl
from safetensors import safe_open
from safetensors.torch import load_file
from test_peft import LORA, bad, config_of

import run_intermediate
import run_target
from utils import language_adapters
from utils.args import InputError
from utils.typology import transfer_distance

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


def test_an_mlm_run_needs_no_evaluation_flags(data, tiny_model_dir, tmp_path):
    """MLM alone has no dev set: its recipe evaluates nothing and loads no best checkpoint, so --save_strategy no
    needs no other flag (transformers refuses a best-model load whose save and eval strategies differ)."""
    _, kwargs = run_intermediate.prepare(["--task", "mlm", "--mlm_corpus", str(data.parent / "de.txt"),
                                          "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                                          str(tmp_path / "de"), "--save_strategy", "no", *TRAIN])
    args = kwargs["training_args"]
    assert args.eval_strategy == "no" and not args.load_best_model_at_end and args.save_strategy == "no"
    _, kwargs = run_intermediate.prepare(["--tasks", "mlm", "--mlm_corpus", str(data.parent / "de.txt"),
                                          "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                                          str(tmp_path / "de"), *TRAIN])
    args = kwargs["training_args"]  # without flags: checkpoints still saved, so an interrupted run resumes
    assert args.eval_strategy == "no" and not args.load_best_model_at_end
    assert args.save_strategy == "steps" and args.save_steps == 1000


@pytest.fixture(scope="module")
def composed(adapters, data, tiny_model_dir):
    """A target run with the language adapters (checkpoints kept); its output folder."""
    out = data.parent / "runs" / "xnli"
    run_target.main(target(tiny_model_dir, data, out, "--language_adapters", adapters, "--keep_checkpoints"))
    return out


def test_the_task_adapter_trains_with_the_english_adapter_frozen(composed, adapters):
    """The checkpoint holds the English adapter as lang_en, equal to its file; the task adapter (default) moved."""
    weights = load_file(str(composed / "checkpoint-4" / "model.safetensors"))
    english = load_file(adapters.replace("{lang}", "en") + "/encoder/adapter_model.safetensors")
    compared = 0
    for key, tensor in english.items():
        module, part = key.removeprefix("base_model.model.").rsplit(".lora_", 1)
        saved = next(value for name, value in weights.items()
                     if name.endswith(f"{module}.lora_{part.replace('.weight', '.lang_en.weight')}"))
        assert torch.equal(saved, tensor)
        compared += 1
    assert compared == len(english)
    task = [value for name, value in weights.items() if ".lora_B.default." in name]
    assert task and all(value.abs().sum() > 0 for value in task)  # B starts at zero
    assert not any(".lang_de." in name for name in weights)  # German is loaded for its evaluation only


def test_each_language_is_evaluated_with_its_adapter_or_the_closest(composed, adapters):
    """German with its own adapter; French (none of its own) with the closest of en and de by URIEL's transfer
    distance, the distance recorded in metrics.json and run_config.json."""
    used = json.loads((composed / "metrics.json").read_text())["language_adapters"]
    assert used["de"] == {"adapter": "de", "folder": adapters.replace("{lang}", "de") + "/encoder", "distance": 0.0,
                          "active": ["default", "lang_de"]}
    distances = {code: transfer_distance("fr", code) for code in ("en", "de")}
    nearest = min(distances, key=lambda code: (distances[code], code != "en", code))
    assert used["fr"]["adapter"] == nearest and used["fr"]["distance"] == distances[nearest]
    assert used["fr"]["active"] == ["default", f"lang_{nearest}"]
    assert config_of(composed)["language_adapters"]["fr"] == {key: used["fr"][key]
                                                              for key in ("adapter", "folder", "distance")}
    assert config_of(composed)["arguments"]["language_adapters"] == adapters


def test_an_interrupted_run_resumes_only_with_the_adapters_it_started_with(composed, adapters, data, tiny_model_dir,
                                                                          tmp_path):
    """A run interrupted after choosing its adapters (run_config.json records them) refuses, before the model loads,
    to go on with others (an adapter trained meanwhile); with the same ones it resumes."""
    out = tmp_path / "xnli"
    out.mkdir()
    config = config_of(composed)
    recorded = config["language_adapters"]
    other = "de" if recorded["fr"]["adapter"] == "en" else "en"
    changed = {**recorded, "fr": {"adapter": other, "folder": recorded[other]["folder"], "distance": 0.5}}
    (out / "run_config.json").write_text(json.dumps({**config, "language_adapters": changed}))
    argv = target(tiny_model_dir, data, out, "--language_adapters", adapters)
    run_target.prepare(argv)  # French not scored yet: today's choice serves it
    predictions = out / "predictions" / "xnli"
    predictions.mkdir(parents=True)
    shutil.copy(composed / "predictions" / "xnli" / "test-fr.jsonl", predictions)  # French scored before the break
    with pytest.raises(InputError) as error:
        run_target.main(argv)
    assert str(error.value).startswith(f"--language_adapters {adapters}: {out} started fr with the adapter of "
                                       f"{other}")
    assert str(error.value).endswith("its fr scores so far came from the first: rerun with --overwrite, or give "
                                     "another --output_dir")
    assert not (out / "metrics.json").exists()
    english = {**recorded, "en": {"adapter": "de", "folder": recorded["de"]["folder"], "distance": 0.3}}
    (out / "run_config.json").write_text(json.dumps({**config, "language_adapters": english}))
    with pytest.raises(InputError, match="the task adapter trained with the first: rerun with --overwrite"):
        run_target.prepare(argv)
    (out / "run_config.json").write_text(json.dumps(config))  # the adapters it started with: it resumes
    run_target.main(argv)
    assert json.loads((out / "metrics.json").read_text())["language_adapters"]["fr"]["adapter"] == \
        recorded["fr"]["adapter"]


def test_fallback_none_evaluates_with_the_task_adapter_alone(adapters, data, tiny_model_dir, tmp_path):
    out = tmp_path / "xnli"
    run_target.main(target(tiny_model_dir, data, out, "--language_adapters", adapters,
                           "--language_adapter_fallback", "none", languages="fr"))
    used = json.loads((out / "metrics.json").read_text())["language_adapters"]
    assert used["fr"] == {"adapter": None, "folder": None, "distance": None, "active": ["default"]}


def test_activating_a_language_swaps_its_adapter_in(adapters, tiny_model_dir):
    """The same model's outputs differ between the English and the German adapter, and come back exactly with the
    English one; the language adapters stay frozen, the task adapter trainable."""
    from transformers import AutoModelForSequenceClassification
    from utils.args import PeftArguments
    from utils.modeling import load_with_new_head
    args = SimpleNamespace(model_name_or_path=str(tiny_model_dir), cache_dir=None, trust_remote_code=False)
    model = load_with_new_head(AutoModelForSequenceClassification, args, peft=PeftArguments(peft="lora"),
                               num_labels=3).eval()
    choices = language_adapters.plan_adapters(adapters, ["de"], "closest", str(tiny_model_dir.resolve()), args)
    inputs = {"input_ids": torch.tensor([[0, 5, 9, 17, 2]]), "attention_mask": torch.ones(1, 5, dtype=torch.long)}
    logits = {}
    for lang in ("en", "de"):
        assert language_adapters.activate(model, choices, lang) == ["default", f"lang_{lang}"]
        with torch.no_grad():
            logits[lang] = model(**inputs).logits
    assert not torch.allclose(logits["en"], logits["de"])
    language_adapters.activate(model, choices, "en")
    with torch.no_grad():
        assert torch.equal(model(**inputs).logits, logits["en"])
    grads = {name: p.requires_grad for name, p in model.named_parameters() if ".lora_" in name}
    assert all(not grad for name, grad in grads.items() if ".lang_" in name)
    assert any(".lang_de." in name for name in grads) and all(grads[name] for name in grads if ".default." in name)


# ---- bad input: one line each, before the model loads ----
def target_argv(model, data, *extra, languages="de", peft=LORA):
    """target()'s arguments without --output_dir (bad() adds its own)."""
    return ["--task", "xnli", "--model_name_or_path", str(model), "--data_dir", str(data), "--languages", languages,
            *peft, *TRAIN, *TARGET_STEPS, *extra]


def test_a_template_without_lang_is_refused(adapters, data, tiny_model_dir, tmp_path):
    template = adapters.replace("{lang}", "en")
    message = bad(target_argv(tiny_model_dir, data, "--language_adapters", template), tmp_path)
    assert message == f"--language_adapters {template}: the template has no {{lang}} (e.g. runs/lang/{{lang}})"


def test_a_missing_english_adapter_is_refused(adapters, data, tiny_model_dir, tmp_path):
    root = tmp_path / "lang"
    shutil.copytree(adapters.replace("{lang}", "de"), root / "de")
    message = bad(target_argv(tiny_model_dir, data, "--language_adapters", str(root / "{lang}")), tmp_path)
    assert message.startswith(f"--language_adapters {root}/{{lang}}: no English adapter at {root}/en (the task "
                              "adapter trains with it; train it: run_intermediate.py --task mlm")


def test_a_folder_that_is_not_an_adapter_is_refused(adapters, data, tiny_model_dir, tmp_path):
    root = tmp_path / "lang"
    shutil.copytree(adapters.replace("{lang}", "en"), root / "en")
    (root / "de").mkdir()
    message = bad(target_argv(tiny_model_dir, data, "--language_adapters", str(root / "{lang}")), tmp_path)
    assert message.startswith(f"--language_adapters {root}/{{lang}}: {root}/de is not a language adapter (no "
                              "adapter_config.json in it or in its encoder/")
    (root / "de" / "run_config.json").write_text("{}")  # an MLM run begun, not finished: said so
    message = bad(target_argv(tiny_model_dir, data, "--language_adapters", str(root / "{lang}")), tmp_path)
    assert message == (f"--language_adapters {root}/{{lang}}: {root}/de is an MLM run that has not finished (no "
                       "adapter yet): rerun it (it resumes), or remove the folder to evaluate de with another "
                       "language's adapter (--language_adapter_fallback)")


def test_an_adapter_of_another_base_model_is_refused(adapters, data, tiny_model_dir, tmp_path):
    """A target on another base model than the adapters'; an adapter whose base now has another width."""
    other = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other)
    message = bad(target_argv(other, data, "--language_adapters", adapters), tmp_path)
    english = adapters.replace("{lang}", "en") + "/encoder"
    assert message == (f"--language_adapters {adapters}: {english} was trained on base model "
                       f"{tiny_model_dir.resolve()}; this run's base model is {other.resolve()}")
    root = tmp_path / "lang"
    shutil.copytree(adapters.replace("{lang}", "en"), root / "en")
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "hidden_size": 64}))
    folder = root / "en" / "encoder"
    adapter = json.loads((folder / "adapter_config.json").read_text())
    (folder / "adapter_config.json").write_text(json.dumps({**adapter, "base_model_name_or_path": str(other)}))
    message = bad(target_argv(tiny_model_dir, data, "--language_adapters", str(root / "{lang}")), tmp_path)
    assert message.startswith(f"--language_adapters {folder}: its adapter was trained on another base model than "
                              f"{other} holds now (hidden_size 32 vs 64")


def test_an_adapter_of_another_language_is_refused(adapters, data, tiny_model_dir, tmp_path):
    root = tmp_path / "lang"
    shutil.copytree(adapters.replace("{lang}", "en"), root / "en")
    shutil.copytree(adapters.replace("{lang}", "de"), root / "fr")  # German text, named French
    message = bad(target_argv(tiny_model_dir, data, "--language_adapters", str(root / "{lang}"), languages="fr"),
                  tmp_path)
    assert message == (f"--language_adapters {root}/{{lang}}: {root}/fr/encoder was trained on de text (its run's "
                       "--mlm_language), not fr")


def test_language_adapters_need_lora_and_a_target_run(adapters, data, tiny_model_dir, tmp_path):
    argv = target_argv(tiny_model_dir, data, "--language_adapters", adapters, peft=[])
    assert bad(argv, tmp_path) == (
        f"--language_adapters {adapters}: language adapters compose with a LoRA task adapter; add --peft lora")
    assert bad(["--task", "mnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
                "--language_adapters", adapters, *LORA, *TRAIN, *TARGET_STEPS], tmp_path, run_intermediate) == (
        f"--language_adapters {adapters}: an option of run_target.py (a language adapter is trained by "
        "run_intermediate.py --task mlm --mlm_corpus FILE --peft lora)")


def test_mlm_run_mistakes_are_named(data, tiny_model_dir, tmp_path):
    base = ["--model_name_or_path", str(tiny_model_dir), *LORA, *TRAIN, *MLM_STEPS]
    assert bad(["--task", "mlm", *base], tmp_path, run_intermediate) == (
        "--task mlm: --mlm_corpus is required (the text to train on, one sentence per line)")
    message = bad(["--task", "mlm", "--mlm_corpus", str(data.parent / "de.txt"), "--mlm_language", "xx", *base],
                  tmp_path, run_intermediate)
    assert message.startswith("language 'xx' is not in the language registry")


def test_language_adapters_on_an_intermediate_lora_encoder(adapters, data, tiny_model_dir, tmp_path):
    """STILTs and MAD-X together: a target from an intermediate LoRA run's adapter folder (merged into the base the
    language adapters were trained on) composes them; a fully fine-tuned intermediate encoder is another model."""
    for peft, name in ((LORA, "lora"), ([], "full")):
        run_intermediate.main(["--task", "mnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
                               "--output_dir", str(tmp_path / name), *peft, *TRAIN, *TARGET_STEPS])
    out = tmp_path / "xnli"
    run_target.main(target(tmp_path / "lora" / "encoder", data, out, "--language_adapters", adapters,
                           languages="de"))
    assert json.loads((out / "metrics.json").read_text())["language_adapters"]["de"]["active"] == ["default",
                                                                                                   "lang_de"]
    assert config_of(out)["peft"]["merged_adapter"]["base_model"] == str(tiny_model_dir.resolve())
    message = bad(target_argv(tmp_path / "full" / "encoder", data, "--language_adapters", adapters), tmp_path)
    assert message.endswith(f"this run's base model is {(tmp_path / 'full' / 'encoder').resolve()}")


def test_the_report_charges_language_adapters_to_their_variant(data, tiny_model_dir, tmp_path):
    """Language adapters' MLM runs are finished intermediate runs in the report (no scores: not corrupted, and one per
    language: not duplicates), and the cost section charges them to their variant's LoRA targets."""
    from reporting.runs import collect
    from reporting.sections.cost import cost_section
    root = tmp_path / "runs"
    for lang in ("en", "de"):
        run_intermediate.main(["--task", "mlm", "--mlm_corpus", str(data.parent / f"{lang}.txt"), "--mlm_language",
                               lang, "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                               str(root / "lang" / lang), "--variant", "lora_lang", *LORA, *TRAIN, *MLM_STEPS])
    run_target.main(target(tiny_model_dir, data, root / "xnli", "--language_adapters", str(root / "lang" / "{lang}"),
                           "--variant", "lora_lang"))
    runs = collect(root, root / "report", "test")
    assert sorted((run.status, run.is_target, run.source) for run in runs) == [
        ("finished", False, "de"), ("finished", False, "en"), ("finished", True, "en")]
    _, rows = cost_section(runs, root)
    row = next(row for row in rows if row["base_model"] == f"{tiny_model_dir.name} (lora + language adapters)")
    assert row["variant"] == "baseline"  # its grid's one variant without an intermediate task
    adapters = [run for run in runs if not run.is_target]
    assert row["intermediate_hours"] == pytest.approx(sum(run.cost["device_hours"] for run in adapters))
