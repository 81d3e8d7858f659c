"""The training set of a run: one or several languages of a task's training data, optionally code-switched.

--train_languages en,de,fr reads train-<lang>.jsonl of the local layout for each language (e.g. XTREME's
machine-translated training sets, or your own translations) and concatenates them; from the hub, only tasks
whose hub copy has one config (or filter) per language can do this. --max_train_samples applies per language.
--augment codeswitch then replaces words by dictionary translations (utils/augment.py); --augment wordorder
reorders the clauses of parsed tagging sentences (utils/wordorder.py). 'auto' (--augment_languages, --word_order)
is resolved from the evaluation languages by resolve_augment.
"""
import logging
from pathlib import Path

import datasets

from tasks.kinds import kind_of
from utils.augment import CodeSwitcher, augment_dataset, auto_codeswitch, dictionary_languages, load_dictionaries

logger = logging.getLogger(__name__)


def split_codes(value) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()] if value else []


def has_language_configs(spec) -> bool:
    return "{lang}" in (spec.hub_config or "") or bool(spec.hub_filter and "{lang}" in spec.hub_filter[1])


def training_languages(data_args) -> list[str]:
    """--train_languages, default English."""
    return split_codes(data_args.train_languages) or ["en"]


def training_examples(data, limit=None, options=None, seed=0):
    """data: an engine.runner.TaskData, whose data arguments name the training languages (--train_languages, a
    comma list; default en); options: the run's utils.args.RunOptions, whose augmentation shapes the set."""
    languages = training_languages(data.data_args)
    augment = options.augmenting if options is not None else None
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
    if augment is not None and augment.augment == "wordorder":
        from utils.wordorder import reorder_dataset
        require_parses(spec, data.data_args, dataset)
        resolved = augment.augment_resolved or resolve_augment(augment)
        dataset = reorder_dataset(dataset, resolved["word_order"] if resolved else augment.word_order)
    elif augment is not None:
        resolved = augment.augment_resolved or resolve_augment(augment)
        codes = resolved["languages"] if resolved else split_codes(augment.augment_languages)
        ratio = resolved["ratio"] if resolved else augment.augment_ratio
        switcher = CodeSwitcher(load_dictionaries(augment.dictionaries, codes), ratio, seed)
        files = [Path(augment.dictionaries or ".") / f"en-{code}.txt" for code in codes]
        stamp = ";".join(f"{f}:{f.stat().st_mtime_ns}:{f.stat().st_size}" for f in files)  # edits invalidate the cache
        dataset = augment_dataset(dataset, kind_of(spec), switcher, fingerprint_extra=stamp)
    return dataset


def evaluation_targets(augment, spec=None, data_args=None) -> list[str]:
    """The languages 'auto' aims at: --augment_target_languages, else a target run's evaluation languages
    (--languages, resolved); English is left out."""
    from tasks import resolve_languages
    codes = split_codes(augment.augment_target_languages)
    if not codes and spec is not None and spec.is_target and data_args is not None:
        codes = resolve_languages(spec, data_args.languages)
    codes = [code for code in codes if code != "en"]
    if not codes:
        raise ValueError("--augment_languages auto / --word_order auto: no evaluation languages to aim at; pass "
                         "--augment_target_languages (e.g. fi,sw): run_intermediate.py has no evaluation languages")
    return codes


def resolve_augment(augment, spec=None, data_args=None) -> dict | None:
    """What 'auto' stands for in this run (None when it is not asked): --augment_languages auto -> the languages
    and ratio of utils.augment.auto_codeswitch; --word_order auto -> the most frequent dominant order (URIEL's
    WALS data) among the evaluation languages, a tie going to the order more languages of the world have."""
    from utils.typology import most_frequent_order
    if augment.augment == "codeswitch" and augment.augment_languages == "auto":
        return auto_codeswitch(evaluation_targets(augment, spec, data_args), dictionary_languages(augment.dictionaries),
                               augment.augment_ratio, augment.augment_auto_k)
    if augment.augment == "wordorder" and augment.word_order == "auto":
        targets = evaluation_targets(augment, spec, data_args)
        order, orders = most_frequent_order(targets)
        logger.info("--word_order auto -> %s (dominant orders: %s)", order, orders)
        return {"rule": "the most frequent dominant order (URIEL, WALS 81A) among the evaluation languages; a tie "
                        "goes to the order more of the world's languages have (SOV, SVO, VSO, VOS, OVS, OSV)",
                "word_order": order, "evaluation_languages": targets, "orders": orders}
    return None


def require_parses(spec, data_args, dataset=None, where="the training data"):
    """--augment wordorder needs tagging data with a dependency tree ("heads", "deprels"); dataset None: data not
    loaded because it comes from the hub, whose tagging sets have none."""
    if spec.kind != "tagging":
        raise ValueError(f"--augment wordorder reorders dependency-parsed tagging sentences (e.g. udpos as an "
                         f"intermediate task); task {spec.name!r} is {spec.kind}")
    parsed = dataset is not None and {"heads", "deprels"} <= set(dataset.column_names) \
        and any(heads is not None for heads in dataset["heads"])
    if not parsed:
        source = "--data_dir" if data_args.data_dir else f"the hub copy ({spec.hub_path or 'none'})"
        raise ValueError(f"--augment wordorder: {where} of {spec.name!r} from {source} has no dependency parse "
                         f"(fields heads, deprels); convert a treebank with prepare_data.py --from_raw conllu "
                         f"--task {spec.name} --split train --lang en ... and pass --data_dir")
