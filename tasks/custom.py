"""`--task custom`: the user's own JSONL/CSV corpus, trained exactly like a built-in task.

The files are converted once into the kind's schema in the local layout <output_dir>/custom_data/custom/
<split>-en.jsonl (so the usual loading, validation and caching apply), and a TaskSpec is built on the fly.
--task_kind: a kind with CUSTOM_METRIC (tasks/kind.py); its custom_row says what --text_columns (in this order) and
--label_column hold, its custom_spec what the training file adds to the spec (classification: the label set).
Files: .jsonl/.json (one object per line), .csv, .tsv (with a header). An "id" column is used when present.
"""
import csv
from pathlib import Path

from tasks.spec import TaskSpec
from utils.data import iter_jsonl, read_jsonl
from utils.results import write_jsonl_atomic


def custom_kinds() -> dict:
    """The kinds --task custom supports (Kind.CUSTOM_METRIC): name -> kind."""
    from tasks.kinds import KINDS
    return {name: kind for name, kind in KINDS.items() if kind.CUSTOM_METRIC}


def read_table(path):
    """Yield (line number, row dict) of a JSONL, CSV or TSV file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (custom task data)")
    if path.suffix in (".jsonl", ".json"):
        yield from iter_jsonl(path)
        return
    if path.suffix not in (".csv", ".tsv"):
        raise ValueError(f"{path}: unknown file type {path.suffix!r}; expected .jsonl, .json, .csv or .tsv")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t" if path.suffix == ".tsv" else ",")
        for row in reader:
            yield reader.line_num, row


def convert_file(path, split, kind, texts, label):
    rows = []
    for number, row in read_table(path):
        missing = [c for c in texts + [label] if c not in row]
        if missing:
            option = "--label_column" if missing[0] == label else "--text_columns"
            raise ValueError(f"{path}:{number}: no column {missing[0]!r} ({option}); the file has columns "
                             f"{', '.join(map(str, row))}")
        converted = kind.custom_row([row[c] for c in texts], row[label], f"{path}:{number}")
        rows.append({"id": str(row.get("id") or f"{split}-{number}"), **converted, "_line": number})
    if not rows:
        raise ValueError(f"{path}: the file has no rows")
    return rows


def build_custom_task(options, output_dir):
    """(TaskSpec, data_dir) of --task custom, its files converted into <output_dir>/custom_data."""
    kind, texts = options.task_kind, [c.strip() for c in (options.text_columns or "").split(",") if c.strip()]
    kinds = custom_kinds()
    if kind not in kinds:
        raise ValueError(f"--task custom needs --task_kind, one of {', '.join(kinds)} (got {kind!r})")
    if not options.train_file or not options.validation_file or not texts or not options.label_column:
        raise ValueError("--task custom needs --train_file, --validation_file, --text_columns and --label_column")
    directory = Path(output_dir) / "custom_data"
    files = {"train": options.train_file, "validation": options.validation_file, "test": options.test_file}
    converted = {split: convert_file(path, split, kinds[kind], texts, options.label_column)
                 for split, path in files.items() if path}
    spec = TaskSpec("custom", kind, kinds[kind].CUSTOM_METRIC, hub_path=None,
                    max_seq_length=kinds[kind].CUSTOM_MAX_LENGTH, description=f"custom {kind} task from "
                    f"{options.train_file}")
    spec = kinds[kind].custom_spec(spec, converted["train"])
    field = kinds[kind].LABEL_FIELD
    for split, rows in converted.items() if spec.labels is not None else ():
        unknown = next((row for row in rows if row[field] not in spec.labels), None)
        if unknown:
            raise ValueError(f"{files[split]}:{unknown['_line']}: label {unknown[field]!r} does not occur "
                             f"in the training file {options.train_file} (labels: {', '.join(spec.labels)})")
    for split, rows in converted.items():  # rewritten only when changed (keeps datasets' cache of the file valid)
        path = directory / "custom" / f"{split}-en.jsonl"
        rows = [{k: v for k, v in row.items() if k != "_line"} for row in rows]
        if not path.is_file() or read_jsonl(path) != rows:
            write_jsonl_atomic(path, rows)
    return spec, directory
