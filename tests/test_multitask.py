"""Multi-task intermediate training: the task sampler, the shared-encoder model, runs over three task kinds, MLM,
translated training data, and transfer from a multi-task encoder."""
import copy
import inspect
import json
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import FAST, make_sentence, nli_rows, write_jsonl

import run_intermediate
import run_target
from utils.sampling import TaskBatchSampler, task_probabilities

SIZES = {"a": 100, "b": 400, "c": 1600}


@pytest.mark.parametrize("strategy, options, expected", [
    ("proportional", {}, [1 / 21, 4 / 21, 16 / 21]),
    ("temperature", {"temperature": 2.0}, [1 / 7, 2 / 7, 4 / 7]),          # sqrt sizes: 10, 20, 40
    ("uniform", {}, [1 / 3, 1 / 3, 1 / 3]),
    ("proportional", {"cap": 400}, [1 / 9, 4 / 9, 4 / 9]),                  # c counts as 400
    ("proportional", {"fixed": {"c": 0.5}}, [0.1, 0.4, 0.5]),               # a, b share the other half 1:4
])
def test_task_probabilities_follow_their_definition(strategy, options, expected):
    probabilities = task_probabilities(SIZES, strategy, **options)
    assert list(probabilities.values()) == pytest.approx(expected)


@pytest.mark.parametrize("strategy, options", [("proportional", {}), ("temperature", {"temperature": 3.0}),
                                               ("uniform", {}), ("proportional", {"cap": 200})])
def test_sampler_frequencies_match_probabilities(strategy, options):
    probabilities = list(task_probabilities(SIZES, strategy, **options).values())
    sampler = TaskBatchSampler(list(SIZES.values()), probabilities, batch_size=4, seed=0, num_batches=20000)
    counts = np.bincount([np.searchsorted([100, 500, 2100], batch[0], side="right") for batch in sampler], minlength=3)
    sigma = np.sqrt(20000 * np.asarray(probabilities) * (1 - np.asarray(probabilities)))
    assert np.all(np.abs(counts - 20000 * np.asarray(probabilities)) < 4 * sigma), (counts, probabilities)


def test_sampler_batches_are_full_single_task_and_deterministic():
    sizes, bs = [10, 3, 25], 4
    sampler = TaskBatchSampler(sizes, [0.3, 0.2, 0.5], batch_size=bs, seed=5, world_size=4)
    assert len(sampler) == 12  # ceil(10/4) + ceil(3/4) + ceil(25/4) = 10 -> rounded up to a multiple of 4
    batches = list(sampler)
    bounds = [(0, 10), (10, 13), (13, 38)]
    for batch in batches:
        assert len(batch) == bs and any(all(lo <= i < hi for i in batch) for lo, hi in bounds)
    assert batches == list(TaskBatchSampler(sizes, [0.3, 0.2, 0.5], batch_size=bs, seed=5, world_size=4))
    sampler.set_epoch(1)
    assert list(sampler) != batches
    big = [i for batch in TaskBatchSampler([40], [1.0], batch_size=8, seed=0) for i in batch]
    assert sorted(big) == list(range(40))  # within a task: each example once per pass


def test_sampler_sharded_by_accelerate_gives_disjoint_batches():
    from accelerate.data_loader import BatchSamplerShard
    sampler = TaskBatchSampler([30, 50], [0.5, 0.5], batch_size=4, seed=3, world_size=2)
    shards = [list(BatchSamplerShard(sampler, num_processes=2, process_index=rank)) for rank in (0, 1)]
    merged = [batch for pair in zip(*shards) for batch in pair]
    assert merged == list(sampler) and len(shards[0]) == len(shards[1]) == len(sampler) // 2


def test_shared_encoder_model_saves_each_tensor_once(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForMaskedLM, AutoModelForMultipleChoice, AutoModelForSequenceClassification
    from utils.multitask import MultiTaskModel
    heads = {"nli": AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=3),
             "mc": AutoModelForMultipleChoice.from_pretrained(tiny_model_dir),
             "mlm": AutoModelForMaskedLM.from_pretrained(tiny_model_dir)}
    model = MultiTaskModel(heads)
    assert all(head.base_model is model.base_model for head in heads.values())
    assert model.base_model.pooler is not None  # multiple choice needs the pooler: its encoder is shared
    assert heads["mlm"].get_output_embeddings().weight is model.base_model.get_input_embeddings().weight
    state = model.state_dict()
    assert not any(key.startswith(("heads.nli.roberta.", "heads.mc.roberta.")) for key in state)
    save_file(state, str(tmp_path / "model.safetensors"))  # refuses shared tensors
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    result = model.load_state_dict(load_file(str(tmp_path / "model.safetensors")))
    assert not result.missing_keys and not result.unexpected_keys
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert heads["mlm"].get_output_embeddings().weight is model.base_model.get_input_embeddings().weight


def mc_rows(n, seed):
    rng = random.Random(seed)
    return [{"id": f"m{i}", "context": make_sentence(rng), "choices": [make_sentence(rng, 3) for _ in range(3)],
             "label": i % 3} for i in range(n)]


def tag_rows(n, seed):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        tokens = make_sentence(rng).rstrip(".").split()
        rows.append({"id": f"t{i}", "tokens": tokens, "tags": ["N" if t in ("cat", "dog", "man") else "X" for t in tokens]})
    return rows


@pytest.fixture()
def multi_data_dir(tiny_data_dir):
    """tiny_data_dir plus HellaSwag (multiple choice) and CCG (tagging, labels from the data)."""
    for task, rows in (("hellaswag", mc_rows), ("ccg", tag_rows)):
        write_jsonl(tiny_data_dir / task / "train-en.jsonl", rows(32, 1))
        write_jsonl(tiny_data_dir / task / "validation-en.jsonl", rows(9, 2))
    return tiny_data_dir


def test_multitask_three_kinds_then_transfer(tiny_model_dir, multi_data_dir, tmp_path):
    from transformers import AutoModel
    out = tmp_path / "mt"
    run_intermediate.main(["--tasks", "mnli,hellaswag,ccg", "--data_dir", str(multi_data_dir),
                           "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out), *FAST,
                           "--gradient_accumulation_steps", "2"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["tasks"] == ["mnli", "hellaswag", "ccg"] and metrics["metric"] == "average"
    scores = metrics["per_language"]["en"]["validation"]
    assert scores["average"] == pytest.approx(np.mean([scores["mnli_accuracy"], scores["hellaswag_accuracy"],
                                                       scores["ccg_accuracy"]]))
    assert metrics["per_task"]["hellaswag"]["per_language"]["en"]["validation"]["accuracy"] == \
        scores["hellaswag_accuracy"]
    for task, n in (("mnli", 12), ("hellaswag", 9), ("ccg", 9)):
        assert len((out / "predictions" / task / "validation-en.jsonl").read_text().splitlines()) == n
    history = json.loads((out / "log_history.json").read_text())
    assert any(key.startswith("loss_") for entry in history for key in entry)
    encoder, info = AutoModel.from_pretrained(out / "encoder", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and (out / "DONE").is_file()
    config = json.loads((out / "run_config.json").read_text())
    assert config["intermediate_tasks"] == ["mnli", "hellaswag", "ccg"]
    # transfer from the multi-task encoder works like from a single-task one
    target = out / "xnli"
    run_target.main(["--task", "xnli", "--model_name_or_path", str(out / "encoder"), "--output_dir", str(target),
                     "--data_dir", str(multi_data_dir), "--languages", "de,fr", *FAST])
    target_metrics = json.loads((target / "metrics.json").read_text())
    assert set(target_metrics["per_language"]) == {"de", "fr"}
    assert json.loads((target / "run_config.json").read_text())["intermediate_task"] == ["mnli", "hellaswag", "ccg"]


def test_mlm_loss_falls_on_a_small_corpus(tiny_model_dir, tiny_data_dir, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = random.Random(0)
    sentences = [make_sentence(rng, 6) for _ in range(8)]
    (corpus / "en.txt").write_text("\n".join(sentences * 4) + "\n", encoding="utf-8")
    (corpus / "de.txt").write_text("der Hund sieht die Katze.\n\n" * 8, encoding="utf-8")
    out = tmp_path / "mlm"
    run_intermediate.main(["--task", "mnli", "--mlm_corpus", str(corpus), "--mlm_weight", "0.8",
                           "--data_dir", str(tiny_data_dir), "--model_name_or_path", str(tiny_model_dir),
                           "--output_dir", str(out), *FAST, "--max_steps", "40", "--logging_steps", "5",
                           "--eval_steps", "40", "--save_steps", "40", "--learning_rate", "5e-3"])
    history = json.loads((out / "log_history.json").read_text())
    mlm = [entry["loss_mlm"] for entry in history if "loss_mlm" in entry]
    assert len(mlm) >= 6 and np.mean(mlm[-2:]) < 0.8 * np.mean(mlm[:2]), mlm
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["tasks"] == ["mnli"] and metrics["sampling_probabilities"]["mlm"] == pytest.approx(0.8)


def test_bad_multitask_arguments_are_clear_errors(tiny_model_dir, tiny_data_dir, tmp_path):
    common = ["--data_dir", str(tiny_data_dir), "--model_name_or_path", str(tiny_model_dir), *FAST]
    with pytest.raises(ValueError, match=r"--tasks: unknown or untrainable task 'mnlii'; known: all, custom, .*mnli"):
        run_intermediate.main(["--tasks", "mnli,mnlii", "--output_dir", str(tmp_path / "a"), *common])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"--mlm_corpus: .*empty.txt has no text"):
        run_intermediate.main(["--task", "mnli", "--mlm_corpus", str(empty), "--output_dir", str(tmp_path / "b"),
                               *common])
    with pytest.raises(ValueError, match=r"--mlm_corpus: .*missing.txt is not a file"):
        run_intermediate.main(["--task", "mnli", "--mlm_corpus", str(tmp_path / "missing.txt"),
                               "--output_dir", str(tmp_path / "c"), *common])
    assert not (tmp_path / "c").exists()  # found before anything was written


def test_train_languages_concatenate_translations(tiny_data_dir, tmp_path):
    from tasks import get_task
    from engine.runner import TaskData
    from engine.training_set import training_examples
    from utils.args import DataArguments, ModelArguments, XTrainingArguments
    write_jsonl(tiny_data_dir / "mnli" / "train-de.jsonl", nli_rows(10, 9))
    args = XTrainingArguments(output_dir=str(tmp_path), use_cpu=True)
    local = DataArguments(data_dir=str(tiny_data_dir), train_languages="en,de")
    data = TaskData(get_task("mnli"), None, local, ModelArguments(), args)
    examples = training_examples(data)
    assert len(examples) == 48 + 10 and examples[0]["id"] == "en:ex0" and examples[48]["id"] == "de:ex0"
    assert len(training_examples(data, 5)) == 10  # --max_train_samples per language
    hub = TaskData(get_task("mnli"), None, DataArguments(train_languages="en,de"), ModelArguments(), args)
    with pytest.raises(ValueError, match="--train_languages en,de: task 'mnli' has no per-language training data"):
        training_examples(hub)


def test_mlm_corpus_from_files_directory_or_hub(tmp_path, monkeypatch):
    import datasets
    from tasks import mlm
    from utils import data as data_utils
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "sw.txt").write_text("habari ya asubuhi\n\nnzuri sana\n", encoding="utf-8")
    (tmp_path / "c" / "fi.txt").write_text("hyvää huomenta\n", encoding="utf-8")
    assert mlm.load_corpus(str(tmp_path / "c"))["text"] == ["hyvää huomenta", "habari ya asubuhi", "nzuri sana"]
    assert len(mlm.load_corpus(f"{tmp_path / 'c' / 'fi.txt'},{tmp_path / 'c' / 'sw.txt'}")) == 3
    calls = []

    def fake_hub(name, config, split, cache_dir=None):
        calls.append((name, config, split))
        return datasets.Dataset.from_dict({"text": ["one", " ", "two"], "title": ["a", "b", "c"]})

    monkeypatch.setattr(data_utils, "hub_load", fake_hub)
    assert mlm.load_corpus("wikitext:wikitext-2-raw-v1")["text"] == ["one", "two"]
    assert calls == [("wikitext", "wikitext-2-raw-v1", "train")]


@pytest.mark.slow
def test_multitask_torchrun_two_processes_with_accumulation(tiny_model_dir, multi_data_dir, tmp_path):
    import os
    import subprocess
    from builders import torchrun
    out = tmp_path / "ddp"
    command = [*torchrun("run_intermediate.py"), "--tasks", "mnli,hellaswag,ccg", "--data_dir", str(multi_data_dir),
               "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out), *FAST,
               "--gradient_accumulation_steps", "2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_task"]) == {"mnli", "hellaswag", "ccg"} and (out / "encoder" / "model.safetensors").is_file()
    for task, n in (("mnli", 12), ("hellaswag", 9), ("ccg", 9)):  # every dev example scored once
        ids = [json.loads(line)["id"] for line in (out / "predictions" / task / "validation-en.jsonl").open()]
        assert len(ids) == len(set(ids)) == n


def test_resolve_tasks_all_targets_and_custom(tmp_path):
    from tasks import INTERMEDIATE_TASKS
    from engine.multitask import resolve_tasks
    from utils.args import DataArguments
    args = DataArguments(data_dir=str(tmp_path))
    assert [spec.name for spec, _ in resolve_tasks("all", args, None, tmp_path)] == list(INTERMEDIATE_TASKS)
    assert [spec.name for spec, _ in resolve_tasks("xnli, mnli,udpos", args, None, tmp_path)] == ["mnli", "udpos"]
    train = write_jsonl(tmp_path / "t.jsonl", [{"s": "good", "y": "pos"}, {"s": "bad", "y": "neg"}])
    custom = SimpleNamespace(task_kind="classification", train_file=str(train), validation_file=str(train),
                             test_file=None, text_columns="s", label_column="y")
    (spec, custom_args), (mnli, mnli_args) = resolve_tasks("custom,mnli", args, custom, tmp_path / "out")
    assert spec.labels == ("neg", "pos") and custom_args.data_dir == str(tmp_path / "out" / "custom_data")
    assert mnli_args.data_dir == str(tmp_path)
    with pytest.raises(ValueError, match="--tasks: unknown or untrainable task 'tatoeba'"):
        resolve_tasks("mnli,tatoeba", args, None, tmp_path)


@pytest.mark.parametrize("arch", ["bert", "xlm-roberta", "deberta-v2", "modernbert", "electra", "distilbert",
                                  "rembert", "xlm-roberta-xl"])
def test_mlm_head_on_masked_positions_gives_the_whole_sequence_loss(arch, tmp_path):
    """tasks/mlm.py predict_masked_only: the loss and every gradient equal transformers' head over every position
    (same batch, same masking), for each architecture's MLM head; also inside the shared-encoder model, whose MLM
    head's encoder is another task's; without labels the outputs are transformers' own."""
    from encoders import build_encoder
    from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer
    from tasks import mlm
    from utils.multitask import MultiTaskModel
    directory = build_encoder(arch, tmp_path / arch)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    rng = random.Random(0)
    torch.manual_seed(0)
    batch = mlm.data_collator(None, tokenizer, None)([tokenizer(make_sentence(rng, rng.randint(4, 20)))
                                                      for _ in range(6)])
    assert (batch["labels"] != -100).any() and (batch["attention_mask"] == 0).any()  # masked and padded positions

    def loss_and_grads(model, task_id=None):
        model.train()
        torch.manual_seed(1)  # the same dropout
        inputs = {**batch, "task_id": torch.tensor([task_id])} if task_id is not None else batch
        loss = model(**inputs).loss
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        model.zero_grad()
        return loss.detach(), grads

    def seeded(load, *args, **kwargs):  # the same new head (where the checkpoint has none)
        torch.manual_seed(0)
        return load(*args, **kwargs)

    dense = seeded(AutoModelForMaskedLM.from_pretrained, directory)
    masked, _ = seeded(mlm.load_masked_only, directory, output_loading_info=True)
    loss, grads = loss_and_grads(dense)
    masked_loss, masked_grads = loss_and_grads(masked)
    assert torch.allclose(masked_loss, loss, atol=1e-6) and grads.keys() == masked_grads.keys()
    assert all(torch.allclose(masked_grads[n], g, atol=1e-6) for n, g in grads.items()), arch
    assert masked(**batch).logits.shape[:2] == (1, int((batch["labels"] != -100).sum()))  # masked positions only
    assert list(inspect.signature(masked.forward).parameters) == list(inspect.signature(dense.forward).parameters)
    twin = copy.deepcopy(masked)  # a copy (as data-parallel replicas are) runs its own weights
    with torch.no_grad():
        for parameter in twin.parameters():
            parameter.mul_(0.5)
    assert not torch.allclose(loss_and_grads(twin)[0], masked_loss) and type(twin).__name__ == type(dense).__name__
    dense.eval(), masked.eval()
    plain = {k: v for k, v in batch.items() if k != "labels"}
    assert torch.equal(masked(**plain).logits, dense(**plain).logits)

    shared = MultiTaskModel({"nli": AutoModelForSequenceClassification.from_pretrained(directory, num_labels=3),
                             "mlm": seeded(mlm.load_masked_only, directory)})
    shared_loss, _ = loss_and_grads(shared, task_id=1)
    assert torch.allclose(shared_loss, loss, atol=1e-6)
    assert not shared.base_model._forward_hooks  # the hook lives for one call
