"""The HF Trainer, with evaluation and prediction in feature order.

transformers 5 also length-groups EVALUATION batches when train_sampling_strategy is "group_by_length" (this
project's training default), so Trainer.predict returns predictions in a shuffled order. The kinds' postprocess
aligns predictions with features by position, so evaluation must be sequential (in distributed runs accelerate
shards in order and gathers back in order).
"""
import transformers
from torch.utils.data import SequentialSampler
from transformers.trainer_utils import has_length


class Trainer(transformers.Trainer):
    def _get_eval_sampler(self, eval_dataset):
        if eval_dataset is None or not has_length(eval_dataset):
            return None
        return SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None


def selection_callbacks(args) -> list:
    """Callbacks of checkpoint selection: early stopping after --early_stopping_patience evaluations without
    improvement (the paper's code: 30). (transformers >= 5.20 also evaluates and saves at the last step of a
    steps-based run, so a run shorter than --eval_steps still selects on the dev set, as jiant's does.)"""
    callbacks = []
    patience = getattr(args, "early_stopping_patience", None)
    if patience and args.load_best_model_at_end and args.eval_strategy != "no":
        callbacks.append(transformers.EarlyStoppingCallback(early_stopping_patience=patience))
    return callbacks
