#!/usr/bin/env python
"""Check the hub's copies against what the code expects, before a run finds out: for a user with network.

    python scripts/check_hub.py [--tasks xnli,socialiqa]        (every registry task with a hub copy by default)

Streams one row of every (hub id, config, split) the registry names (`load_dataset(..., streaming=True)`, through
the same route as the runs: XSTILTS_HUB_MIRROR, the Parquet-export fallback) and checks it: the columns the code
reads (TaskSpec.hub_columns and hub_filter; SQuAD's columns for span QA and dual encoders), label names against
TaskSpec.labels (a ClassLabel's names in order, or a string label's value), the split itself. Prints one table:
  ok           the split loads and has what the code reads
  missing      the config, the split or a column the code reads is absent (a run would fail there)
  differs      label names or values differ from the registry's
  script-only  the repository is a loading script (datasets >= 4 refuses it); read from its Parquet export
Exit status 1 when anything is missing or differs.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tasks/ and utils/ live one folder up

import datasets  # noqa: E402

from tasks import TASKS, get_task  # noqa: E402
from utils.hub_access import HUB_EXPORT_REVISIONS  # noqa: E402
from tasks.kinds import kind_of  # noqa: E402
from tasks.kind import TrainedKind  # noqa: E402
from tasks.spec import SPLITS  # noqa: E402
from utils.data import PARQUET_REVISION, hub_read  # noqa: E402

HIDDEN = ("", "-1", -1)  # hidden test labels (GLUE, CommonsenseQA, HellaSwag test splits)


def registry_splits(spec, lang) -> list[str]:
    """The hub split names a run reads for one language: the evaluation splits, and train where the task trains
    on its own data (intermediate tasks; targets whose train_task is themselves); the hub's gaps left out."""
    trains = spec.train_task == spec.name or (not spec.is_target and isinstance(kind_of(spec), TrainedKind))
    ours = [s for s in SPLITS if (s != "train" or trains) and spec.hub_has_split(s, lang)]
    names = []
    for split in ours:
        name = spec.hub_split(split)
        names += [n for n in (name if isinstance(name, tuple) else (name,)) if n not in names]
    return names


def plan(task_names) -> dict:
    """{(hub id, config, split): [task, ...]} for the tasks' every language the hub has."""
    triples = {}
    for name in task_names:
        spec = get_task(name)
        for lang in [*spec.languages, *spec.xtreme_r_languages]:
            if lang in spec.hub_missing:
                continue
            for split in registry_splits(spec, lang):
                tasks = triples.setdefault((spec.hub_path, spec.hub_config_for(lang), split), [])
                tasks += [name] if name not in tasks else []
    return triples


def expected_columns(spec) -> dict:
    """{column: [subfields]} the code reads from a hub row of the task."""
    wanted = {}
    values = [v for value in spec.hub_columns.values() for v in (value if isinstance(value, list) else [value])]
    values += [spec.hub_columns.get(field, field) for field in kind_of(spec).HUB_FIELDS]  # span QA: SQuAD's
    if spec.hub_filter:
        values.append(spec.hub_filter[0])
    for value in values:
        if "{" in value:  # a template such as COPA's "{premise} What was the {question}?"
            for field in value.split("{")[1:]:
                wanted.setdefault(field.split("}")[0], [])
        else:
            column, _, inner = value.partition(".")
            wanted.setdefault(column, []).extend([inner] if inner else [])
    return wanted


def open_config(hub_id, config):
    """(IterableDatasetDict, read from the Parquet export) of one config, by the runs' route (utils/data.py)."""
    return hub_read(hub_id, config, streaming=True)


def label_problem(spec, features, row) -> str | None:
    """How the label column (or tags) differs from spec.labels, else None."""
    column = spec.hub_columns.get("label") or spec.hub_columns.get("tags")
    if not spec.labels or column not in row:
        return None
    feature = features.get(column) if features else None
    feature = getattr(feature, "feature", feature)  # a sequence of tags: its element
    if isinstance(feature, datasets.ClassLabel):
        if list(feature.names) != list(spec.labels):
            return f"{column} ClassLabel {feature.names} != registry labels {list(spec.labels)}"
        return None
    values = row[column] if isinstance(row[column], list) else [row[column]]
    bad = [v for v in values if str(v) not in spec.labels and v not in HIDDEN
           and not (isinstance(v, int) and 0 <= v < len(spec.labels))]
    return f"{column} value {bad[0]!r} not one of registry labels {list(spec.labels)}" if bad else None


def check_split(specs, dataset) -> tuple:
    """(status, detail) of one split's first row against every task that reads it."""
    features = dataset.features
    row = next(iter(dataset), None)
    if row is None:
        return "missing", "the split is empty"
    for spec in specs:
        for column, inner in expected_columns(spec).items():
            if column not in row:
                return "missing", f"column {column!r} (task {spec.name}); columns: {', '.join(row)}"
            lacking = [f for f in inner if not isinstance(row[column], dict) or f not in row[column]]
            if lacking:
                return "missing", f"{column}.{lacking[0]} (task {spec.name})"
    for spec in specs:
        problem = label_problem(spec, features, row)
        if problem:
            return "differs", f"{problem} (task {spec.name})"
    return "ok", ""


def check(task_names) -> list[dict]:
    """One record per (hub id, config, split): tasks, status, detail."""
    records, configs = [], {}
    for (hub_id, config, split), names in plan(task_names).items():
        record = {"tasks": ",".join(names), "hub_id": hub_id, "config": config or "(default)", "split": split}
        key = (hub_id, config)
        if key not in configs:
            try:
                configs[key] = open_config(hub_id, config)
            except Exception as error:  # any failure to open is the finding: the table names it
                configs[key] = " ".join(f"{type(error).__name__}: {error}".split())[:200]
        opened = configs[key]
        if isinstance(opened, str):
            records.append({**record, "status": "missing", "detail": opened})
            continue
        splits, script_only = opened
        if split not in splits:
            status, detail = "missing", f"no split {split!r}; the hub config has {', '.join(splits)}"
        else:
            status, detail = check_split([get_task(n) for n in names], splits[split])
        if script_only and status == "ok":
            revision = HUB_EXPORT_REVISIONS.get(hub_id, PARQUET_REVISION)
            status, detail = "script-only", f"read from its Parquet export ({revision})"
        records.append({**record, "status": status, "detail": detail})
    return records


def table(records) -> str:
    heads = ("tasks", "hub_id", "config", "split", "status", "detail")
    widths = {h: max(len(h), *(len(str(r[h])) for r in records)) for h in heads[:-1]}
    lines = ["  ".join(h.ljust(widths.get(h, 0)) for h in heads).rstrip()]
    lines += ["  ".join(str(r[h]).ljust(widths.get(h, 0)) for h in heads).rstrip() for r in records]
    counts = {s: sum(r["status"] == s for r in records) for s in ("ok", "missing", "differs", "script-only")}
    return "\n".join(lines + ["", "  ".join(f"{s} {n}" for s, n in counts.items())])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    parser.add_argument("--tasks", help="comma list of registry tasks (default: every task with a hub copy)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.tasks.split(",") if n.strip()] if args.tasks else \
        [name for name, spec in TASKS.items() if spec.hub_path]
    for name in names:
        if name not in TASKS or TASKS[name].hub_path is None:
            parser.error(f"--tasks: {name} is not a registry task with a hub copy")
    records = check(names)
    print(table(records))
    return 1 if any(r["status"] in ("missing", "differs") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
