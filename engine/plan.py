"""What a run reads: its training task and languages, the dev set that selects its checkpoint, its evaluation
splits and languages."""
from engine.training_set import training_languages


def selection_languages(data_args, options=()) -> list[str]:
    """The languages whose dev sets select the checkpoint: English, or the training languages without it."""
    languages = training_languages(data_args, options)
    return ["en"] if "en" in languages else languages


def selection_limit(data_args):
    """Dev examples per language that select the checkpoint: --selection_examples (the recipe's 500; 0 = all),
    within --max_eval_samples."""
    limits = [n for n in (data_args.selection_examples, data_args.max_eval_samples) if n]
    return min(limits) if limits else None
