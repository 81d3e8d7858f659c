"""`--task custom`: the user's own JSONL/CSV corpus, trained exactly like a built-in task.

The files are converted once into the kind's schema in the local layout <output_dir>/custom_data/custom/
<split>-en.jsonl (so the usual loading, validation and caching apply), and a TaskSpec is built on the fly.
Columns per --task_kind (--text_columns in this order; --label_column):
  classification   1 or 2 text columns (text_a, text_b); label: any value, the label set is read from the
                   training file (sorted)
  multiple_choice  the context column, then one column per choice (or one column holding the list of choices);
                   label: the index of the right choice (0-based)
  span_qa          context, question; label: the answer text (its first occurrence in the context) or a SQuAD
                   answers object {"text": [..], "answer_start": [..]}
  tagging          a tokens column (a list, or a string split on whitespace); label: the tags (same form)
Files: .jsonl/.json (one object per line), .csv, .tsv (with a header). An "id" column is used when present.
"""
import csv
from dataclasses import replace
from pathlib import Path

from tasks.spec import TaskSpec
from utils.data import is_iob, iter_jsonl, read_jsonl
from utils.results import write_jsonl_atomic



def custom_kinds() -> dict:
    """The kinds --task custom supports (Kind.CUSTOM_METRIC): name -> kind."""
    from tasks import KINDS
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


def _listed(value, where, what):
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    raise ValueError(f"{where}: {what} must be a list or a whitespace-separated string, got {value!r}")


def _answers(value, context, where):
    if isinstance(value, dict):
        return {"text": list(value.get("text", [])), "answer_start": list(value.get("answer_start", []))}
    text = "" if value is None else str(value)
    start = context.find(text) if text else -1
    if text and start < 0:
        raise ValueError(f"{where}: the answer {text!r} does not occur in the context")
    return {"text": [text], "answer_start": [start]} if text else {"text": [], "answer_start": []}


def convert_row(kind, row, texts, label, where):
    """One input row -> one row of the kind's schema (without id)."""
    values = [row[c] for c in texts]
    if kind == "classification":
        if len(values) not in (1, 2):
            raise ValueError(f"--text_columns: classification takes 1 or 2 columns, got {len(values)}")
        return {"text_a": values[0], "text_b": values[1] if len(values) > 1 else None, "label": str(row[label])}
    if kind == "multiple_choice":
        choices = values[1] if len(values) == 2 and isinstance(values[1], list) else values[1:]
        if str(row[label]).strip().lstrip("-").isdigit() and 0 <= int(row[label]) < len(choices):
            return {"context": values[0], "choices": [str(c) for c in choices], "label": int(row[label])}
        raise ValueError(f"{where}: label {row[label]!r} is not the index of one of the {len(choices)} choices")
    if kind == "span_qa":
        return {"context": values[0], "question": values[1], "answers": _answers(row[label], values[0], where)}
    tokens, tags = _listed(values[0], where, "tokens"), _listed(row[label], where, "tags")
    if len(tokens) != len(tags):
        raise ValueError(f"{where}: {len(tokens)} tokens but {len(tags)} tags; expected one tag per token")
    return {"tokens": tokens, "tags": tags}


def convert_file(path, split, kind, texts, label):
    rows = []
    for number, row in read_table(path):
        missing = [c for c in texts + [label] if c not in row]
        if missing:
            option = "--label_column" if missing[0] == label else "--text_columns"
            raise ValueError(f"{path}:{number}: no column {missing[0]!r} ({option}); the file has columns "
                             f"{', '.join(map(str, row))}")
        converted = convert_row(kind, row, texts, label, f"{path}:{number}")
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
    converted = {split: convert_file(path, split, kind, texts, options.label_column)
                 for split, path in files.items() if path}
    spec = TaskSpec("custom", kind, kinds[kind].CUSTOM_METRIC, hub_path=None, max_seq_length=kinds[kind].CUSTOM_MAX_LENGTH,
                    description=f"custom {kind} task from {options.train_file}")
    if kind == "classification":
        labels = tuple(sorted({row["label"] for row in converted["train"]}))
        spec = replace(spec, labels=labels, binary_f1=len(labels) == 2)  # two labels: F1 beside accuracy
        for split, rows in converted.items():
            unknown = next((row for row in rows if row["label"] not in spec.labels), None)
            if unknown:
                raise ValueError(f"{files[split]}:{unknown['_line']}: label {unknown['label']!r} does not occur "
                                 f"in the training file {options.train_file} (labels: {', '.join(spec.labels)})")
    if kind == "tagging" and is_iob({t for r in converted["train"] for t in r["tags"]}):
        spec = replace(spec, metric="f1")  # BIO tags: seqeval's entity F1
    for split, rows in converted.items():  # rewritten only when changed (keeps datasets' cache of the file valid)
        path = directory / "custom" / f"{split}-en.jsonl"
        rows = [{k: v for k, v in row.items() if k != "_line"} for row in rows]
        if not path.is_file() or read_jsonl(path) != rows:
            write_jsonl_atomic(path, rows)
    return spec, directory
