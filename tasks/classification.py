"""Sentence-pair and single-sentence classification (MNLI, QQP, ANLI, XNLI, PAWS-X).

Schema: {"id", "text_a", "text_b" (null for single sentences), "label" (a label name of the task)}.
"""
import json
from dataclasses import replace

import datasets
import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding

from tasks.kind import TrainedKind, label_order
from utils.data import check_values, ensure_ids, require_columns
from utils.languages import same_language

FIELDS = ("id", "text_a", "text_b", "label")


def read_tsv(path, columns, has_header):
    """Rows of a tab-separated file as dicts; a row with the wrong number of columns names file and line."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if number == 1 and has_header or not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            if len(cells) != len(columns):
                raise ValueError(f"{path}:{number}: expected {len(columns)} tab-separated columns "
                                 f"({', '.join(columns)}), got {len(cells)}")
            yield number, dict(zip(columns, cells))


def xnli_tsv(path, **_):
    """XNLI-style TSV without header: premise, hypothesis, label (as in SuperGLEBer's German XNLI)."""
    for number, row in read_tsv(path, ("premise", "hypothesis", "label"), has_header=False):
        yield {"id": f"{number}", "text_a": row["premise"], "text_b": row["hypothesis"], "label": row["label"]}


def pawsx_tsv(path, **_):
    """PAWS-X TSV with the header id, sentence1, sentence2, label."""
    for number, row in read_tsv(path, ("id", "sentence1", "sentence2", "label"), has_header=True):
        yield {"id": row["id"], "text_a": row["sentence1"], "text_b": row["sentence2"], "label": row["label"]}


def read_headed_tsv(path, header, release):
    """(line number, row) of a tab-separated file whose first line is `header` (a byte-order mark and Windows line
    ends tolerated, blank lines skipped, no quoting: a quote is text); a missing or different header, a line with
    another number of columns or an empty cell names its file and line."""
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            cells = line.rstrip("\r\n").split("\t")
            if number == 1:
                if tuple(cells) != tuple(header):
                    raise ValueError(f"{path}:1: expected {release}'s header {chr(9).join(header)!r} "
                                     f"(tab-separated), got {chr(9).join(cells)!r}")
                continue
            if not line.strip():
                continue
            if len(cells) != len(header):
                raise ValueError(f"{path}:{number}: expected {len(header)} tab-separated columns "
                                 f"({', '.join(header)}), got {len(cells)}")
            row = {column: cell.strip() for column, cell in zip(header, cells)}
            empty = [column for column, value in row.items() if not value]
            if empty:
                raise ValueError(f"{path}:{number}: empty {empty[0]}")
            yield number, row


def check_label(path, number, label, spec):
    if spec is not None and spec.labels and label not in spec.labels:
        raise ValueError(f"{path}:{number}: label {label!r} is not a label of task {spec.name!r} "
                         f"({', '.join(spec.labels)})")


def sib200_tsv(path, spec=None, **_):
    """SIB-200's release, data/annotated/<code>/{train,dev,test}.tsv: the header index_id, category, text, then one
    sentence a line; the category must be one of the task's labels."""
    for number, row in read_headed_tsv(path, ("index_id", "category", "text"), "SIB-200"):
        check_label(path, number, row["category"], spec)
        yield {"id": row["index_id"], "text_a": row["text"], "text_b": None, "label": row["category"]}


def americasnli_tsv(path, lang=None, spec=None, **_):
    """AmericasNLI's release, {dev,test}/<code>.tsv: the header language, premise, hypothesis, label; the language
    column must name the --lang given (the same record of the language registry), the label one of the task's."""
    for number, row in read_headed_tsv(path, ("language", "premise", "hypothesis", "label"), "AmericasNLI"):
        if lang and not same_language(row["language"], lang):
            raise ValueError(f"{path}:{number}: language {row['language']!r}, but --lang {lang}")
        check_label(path, number, row["label"], spec)
        yield {"id": f"{row['language']}-{number - 1}", "text_a": row["premise"], "text_b": row["hypothesis"],
               "label": row["label"]}


def fsxlt_sampled(path, **_):
    """A published few-shot set of Zhao et al. 2021 (fsxlt/buckets .../sampled.json): one JSON object mapping each
    label to its examples {"uid", "text_a", "text_b", "label", ...}; the uids are the ids, labels as strings (MARC
    writes ints)."""
    try:
        with open(path, encoding="utf-8") as f:
            sampled = json.load(f)
        examples = [example for group in sampled.values() for example in group]
        for example in examples:
            yield {"id": str(example["uid"]), "text_a": example["text_a"], "text_b": example.get("text_b"),
                   "label": str(example["label"])}
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: expected fsxlt's sampled.json, {{label: [{{uid, text_a, text_b, label}}]}}: "
                         f"{error!r}") from None


RAW_FORMATS = {"xnli_tsv": xnli_tsv, "pawsx_tsv": pawsx_tsv, "sib200_tsv": sib200_tsv,
               "americasnli_tsv": americasnli_tsv, "fsxlt_sampled": fsxlt_sampled}


def from_hub(spec, dataset, lang):
    columns, labels = spec.hub_columns, spec.labels

    def convert(batch):
        text_b = batch[columns["text_b"]] if columns.get("text_b") else [None] * len(batch[columns["text_a"]])
        names = [labels[v] if isinstance(v, int) and v >= 0 else (str(v) if v is not None else None)
                 for v in batch[columns["label"]]]
        return {"text_a": batch[columns["text_a"]], "text_b": text_b, "label": names}

    dataset = ensure_ids(dataset, f"{spec.name}-{lang}")
    strings = datasets.Features({field: datasets.Value("string") for field in FIELDS})  # a hub ClassLabel column
    dataset = dataset.map(convert, batched=True, remove_columns=[c for c in dataset.column_names if c != "id"],
                          features=strings)  # would otherwise turn the names back into ids (datasets 5)
    return dataset.filter(lambda names: [n is not None and n != "-1" for n in names], batched=True,
                          input_columns="label")  # unlabelled rows (GLUE test, label -1)


def validate(spec, dataset, path):
    require_columns(dataset, path, FIELDS, nullable=("text_b",))
    check_values(dataset, path, "label", spec.labels, f"label of task {spec.name!r}:")


def preprocess(spec, tokenizer, data_args, is_train, labels=None):
    label_ids = {name: i for i, name in enumerate(label_order(spec, labels))}
    max_length = data_args.max_seq_length or spec.max_seq_length
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        pairs = [batch["text_a"]] if all(b is None for b in batch["text_b"]) else [batch["text_a"], batch["text_b"]]
        features = tokenizer(*pairs, truncation=True, max_length=max_length, padding=padding)
        features["labels"] = [label_ids[str(name)] for name in batch["label"]]
        return features

    return tokenize


def model_class(spec, data_args):
    return AutoModelForSequenceClassification


def data_collator(spec, tokenizer, data_args):
    return DataCollatorWithPadding(tokenizer)


def postprocess(spec, predictions, examples, features, data_args, labels=None):
    logits = predictions[0] if isinstance(predictions, tuple) else predictions
    predicted, names = np.asarray(logits).argmax(-1), label_order(spec, labels)
    return [{"id": i, "prediction": names[p], "label": str(label)}
            for i, p, label in zip(examples["id"], predicted.tolist(), examples["label"])]


def compute_metrics(spec, records, lang):
    gold = [r["label"] for r in records]
    predicted = [r["prediction"] for r in records]
    metrics = {"accuracy": 100 * accuracy_score(gold, predicted)}
    if spec.binary_f1:  # QQP, PAWS-X: F1 of the positive class (the second label)
        metrics["f1"] = 100 * f1_score(gold, predicted, pos_label=spec.labels[1], zero_division=0)
    if spec.macro_f1:  # SIB-200: the unweighted mean of the per-label F1 (labels in the gold or the predictions)
        metrics["macro_f1"] = 100 * f1_score(gold, predicted, average="macro", zero_division=0)
    return metrics


# ---- per-example statistics (reporting/stats.py bootstraps the metric over test examples) ----
def example_statistics(spec, records, lang):
    """(ids, stats): one row per record, [1.0 if the predicted label is the gold one else 0.0]."""
    return [r["id"] for r in records], np.array([float(r["prediction"] == r["label"]) for r in records])[:, None]


def metric_from_statistics(spec, sums, n):
    """The headline accuracy (percent) from statistics summed over n examples; vectorised over leading axes."""
    return 100.0 * np.asarray(sums, dtype=float)[..., 0] / max(n, 1)


def custom_row(values, label, where):
    """1 or 2 text columns (text_a, text_b); the label: any value."""
    if len(values) not in (1, 2):
        raise ValueError(f"--text_columns: classification takes 1 or 2 columns, got {len(values)}")
    return {"text_a": values[0], "text_b": values[1] if len(values) > 1 else None, "label": str(label)}


def custom_spec(spec, train_rows):
    """The label set read from the training file (sorted); two labels: F1 beside accuracy."""
    labels = tuple(sorted({row["label"] for row in train_rows}))
    return replace(spec, labels=labels, binary_f1=len(labels) == 2)


class Classification(TrainedKind):
    name = "classification"
    FIELDS = FIELDS
    RAW_FORMATS = RAW_FORMATS
    TEXT_FIELDS = ("text_a", "text_b")
    LABEL_FIELD = "label"
    TRANSLATE_TEST_GOLD = "label"
    SHOTS = "per_class"
    LABELLED_HEAD = True
    SUBMISSION_FORMAT = "labels"
    COST_SHAPE = "pairs"
    CUSTOM_METRIC = "accuracy"
    custom_row = staticmethod(custom_row)
    custom_spec = staticmethod(custom_spec)
    from_hub = staticmethod(from_hub)
    validate = staticmethod(validate)
    model_class = staticmethod(model_class)
    preprocess = staticmethod(preprocess)
    data_collator = staticmethod(data_collator)
    postprocess = staticmethod(postprocess)
    compute_metrics = staticmethod(compute_metrics)
    example_statistics = staticmethod(example_statistics)
    metric_from_statistics = staticmethod(metric_from_statistics)


KIND = Classification()
