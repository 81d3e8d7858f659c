"""The HF Trainer, evaluating in batches of similar length and returning predictions in feature order.

The kinds' postprocess aligns predictions with features by position, so predictions must come back in feature
order. Evaluation and prediction batches are nevertheless formed by length (--eval_group_by_length, default on):
the features are visited longest first (a stable sort: LengthSortedSampler), so a zero-shot evaluation over 40
languages pads each batch to about its own length, and every output of the loop (logits of any kind and shape,
label_ids, inputs, losses) is put back in feature order before compute_metrics and before it is returned. With
several processes, accelerate hands the sorted batches out in turn and gathers them back in the sampler's order,
so the same permutation restores them. Off (or for data without input_ids): dataset order, as transformers'
SequentialSampler (which would otherwise length-group evaluation batches under group_by_length and return them
shuffled).
"""
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import transformers
from torch.utils.data import Sampler, SequentialSampler
from transformers.trainer_utils import EvalPrediction, has_length


class LengthSortedSampler(Sampler):
    """The given order of dataset indices (longest first); `order` is what the batches are formed from."""

    def __init__(self, order):
        self.order = np.asarray(order)

    def __len__(self):
        return len(self.order)

    def __iter__(self):
        return iter(self.order.tolist())


def feature_lengths(dataset):
    """Tokens per feature of a datasets.Dataset, read through Arrow: the sum over its input_ids columns (a dual
    encoder's query and candidate), the longest choice of a multiple-choice feature; None without input_ids."""
    import datasets
    if not isinstance(dataset, datasets.Dataset) or len(dataset) == 0:
        return None
    names = [n for n in dataset.column_names if n == "input_ids" or n.endswith("_input_ids")]
    if not names:
        return None
    table = dataset.select_columns(names).with_format("arrow")[:]
    total = np.zeros(len(dataset), dtype=np.int64)
    for name in names:
        column = table[name].combine_chunks()
        if pa.types.is_list(column.type.value_type) or pa.types.is_large_list(column.type.value_type):
            inner = pc.list_value_length(pc.list_flatten(column)).to_numpy(zero_copy_only=False)
            longest = np.zeros(len(column), dtype=np.int64)
            np.maximum.at(longest, pc.list_parent_indices(column).to_numpy(zero_copy_only=False), inner)
            total += longest
        else:
            total += pc.list_value_length(column).fill_null(0).to_numpy(zero_copy_only=False)
    return total


def _restore(value, inverse):
    """Rows of value (arrays, nested in tuples/lists/dicts) from the sorted order back to feature order."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return type(value)(_restore(v, inverse) for v in value)
    if isinstance(value, dict):
        return {k: _restore(v, inverse) for k, v in value.items()}
    if len(value) != len(inverse):
        raise ValueError(f"evaluation returned {len(value)} rows for {len(inverse)} features; expected one per "
                         "feature (pass --eval_group_by_length false to evaluate in dataset order)")
    return value[inverse]


class Trainer(transformers.Trainer):
    """transformers' Trainer with evaluation in length order, and gradient accumulation that averages the
    micro-batches' losses: the task models take **kwargs, so the Trainer would take them for models that normalise
    their loss by num_items_in_batch and leave it unscaled, but their losses are batch means (CrossEntropyLoss), so
    every accumulated gradient would be --gradient_accumulation_steps times too large (and clipped harder)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.model_accepts_loss_kwargs = False

    def length_order(self, dataset):
        """The order evaluation visits the features in: longest first (stable), or None for dataset order."""
        args = self.args
        if not getattr(args, "eval_group_by_length", False) or args.batch_eval_metrics \
                or not args.eval_do_concat_batches or dataset is None or not has_length(dataset):
            return None
        lengths = feature_lengths(dataset)
        return None if lengths is None else np.argsort(-lengths, kind="stable")

    def _get_eval_sampler(self, eval_dataset):
        if eval_dataset is None or not has_length(eval_dataset):
            return None
        order = self.length_order(eval_dataset)
        if order is not None:
            return LengthSortedSampler(order)
        return SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None

    def evaluation_loop(self, dataloader, *args, **kwargs):
        """transformers' loop over the length-sorted batches, its outputs (and what compute_metrics sees) in
        feature order."""
        order = self.length_order(getattr(dataloader, "dataset", None))
        if order is None:
            return super().evaluation_loop(dataloader, *args, **kwargs)
        restore = partial(_restore, inverse=np.argsort(order))
        compute = self.compute_metrics
        if compute is not None:
            self.compute_metrics = lambda p: compute(EvalPrediction(restore(p.predictions), restore(p.label_ids),
                                                                    restore(p.inputs), restore(p.losses)))
        try:
            output = super().evaluation_loop(dataloader, *args, **kwargs)
        finally:
            self.compute_metrics = compute
        return output._replace(predictions=restore(output.predictions), label_ids=restore(output.label_ids))


def selection_callbacks(args) -> list:
    """Callbacks of checkpoint selection: early stopping after --early_stopping_patience evaluations without
    improvement (the paper's code: 30). (transformers >= 5.20 also evaluates and saves at the last step of a
    steps-based run, so a run shorter than --eval_steps still selects on the dev set, as jiant's does.)"""
    callbacks = []
    patience = getattr(args, "early_stopping_patience", None)
    if patience and args.load_best_model_at_end and args.eval_strategy != "no":
        callbacks.append(transformers.EarlyStoppingCallback(early_stopping_patience=patience))
    return callbacks


class KeepBestInMemory(transformers.TrainerCallback):
    """Checkpoint selection without checkpoints on disk, for many short runs (few-shot): after each evaluation a
    CPU copy of the weights is kept when `metric` improved (higher is better); training stops after `patience`
    evaluations without improvement (0: never); the best weights are loaded at the end."""

    def __init__(self, metric: str, patience: int = 0):
        self.metric, self.patience = metric, patience
        self.best, self.weights, self.waited = None, None, 0

    def on_evaluate(self, args, state, control, model=None, metrics=None, **kwargs):
        value = (metrics or {}).get(f"eval_{self.metric}")
        if value is None:
            return
        if self.best is None or value > self.best:
            self.best, self.waited = value, 0
            self.weights = {name: tensor.detach().to("cpu", copy=True) for name, tensor in model.state_dict().items()}
        else:
            self.waited += 1
            control.should_training_stop = bool(self.patience) and self.waited >= self.patience

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if self.weights is not None:
            model.load_state_dict(self.weights)
