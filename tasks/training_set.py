"""The training set of a run: one or several languages of a task's training data, optionally code-switched.

--train_languages en,de,fr reads train-<lang>.jsonl of the local layout for each language (e.g. XTREME's
machine-translated training sets, or your own translations) and concatenates them; from the hub, only tasks
whose hub copy has one config (or filter) per language can do this. --max_train_samples applies per language.
--augment codeswitch then replaces words by dictionary translations (utils/augment.py).
"""
from pathlib import Path

import datasets

from utils.augment import CodeSwitcher, augment_dataset, load_dictionaries


def split_codes(value) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()] if value else []


def has_language_configs(spec) -> bool:
    return "{lang}" in (spec.hub_config or "") or bool(spec.hub_filter and "{lang}" in spec.hub_filter[1])


def _option(groups, name):
    return next((getattr(group, name) for group in groups if getattr(group, name, None)), None)


def training_languages(data_args, options=()) -> list[str]:
    """--train_languages (DataArguments; an option group may carry it too), default English."""
    return split_codes(_option((*options, data_args), "train_languages")) or ["en"]


def training_examples(data, limit=None, options=(), seed=0):
    """data: a tasks.runner.TaskData; options: argument dataclasses, of which `train_languages` (a comma list;
    default en) and the AugmentArguments fields (`augment`, ...) are used where present."""
    languages = training_languages(data.data_args, options)
    augment = next((group for group in options if _option([group], "augment")), None)
    spec = data.spec
    if languages != ["en"] and not data.data_args.data_dir and not has_language_configs(spec):
        raise ValueError(f"--train_languages {','.join(languages)}: task {spec.name!r} has no per-language "
                         f"training data on the hub; pass --data_dir with {spec.name}/train-<lang>.jsonl files")
    parts = [data.examples("train", lang, limit) for lang in languages]
    if len(parts) > 1:  # ids stay unique across translations of the same example
        parts = [part.map(lambda ids, lang=lang: {"id": [f"{lang}:{i}" for i in ids]}, batched=True,
                          input_columns="id") if "id" in part.column_names else part
                 for lang, part in zip(languages, parts)]
    dataset = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    if augment is not None:
        if augment.augment != "codeswitch":
            raise ValueError(f"--augment {augment.augment!r}: the only augmentation is 'codeswitch'")
        codes = split_codes(augment.augment_languages)
        switcher = CodeSwitcher(load_dictionaries(augment.dictionaries, codes), augment.augment_ratio, seed)
        files = [Path(augment.dictionaries or ".") / f"en-{code}.txt" for code in codes]
        stamp = ";".join(f"{f}:{f.stat().st_mtime_ns}:{f.stat().st_size}" for f in files)  # edits invalidate the cache
        dataset = augment_dataset(dataset, spec.kind, switcher, fingerprint_extra=stamp)
    return dataset
