"""Loading a task's split from the local layout (DIR/<task>/<split>-<lang>.jsonl) or from the hub.

Both paths give a `datasets.Dataset` in the kind's schema (DESIGN.md), so the kind modules never see where
the data came from. Local files go through `load_dataset("json")`, so tokenisation results are cached by
datasets' fingerprinting across runs. Errors name the file and line.
"""
import json
import logging
from pathlib import Path

import datasets

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


def check_fields(path, rows, required_fields):
    """Every row has every required field (not null, except those allowed to be null)."""
    for index, row in enumerate(rows):
        missing = [name for name in required_fields if name not in row]
        if missing:
            raise ValueError(f"{path}:{line_of(path, index)}: missing field(s) {', '.join(missing)}; "
                             f"expected fields {', '.join(required_fields)}")


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


PARQUET_REVISION = "refs/convert/parquet"


def _hub_split(path, config, split, cache_dir):
    """One hub split; a dataset still published as a loading script (datasets >= 4 refuses to run those, e.g.
    allenai/social_i_qa) is read from the hub's own Parquet conversion instead."""
    try:
        return hub_load(path, config, split=split, cache_dir=cache_dir)
    except RuntimeError as error:
        if "scripts are no longer supported" not in str(error):
            raise
        logger.warning("%s is a loading-script dataset; reading its Parquet conversion (%s)", path, PARQUET_REVISION)
        return hub_load(path, config or "default", split=split, cache_dir=cache_dir, revision=PARQUET_REVISION)


def load_hub(spec, split: str, lang: str, cache_dir=None) -> datasets.Dataset:
    """The hub split(s) of one language, concatenated (ANLI rounds) and filtered (XNLI, TyDiQA), unmapped."""
    names = spec.hub_split(split)
    names = names if isinstance(names, tuple) else (names,)
    config = spec.hub_config_for(lang)
    parts = [_hub_split(spec.hub_path, config, name, cache_dir) for name in names]
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
    """One split of one language in the kind's schema, validated; local layout when data_args.data_dir is set."""
    if data_args.data_dir:  # a task may read another task's files (squad_retrieval: DIR/squad/)
        path = local_path(data_args.data_dir, spec.data_task or spec.name, split, lang)
        dataset = load_local(path)
        kind.validate(spec, dataset, path)
        return dataset
    if spec.hub_path is None:
        raise ValueError(f"task {spec.name!r} has no hub copy (its data is licensed); pass --data_dir with "
                         f"{spec.name}/{split}-{lang}.jsonl (prepare_data.py --from_raw converts the originals)")
    dataset = kind.from_hub(spec, load_hub(spec, split, lang, cache_dir), lang)
    kind.validate(spec, dataset, f"{spec.hub_path}:{spec.hub_config_for(lang)}:{split}")
    return dataset


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
