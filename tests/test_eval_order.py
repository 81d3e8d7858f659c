"""Evaluation batches formed by length, predictions put back in example order (utils/trainer.py), for every kind:
the records equal those of the sequential path, the logits agree on every real token, the batches are sorted."""
import random

import datasets
import numpy as np
import pytest
import torch

from conftest import WORDS, make_sentence
from tasks import get_task
from tasks.kinds import kind_of
from tasks.span_qa import SpanQAOptions
from utils.args import DataArguments, ModelArguments, XTrainingArguments
from utils.modeling import load_tokenizer, load_with_new_head
from utils.trainer import LengthSortedSampler, Trainer, feature_lengths


def rows_of(task, n=13, seed=0):
    """Schema rows of very different lengths (1 to 40 words), in no length order."""
    rng = random.Random(seed)
    sizes = [rng.choice([1, 2, 3, 8, 15, 25, 40]) for _ in range(n)]
    text = lambda size: " ".join(rng.choice(WORDS) for _ in range(size))  # noqa: E731
    if task == "xnli":
        labels = ("entailment", "neutral", "contradiction")
        return [{"id": f"x{i}", "text_a": text(s), "text_b": make_sentence(rng, 3), "label": labels[i % 3]}
                for i, s in enumerate(sizes)]
    if task == "xcopa":
        return [{"id": f"c{i}", "context": text(s), "choices": [text(2), text(s // 2 + 1)], "label": i % 2}
                for i, s in enumerate(sizes)]
    if task == "xquad":
        rows = []
        for i, s in enumerate(sizes):
            context = f"{text(s)} Anna has the red book. {text(s)}"
            rows.append({"id": f"q{i}", "context": context, "question": "who has the red book?",
                         "answers": {"text": ["Anna"], "answer_start": [context.index("Anna has")]}})
        return rows
    tags = get_task(task).labels
    return [{"id": f"t{i}", "tokens": text(s).split(), "tags": [tags[(i + j) % len(tags)] for j in range(s)]}
            for i, s in enumerate(sizes)]


def evaluate(task, model_dir, tmp_path, group_by_length):
    spec, kind = get_task(task), kind_of(get_task(task))
    model_args = ModelArguments(str(model_dir))
    data_args = DataArguments(task=task, max_seq_length=64,
                              kind_options=(SpanQAOptions(doc_stride=16, max_query_length=16),))
    tokenizer = load_tokenizer(model_args)
    examples = datasets.Dataset.from_list(rows_of(task))
    features = examples.map(kind.preprocess(spec, tokenizer, data_args, False), batched=True,
                            remove_columns=examples.column_names)
    labels = {"num_labels": len(spec.labels)} if spec.labels else {}
    torch.manual_seed(0)  # the same fresh head for both paths
    model = load_with_new_head(kind.model_class(spec, data_args), model_args, **labels).eval()
    args = XTrainingArguments(output_dir=str(tmp_path / task), per_device_eval_batch_size=3, use_cpu=True,
                              eval_strategy="no", load_best_model_at_end=False, report_to="none",
                              eval_group_by_length=group_by_length)
    trainer = Trainer(model=model, args=args, processing_class=tokenizer,
                      data_collator=kind.data_collator(spec, tokenizer, data_args))
    output = trainer.predict(features)
    records = kind.postprocess(spec, output.predictions, examples, features, data_args)
    return trainer, features, output, records


def real_positions(features):
    """(row, position) of every real token of each feature (multiple choice: of its longest choice)."""
    lengths = feature_lengths(features.select_columns(["input_ids"]))
    return lengths, [(row, position) for row, length in enumerate(lengths) for position in range(length)]


@pytest.mark.parametrize("task", ["xnli", "xcopa", "xquad", "panx"])
def test_length_sorted_evaluation_equals_the_sequential_path(task, tiny_model_dir, tmp_path):
    trainer, features, grouped, records = evaluate(task, tiny_model_dir, tmp_path, True)
    _, _, sequential, expected = evaluate(task, tiny_model_dir, tmp_path, False)
    assert records == expected  # postprocess saw every prediction at its own feature
    assert [r["id"] for r in records] == [r["id"] for r in rows_of(task)]
    got = grouped.predictions if isinstance(grouped.predictions, tuple) else (grouped.predictions,)
    want = sequential.predictions if isinstance(sequential.predictions, tuple) else (sequential.predictions,)
    lengths, positions = real_positions(features)
    for a, b in zip(got, want):
        assert a.shape == b.shape and len(a) == len(features)
        if a.ndim == 2 and task != "xquad":  # one row of logits per feature
            np.testing.assert_allclose(a, b, atol=1e-5)
        else:  # per token (span QA start/end, tagging): padding differs with the batch, real tokens agree
            rows, cols = zip(*positions)
            np.testing.assert_allclose(a[rows, cols], b[rows, cols], atol=1e-5)
    if grouped.label_ids is not None:
        np.testing.assert_array_equal(grouped.label_ids, sequential.label_ids)

    sampler = trainer._get_eval_sampler(features)
    assert isinstance(sampler, LengthSortedSampler)
    visited = lengths[list(sampler)]
    assert sorted(sampler) == list(range(len(features))) and list(sampler) != sorted(sampler)
    assert all(visited[:-1] >= visited[1:])  # longest first
    batches = [batch["input_ids"].shape[-1] for batch in trainer.get_test_dataloader(features)]
    assert batches == sorted(batches, reverse=True) and len(set(batches)) > 1  # each batch padded to its own


def test_sorted_order_is_stable_and_restored_in_feature_order():
    lengths = np.array([3, 7, 3, 1, 7, 2])
    order = np.argsort(-lengths, kind="stable")
    assert order.tolist() == [1, 4, 0, 2, 5, 3]  # ties keep dataset order
    from utils.trainer import _restore
    sorted_rows = np.arange(6)[order] * 10  # what the loop returns: feature order[k] at row k
    restored = _restore((sorted_rows, {"x": sorted_rows}), np.argsort(order))
    assert restored[0].tolist() == [0, 10, 20, 30, 40, 50] and restored[1]["x"].tolist() == restored[0].tolist()
    with pytest.raises(ValueError, match="5 rows for 6 features"):
        _restore(sorted_rows[:5], np.argsort(order))


def test_feature_lengths_of_pairs_choices_and_dual_encoder_features():
    data = datasets.Dataset.from_dict({"input_ids": [[1, 2], [1, 2, 3, 4], [5]],
                                       "candidate_input_ids": [[1], [1], [1, 2, 3]]})
    assert feature_lengths(data).tolist() == [3, 5, 4]  # query + candidate
    choices = datasets.Dataset.from_dict({"input_ids": [[[1, 2], [1, 2, 3]], [[1], [1]]]})
    assert feature_lengths(choices).tolist() == [3, 1]  # the longest choice
    assert feature_lengths(datasets.Dataset.from_dict({"text": ["a"]})) is None


def test_off_switch_and_data_without_input_ids_keep_dataset_order(tiny_model_dir, tmp_path):
    from torch.utils.data import SequentialSampler
    from transformers import AutoModelForSequenceClassification
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=2)
    features = datasets.Dataset.from_dict({"input_ids": [[0, 5, 2], [0, 5, 6, 7, 2]]})
    for flag, data, expected in ((False, features, SequentialSampler), (True, features, LengthSortedSampler),
                                 (True, datasets.Dataset.from_dict({"x": [1, 2]}), SequentialSampler)):
        args = XTrainingArguments(output_dir=str(tmp_path), use_cpu=True, eval_strategy="no",
                                  load_best_model_at_end=False, eval_group_by_length=flag)
        assert type(Trainer(model=model, args=args)._get_eval_sampler(data)) is expected
