"""Multi-task intermediate training: the task sampler, the shared-encoder model, runs over three task kinds, MLM,
translated training data, and transfer from a multi-task encoder."""
import json
import random

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
