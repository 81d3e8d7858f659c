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


class EvaluateAtEnd(transformers.TrainerCallback):
    """Evaluate and checkpoint at the last step too, so the final model is a candidate for selection (a run
    shorter than --eval_steps still selects on the dev set, as jiant's does)."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps and args.eval_strategy != "no":
            control.should_evaluate = True
            control.should_save = args.save_strategy != "no"
        return control


def selection_callbacks(args) -> list:
    """Callbacks of checkpoint selection: evaluation at the end, and early stopping after
    --early_stopping_patience evaluations without improvement (the paper's code: 30)."""
    callbacks = [EvaluateAtEnd()]
    patience = getattr(args, "early_stopping_patience", None)
    if patience and args.load_best_model_at_end and args.eval_strategy != "no":
        callbacks.append(transformers.EarlyStoppingCallback(early_stopping_patience=patience))
    return callbacks
