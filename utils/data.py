"""Loading a task's split from the local layout (DIR/<task>/<split>-<lang>.jsonl) or from the hub.

Both paths give a `datasets.Dataset` in the kind's schema (DESIGN.md), so the kind modules never see where
the data came from. Local files go through `load_dataset("json")`, so tokenisation results are cached by
datasets' fingerprinting across runs. Errors name the file and line.
"""
import json
import logging
import os
import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import datasets
from datasets.exceptions import DatasetNotFoundError

from utils.hub_access import HUB_EXPORT_REVISIONS

logger = logging.getLogger(__name__)
hub_load = datasets.load_dataset  # tests replace this with a stand-in loader


def local_path(data_dir, task: str, split: str, lang: str) -> Path:
    return Path(data_dir) / task / f"{split}-{lang}.jsonl"


def iter_jsonl(path):
    """Yield (line_number, object) for each non-blank line; malformed JSON is an error naming file and line."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{number}: not a valid JSON line ({e.msg}); expected one JSON object "
                                 "per line") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj


def read_jsonl(path) -> list[dict]:
    return [obj for _, obj in iter_jsonl(path)]


def line_of(path, row: int) -> int:
    """The 1-based line number of the row-th (0-based) JSON object in path (blank lines are skipped)."""
    for index, (number, _) in enumerate(iter_jsonl(path)):
        if index == row:
            return number
    return row + 1


def load_local(path) -> datasets.Dataset:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; expected the local layout DIR/<task>/<split>-<lang>.jsonl "
                                "(prepare_data.py writes it)")
    try:
        dataset = datasets.load_dataset("json", data_files=str(path), split="train")
    except Exception as error:  # find the offending line, then fall back to the library's message
        if next(iter_jsonl(path), None) is None:  # blank lines only: datasets finds "no data"
            raise ValueError(f"{path}: the file is empty; expected one JSON object per line") from None
        for _ in iter_jsonl(path):
            pass
        raise ValueError(f"{path}: could not be read as JSON lines ({error})") from error
    if len(dataset) == 0:
        raise ValueError(f"{path}: the file is empty; expected one JSON object per line")
    return dataset


PARQUET_REVISION = "refs/convert/parquet"  # the hub's automatic Parquet export of a repository
HUB_MIRROR = "XSTILTS_HUB_MIRROR"  # DIR: hub id owner/name is read from DIR/owner/name (an offline copy of the hub)
SCRIPT_REFUSED = "scripts are no longer supported"  # datasets >= 4 on a repository that is a loading script


def hub_location(hub_id: str, revision: str | None = None) -> tuple:
    """(path, revision) for `load_dataset`: the hub id itself, or with XSTILTS_HUB_MIRROR=DIR the local folder
    DIR/owner/name, a revision other than main in DIR/owner/name@<revision> ("/" written %2F, as in hub URLs)."""
    mirror = os.environ.get(HUB_MIRROR)
    if not mirror:
        return hub_id, revision
    folder = Path(mirror) / (hub_id + (f"@{quote(revision, safe='')}" if revision else ""))
    if not folder.is_dir():
        raise FileNotFoundError(f"{HUB_MIRROR}={mirror}: no folder {folder.name} for hub dataset {hub_id} "
                                f"(expected {folder}, a copy of the hub repository at {revision or 'main'})")
    return str(folder), None


def _hub_split(path, config, split, cache_dir, task):
    """One hub split of a task, by hub_read's route."""
    return hub_read(path, config, split=split, cache_dir=cache_dir, tasks=(task,))[0]


def hub_read(path, config, tasks=(), **options) -> tuple:
    """(load_dataset(path, config, **options), whether it came from the Parquet export). A dataset still published
    as a loading script (datasets >= 4 refuses those: allenai/social_i_qa, allenai/cosmos_qa) is read from the hub's
    Parquet export at its pinned revision (utils.hub_access.HUB_EXPORT_REVISIONS); tasks: the tasks reading it, named
    when neither route exists. The export holds one folder per config
    and no README, so datasets sees a single config "default": the config is selected by its folder (data_dir)."""
    try:
        return hub_load(hub_location(path)[0], config, **options), False
    except RuntimeError as error:
        if SCRIPT_REFUSED not in str(error):
            raise
    revision, folder = HUB_EXPORT_REVISIONS.get(path, PARQUET_REVISION), config or "default"
    logger.warning("%s is a loading-script dataset: reading %s/ of its Parquet export at %s%s", path, folder,
                   revision, "" if re.fullmatch(r"[0-9a-f]{40}", revision) else " (a ref, not a pinned commit)")
    try:
        location, revision = hub_location(path, revision)
        return hub_load(location, revision=revision, data_dir=folder, **options), True
    except (FileNotFoundError, DatasetNotFoundError) as error:
        raise no_hub_route(path, folder, error, tasks) from None


def no_hub_route(path, folder, error, names=()) -> ValueError:
    """Neither the repository (a loading script) nor its Parquet export can be read: the tasks reading it (names)
    need --data_dir (an InputError: one line, which the pre-flight raises where the hub answers,
    engine/preflight.check_hub_export)."""
    from utils.args import InputError
    names = list(names) or ["<task>"]
    files = ", ".join(f"DIR/{name}/<split>-<lang>.jsonl" for name in names)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return InputError(f"{path} is a loading script (datasets >= 4 refuses it) and its Parquet export has no "
                      f"{folder}/ ({reason}): task {', '.join(names)} needs --data_dir DIR with {files} in the "
                      f"kind's schema (prepare_data.py --tasks {','.join(names)} --out DIR writes it wherever the "
                      "hub copy loads, e.g. with datasets < 4)")


def load_hub(spec, split: str, lang: str, cache_dir=None) -> datasets.Dataset:
    """The hub split(s) of one language, concatenated (ANLI rounds) and filtered (XNLI, TyDiQA), unmapped."""
    names = spec.hub_split(split)
    names = names if isinstance(names, tuple) else (names,)
    config = spec.hub_config_for(lang)
    parts = [_hub_split(spec.hub_path, config, name, cache_dir, spec.name) for name in names]
    dataset = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    if spec.hub_filter:
        column, pattern = spec.hub_filter
        value = pattern.format(lang=spec.hub_lang_names.get(lang, lang))
        if column == "id":  # TyDiQA: the language is the id's prefix ("arabic-...")
            dataset = dataset.filter(lambda ids: [i.startswith(value + "-") for i in ids], batched=True,
                                     input_columns="id")
        else:
            dataset = dataset.filter(lambda vals: [v == value for v in vals], batched=True, input_columns=column)
    return dataset


def load_rows(spec, split: str, lang: str, data_args, kind, cache_dir=None) -> datasets.Dataset:
    """One split of one language in the kind's schema, repaired where the kind knows how (span QA: answer offsets),
    validated, its labels mapped onto its training task's where the registry says how (TaskSpec.label_map:
    MasakhaNER's DATE as O), and recorded (data_records); local layout when data_args.data_dir is set."""
    if data_args.data_dir:  # a task may read another task's files (squad_retrieval: DIR/squad/)
        where = local_path(data_args.data_dir, spec.data_task or spec.name, split, lang)
        dataset = load_local(where)
    elif spec.hub_path is None:
        raise ValueError(f"task {spec.name!r} has no hub copy (its data is licensed); pass --data_dir with "
                         f"{spec.name}/{split}-{lang}.jsonl (prepare_data.py --from_raw converts the originals)")
    else:
        where = f"{spec.hub_path}:{spec.hub_config_for(lang)}:{split}"
        dataset = kind.from_hub(spec, load_hub(spec, split, lang, cache_dir), lang)
    published = not data_args.data_dir
    dataset, changes = kind.repair(spec, dataset, where, published)
    kind.validate(spec, dataset, where)
    if spec.label_map and kind.LABEL_FIELD in dataset.column_names:  # scored as its training task's labels
        dataset = relabel(dataset, kind.LABEL_FIELD, spec.label_map, is_iob(spec.labels),
                          f"Mapping {spec.name}'s labels onto its training task's")
    record_load(spec, split, lang, where, len(dataset), changes, published)
    return dataset


def load_hub_rows(spec, split: str, lang: str, kind, cache_dir=None) -> datasets.Dataset:
    """One language's hub rows as published, repaired by `kind` (span QA: answer offsets) and recorded: for a
    hub copy read outside its task's schema (LAReQA: XQuAD-R's SQuAD rows become the candidate pool)."""
    where = f"{spec.hub_path}:{spec.hub_config_for(lang)}:{split}"
    dataset, changes = kind.repair(spec, load_hub(spec, split, lang, cache_dir), where, True)
    record_load(spec, split, lang, where, len(dataset), changes, True)
    return dataset


# ---- what loading did to the data: one record per (task, split, language), run_config.json "data" ----
_RECORDS = {}


def reset_data_records():
    """Forget the records (a run starts: utils/lifecycle.run_once)."""
    _RECORDS.clear()


def data_records() -> list[dict]:
    """The records of the sets loaded since the last reset, in load order."""
    return list(_RECORDS.values())


def hub_differences(spec, split, lang, rows, changes) -> list[str]:
    """How a set loaded from the hub differs from the official data: its size against the registry's official
    size, the registry's notes on the hub copy (TaskSpec.hub_differs), and what loading changed."""
    notes = list(spec.hub_notes(lang))
    official = spec.official_size(split, lang)
    if official is not None and rows + changes.get("dropped", 0) != official:
        cause = f" ({spec.hub_size_note})" if spec.hub_size_note else ""
        notes.append(f"{rows + changes.get('dropped', 0):,} rows on the hub, {official:,} in the official data{cause}")
    return notes


def record_load(spec, split, lang, where, rows, changes, published):
    """Record (and log, where anything differs) one loaded set: where it came from, its rows, the rows' official
    number, what loading changed (span QA: answers re-aligned, rows dropped) and how the set differs from the
    official data, with the route to the official files."""
    changes = {name: n for name, n in changes.items() if n}
    record = {"task": spec.name, "split": split, "lang": lang, "source": str(where), "rows": rows,
              "official_rows": spec.official_size(split, lang), **changes}
    notes = hub_differences(spec, split, lang, rows, changes) if published else []
    notes += [f"{n:,} {'answers' if name == 'realigned' else 'rows'} {name}" for name, n in changes.items()]
    if notes:
        record["differs"] = notes
        record["official_route"] = spec.official_route
        logger.warning("%s %s-%s (%s) differs from the official data: %s%s", spec.name, split, lang, where,
                       "; ".join(notes), f". Official files: {spec.official_route}" if spec.official_route else "")
    _RECORDS[spec.name, split, lang] = record


def ensure_ids(dataset: datasets.Dataset, prefix: str) -> datasets.Dataset:
    """Give every row an "id" (hub sets such as GLUE have none, or an int idx)."""
    if "id" in dataset.column_names:
        return dataset.cast_column("id", datasets.Value("string"))
    if "idx" in dataset.column_names:
        return dataset.map(lambda idx: {"id": str(idx)}, input_columns="idx", remove_columns=["idx"])
    return dataset.map(lambda _, i: {"id": f"{prefix}-{i}"}, with_indices=True)


def fail_at(path, row: int, message: str):
    """Raise a ValueError naming the file and line of the row-th (0-based) example (or the hub split)."""
    where = f"{path}:{line_of(path, row)}" if Path(str(path)).is_file() else f"{path} (row {row + 1})"
    raise ValueError(f"{where}: {message}")


def require_columns(dataset: datasets.Dataset, path, fields, nullable=()):
    """Every field is a column and (unless nullable) never null; else an error naming file and line."""
    for name in fields:
        if name not in dataset.column_names:
            fail_at(path, 0, f"missing field {name!r}; expected fields {', '.join(fields)}")
        if name in nullable:
            continue
        column = dataset.data.column(name)
        if column.null_count:
            row = column.is_null().to_pylist().index(True)
            fail_at(path, row, f"field {name!r} is missing or null; expected fields {', '.join(fields)}")


def check_values(dataset: datasets.Dataset, path, column: str, allowed, what: str):
    """Every value of a scalar column is in `allowed` (compared as strings); else an error naming the line."""
    allowed = {str(value) for value in allowed}
    bad = [value for value in dataset.unique(column) if str(value) not in allowed]
    if bad:
        row = [str(value) for value in dataset[column]].index(str(bad[0]))
        fail_at(path, row, f"{what} {bad[0]!r} is not one of {sorted(allowed)}")


# ---- --extra_eval sets (run_target.py): another domain's test set of the same task, its labels mapped ----
def is_iob(labels) -> bool:
    return all(label == "O" or label[:2] in ("B-", "I-") for label in labels)


def parse_label_map(value, spec, kind) -> dict:
    """--extra_eval_label_map "MISC=O,PER=PER" -> {"MISC": "O", "PER": "PER"}. Every target is one of the task's
    labels (kind: the task's tasks/kind.py object, whose LABEL_FIELD holds them); with IOB tags a key without B-/I-
    is an entity type and its target a type or O."""
    if not value:
        return {}
    if spec.labels is None or kind.LABEL_FIELD is None:
        raise ValueError(f"--extra_eval_label_map: task {spec.name!r} has no label set to map")
    types = sorted({label[2:] for label in spec.labels if label != "O"}) if is_iob(spec.labels) else None
    mapping = {}
    for item in (part.strip() for part in value.split(",") if part.strip()):
        key, sep, target = (text.strip() for text in item.partition("="))
        if not sep or not key or not target:
            raise ValueError(f"--extra_eval_label_map {item}: expected LABEL=LABEL (e.g. MISC=O)")
        if types is not None and key[:2] not in ("B-", "I-") and key != "O":
            if target != "O" and target not in types:
                raise ValueError(f"--extra_eval_label_map {item}: {target!r} is not an entity type of task "
                                 f"{spec.name!r} ({', '.join(types)}) or O")
        elif target not in spec.labels:
            raise ValueError(f"--extra_eval_label_map {item}: {target!r} is not a label of task {spec.name!r} "
                             f"({', '.join(spec.labels)})")
        mapping[key] = target
    return mapping


def map_label(label, mapping: dict, iob: bool):
    """One gold label under a parsed --extra_eval_label_map: the label itself first, then (IOB) its entity type."""
    if str(label) in mapping:
        return mapping[str(label)]
    if iob and str(label)[:2] in ("B-", "I-") and str(label)[2:] in mapping:
        target = mapping[str(label)[2:]]
        return target if target == "O" else str(label)[:2] + target
    return label


def relabel(dataset, field_name: str, mapping: dict, iob: bool, desc: str) -> datasets.Dataset:
    """The dataset with every label of field_name (a label or a list of them) mapped by map_label."""
    def mapped(values):
        return [[map_label(v, mapping, iob) for v in value] if isinstance(value, list)
                else str(map_label(value, mapping, iob)) for value in values]
    return dataset.map(lambda values: {field_name: mapped(values)}, input_columns=field_name, batched=True, desc=desc)


def unmapped_labels(labels, mapping: dict, allowed) -> list:
    """The labels that neither are one of `allowed` nor map (map_label) onto one of them."""
    iob = is_iob(labels)
    return [label for label in labels if label not in allowed and map_label(label, mapping, iob) not in allowed]


def load_extra_set(spec, directory, lang: str, kind, mapping=None) -> datasets.Dataset:
    """An --extra_eval test set, DIR/<task>/test-<lang>.jsonl in the kind's schema: its gold labels mapped, then
    each checked against the task's label set (an unmapped outsider is an error naming the file, line and label),
    then the schema validated."""
    path = local_path(directory, spec.data_task or spec.name, "test", lang)
    dataset = load_local(path)
    field_name = kind.LABEL_FIELD
    if field_name not in dataset.column_names or spec.labels is None:
        kind.validate(spec, dataset, path)
        return dataset
    if mapping:
        dataset = relabel(dataset, field_name, mapping, is_iob(spec.labels), f"Mapping the labels of {path}")
    allowed = {str(label) for label in spec.labels}
    for row, value in enumerate(dataset[field_name]):
        labels = value if isinstance(value, list) else [value]
        bad = next((label for label in labels if label is not None and str(label) not in allowed), None)
        if bad is not None:  # (a missing label is left to the schema check)
            fail_at(path, row, f"label {bad!r} is not a label of task {spec.name!r} ({', '.join(spec.labels)}) and "
                               "--extra_eval_label_map does not map it (e.g. --extra_eval_label_map MISC=O)")
    kind.validate(spec, dataset, path)
    return dataset


def load_translated_set(spec, directory, lang: str, kind, original) -> datasets.Dataset:
    """A --translate_test set, DIR/<task>/test-<lang>.jsonl: the English translations of lang's test set (original)
    in the kind's schema, one row per original id, in the original's order, each with the original's gold answer
    (kind.TRANSLATE_TEST_GOLD; a label in the file is replaced). Ids missing, unknown or repeated are an error
    naming the file, how many and the first few."""
    path = local_path(directory, spec.data_task or spec.name, "test", lang)
    dataset = load_local(path)
    if "id" not in dataset.column_names:
        raise ValueError(f"{path}: no 'id' field; each translated row carries the id of its row of the {lang} test "
                         "set")
    ids, wanted = [str(i) for i in dataset["id"]], [str(i) for i in original["id"]]
    position = {i: row for row, i in enumerate(ids)}
    known = set(wanted)
    problems = ((f"of the {len(wanted)} ids of the {lang} test set have no translation",
                 [i for i in wanted if i not in position]),
                (f"ids are not in the {lang} test set", [i for i in position if i not in known]),
                ("ids are repeated", [i for i, n in Counter(ids).items() if n > 1]))
    for what, which in problems:
        if which:
            raise ValueError(f"{path}: {len(which)} {what} (first: {', '.join(which[:5])}); expected exactly one "
                             "translated row per id of the original test set")
    gold = kind.TRANSLATE_TEST_GOLD
    dataset = dataset.select([position[i] for i in wanted])
    if gold in dataset.column_names:
        dataset = dataset.remove_columns(gold)
    dataset = dataset.add_column(gold, original[gold])
    kind.validate(spec, dataset, path)
    return dataset
