"""Multi-task training with the HF Trainer: a model of task heads sharing one encoder, their training features
end to end, a collator that routes each batch to its task, and a Trainer that draws one task per batch.

Features carry a `task_id` column that routes each batch to its head; utils/sampling.TaskBatchSampler draws
the task of every batch. The Trainer is handed `entries`: one object per task (in task_id order) with `name`,
`spec.metric`, `model` (the head), `train_features` and, for tasks with a dev set, `selection` (EvalPrediction ->
dev metrics); checkpoints are selected on "average", the mean of those tasks' selection metrics (QA: avg).
"""
import inspect
from contextlib import contextmanager
from functools import partial

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from transformers.trainer_utils import seed_worker
from transformers.utils import find_labels

from utils.sampling import TaskBatchSampler
from utils.trainer import Trainer


class MultiTaskModel(nn.Module):
    """Task models sharing one encoder; forward(task_id, **inputs) runs the head of the batch's task."""
    accepts_loss_kwargs = False  # each head's loss is a batch mean; the Trainer scales it for accumulation

    def __init__(self, task_models: dict):
        super().__init__()
        encoders = [model.base_model for model in task_models.values()]
        # the encoder with a pooler, if any head uses one (BERT classification, multiple choice)
        shared = next((e for e in encoders if getattr(e, "pooler", None) is not None), encoders[0])
        for model in task_models.values():
            setattr(model, model.base_model_prefix, shared)
            output = model.get_output_embeddings()
            if output is not None and getattr(model.config, "tie_word_embeddings", True):
                output.weight = shared.get_input_embeddings().weight  # MLM decoder tied to the shared embeddings
        self.encoder = shared
        self.heads = nn.ModuleDict(task_models)
        self.task_names = list(task_models)

    @property
    def base_model(self):
        return self.encoder

    def forward(self, task_id, **inputs):
        return self.heads[self.task_names[int(task_id[0])]](**inputs)

    def activation_checkpointing_enable(self, **kwargs):
        self.encoder.activation_checkpointing_enable(**kwargs)

    def _aliases(self) -> dict:
        """{key: first key of the same tensor}: the shared encoder as seen from each head, tied embeddings."""
        first, aliases = {}, {}
        for key, tensor in super().state_dict(keep_vars=True).items():
            identity = (tensor.data_ptr(), tuple(tensor.shape), tensor.dtype)
            if identity in first and tensor.numel():
                aliases[key] = first[identity]
            else:
                first.setdefault(identity, key)
        return aliases

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Each tensor once (safetensors refuses shared tensors); load_state_dict restores the aliases."""
        state = super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
        for key in self._aliases():
            state.pop(prefix + key, None)
        return state

    def load_state_dict(self, state_dict, strict=True, assign=False):
        state = dict(state_dict)
        for key, canonical in self._aliases().items():
            if key not in state and canonical in state:
                state[key] = state[canonical]
        return super().load_state_dict(state, strict=strict, assign=assign)


class MultiTaskDataset(torch.utils.data.Dataset):
    """The tasks' training features end to end: global index = the task's offset + its row."""

    def __init__(self, parts):
        self.parts = list(parts)
        self.offsets = np.cumsum([0] + [len(part) for part in self.parts])

    def __len__(self):
        return int(self.offsets[-1])

    def _locate(self, index):
        task = int(np.searchsorted(self.offsets, index, side="right")) - 1
        return task, int(index - self.offsets[task])

    def __getitem__(self, index):
        task, row = self._locate(index)
        return self.parts[task][row]

    def __getitems__(self, indices):  # a batch of one task: one fetch from its dataset
        task, _ = self._locate(indices[0])
        rows = [int(i - self.offsets[task]) for i in indices]
        if all(0 <= row < len(self.parts[task]) for row in rows):
            return self.parts[task].__getitems__(rows)
        return [self[i] for i in indices]


class MultiTaskCollator:
    """Collates a batch of one task with that task's collator and adds the batch's task_id."""

    def __init__(self, collators):
        self.collators = list(collators)

    def __call__(self, features):
        tasks = {int(feature["task_id"]) for feature in features}
        if len(tasks) != 1:
            raise ValueError(f"a multi-task batch mixes tasks {sorted(tasks)}; batches must come from "
                             "TaskBatchSampler (one task per batch)")
        task = tasks.pop()
        batch = self.collators[task]([{k: v for k, v in f.items() if k != "task_id"} for f in features])
        batch["task_id"] = torch.full((len(features),), task, dtype=torch.long)
        return batch


class MultiTaskTrainer(Trainer):
    """The HF Trainer with a task-per-batch train loader, per-task dev evaluation and per-task loss logs."""

    def __init__(self, *args, entries, probabilities, **kwargs):
        self.entries, self.probabilities, self.task_losses = entries, list(probabilities), {}
        super().__init__(*args, **kwargs)

    def task_sampler(self):
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        return TaskBatchSampler([len(e.train_features) for e in self.entries], self.probabilities,
                                self._train_batch_size, seed=seed, world_size=self.args.world_size)

    def get_train_dataloader(self):
        """One task per batch. The sampler is the same on every rank; accelerate shards it by batch."""
        args = self.args
        loader = DataLoader(self.train_dataset, batch_sampler=self.task_sampler(),
                            collate_fn=self._get_collator_with_removed_columns(self.data_collator, "training"),
                            num_workers=args.dataloader_num_workers, pin_memory=args.dataloader_pin_memory,
                            persistent_workers=args.dataloader_persistent_workers,
                            prefetch_factor=args.dataloader_prefetch_factor,
                            worker_init_fn=partial(seed_worker, num_workers=args.dataloader_num_workers,
                                                   rank=args.process_index))
        return self.accelerator.prepare(loader)

    def _set_signature_columns_if_needed(self):
        if self._signature_columns is None:
            names = {"task_id", "label", "label_ids"}
            for head in self.model.heads.values():
                names |= set(inspect.signature(head.forward).parameters)
            self._signature_columns = sorted(names)

    @contextmanager
    def task(self, entry, with_metrics=True):
        """Evaluate/predict as `entry`'s task: its label names and (with_metrics) its dev metrics."""
        saved = self.label_names, self.compute_metrics
        self.label_names = find_labels(type(entry.model))
        self.compute_metrics = entry.selection if with_metrics else None
        try:
            yield
        finally:
            self.label_names, self.compute_metrics = saved

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
        """Every supervised task's English dev set, plus <prefix>_average: the mean of their own metrics."""
        if eval_dataset is not None:
            return super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)
        metrics, main = {}, []
        for entry in (e for e in self.entries if e.selection is not None):
            prefix = f"{metric_key_prefix}_{entry.name}"
            with self.task(entry):
                output = self.evaluation_loop(self.get_eval_dataloader(entry.name), f"Evaluation ({entry.name})",
                                              ignore_keys=ignore_keys, metric_key_prefix=prefix)
            metrics.update(output.metrics)
            main.append(output.metrics[f"{prefix}_{entry.spec.selection_metric}"])  # QA: (EM + F1) / 2
        metrics[f"{metric_key_prefix}_average"] = float(np.mean(main))
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        name = self.entries[int(inputs["task_id"][0])].name
        result = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        if model.training:
            loss = (result[0] if return_outputs else result).detach()
            total, count = self.task_losses.get(name, (0.0, 0))
            self.task_losses[name] = (total + loss, count + 1)
        return result

    def log(self, logs, *args, **kwargs):
        """Training logs gain loss_<task>: the mean loss of this process's batches of each task since the last log."""
        if "loss" in logs:
            for name, (total, count) in sorted(self.task_losses.items()):
                logs[f"loss_{name}"] = round(float(total) / count, 4)
            self.task_losses = {}
        super().log(logs, *args, **kwargs)
