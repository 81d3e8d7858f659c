"""Multiple choice (HellaSwag, Cosmos QA, CommonsenseQA, SocialIQA, COPA / XCOPA): one score per choice, accuracy.

Schema: {"id", "context", "choices": [..], "label" (index of the right choice)}. Every row of a task has the same
number of choices (taken from the first row). Each choice is encoded as the pair (context, choice).

Hub mapping (spec.hub_columns):
  "context":       a list of columns joined with " " (["context", "question"]), or a template with {column}
                   fields ("{premise} What was the {question}?", XTREME-R's wording for COPA/XCOPA);
  "choice_prefix": optional column put before every choice (HellaSwag: ctx_b + " " + ending);
  "choices":       one list column, dotted for nested ones ("choices.text"), or a list of columns;
  "label":         an int index, a digit string, or a name in spec.labels ("A"-"E", "1"-"3").
Rows without a label (hub test splits: -1 or "") are dropped.
"""
import numpy as np
import pyarrow.compute as pc
from transformers import AutoModelForMultipleChoice, DataCollatorForMultipleChoice

from tasks.kind import TrainedKind
from utils.data import ensure_ids, fail_at, require_columns

FIELDS = ("id", "context", "choices", "label")


def _value(batch, path, i):
    """batch[path][i], following a dotted path into nested dicts ("choices.text")."""
    name, *inner = path.split(".")
    value = batch[name][i]
    for key in inner:
        value = value[key]
    return value


def _context(spec_context, batch, i):
    if isinstance(spec_context, str):  # a template such as "{premise} What was the {question}?"
        return spec_context.format(**{name: batch[name][i] for name in batch})
    return " ".join(str(batch[name][i]) for name in spec_context).strip()


def _choices(columns, batch, i):
    source = columns["choices"]
    choices = _value(batch, source, i) if isinstance(source, str) else [batch[name][i] for name in source]
    prefix = batch[columns["choice_prefix"]][i] if columns.get("choice_prefix") else ""
    return [f"{prefix} {choice}".strip() for choice in choices]


def label_index(spec, value):
    """The index of the right choice, or None for an unlabelled row."""
    if spec.labels and str(value) in spec.labels:
        return spec.labels.index(str(value))
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return int(value) if int(value) >= 0 else None
    return None


def from_hub(spec, dataset, lang):
    columns = spec.hub_columns

    def convert(batch):
        rows = range(len(batch["id"]))
        return {"context": [_context(columns["context"], batch, i) for i in rows],
                "choices": [_choices(columns, batch, i) for i in rows],
                "label": [label_index(spec, value) for value in batch[columns["label"]]]}

    dataset = ensure_ids(dataset, f"{spec.name}-{lang}")
    dataset = dataset.map(convert, batched=True, remove_columns=[c for c in dataset.column_names if c != "id"])
    return dataset.filter(lambda labels: [label is not None for label in labels], batched=True,
                          input_columns="label")


def validate(spec, dataset, path):
    """Same number of choices in every row (the first row's), and an integer label indexing one of them."""
    require_columns(dataset, path, FIELDS)
    choices = dataset.data.column("choices")
    if not str(choices.type).startswith(("list", "large_list")):
        fail_at(path, 0, f"field 'choices' must be a list of strings, got {choices.type}")
    counts = pc.list_value_length(choices).to_numpy(zero_copy_only=False)
    expected = int(counts[0])
    if expected < 2:
        fail_at(path, 0, f"a multiple-choice row needs at least 2 choices, got {expected}")
    wrong = np.flatnonzero(counts != expected)
    if len(wrong):
        fail_at(path, int(wrong[0]), f"{counts[wrong[0]]} choices, but the first row has {expected}; every row "
                                     f"of task {spec.name!r} must have the same number of choices")
    for row, label in enumerate(dataset["label"]):
        if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < expected:
            fail_at(path, row, f"label {label!r} is not a choice index; expected an integer from 0 to {expected - 1}")


def preprocess(spec, tokenizer, data_args, is_train, labels=None):
    max_length = data_args.max_seq_length or spec.max_seq_length
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        n = len(batch["choices"][0])
        firsts = [context for context in batch["context"] for _ in range(n)]
        seconds = [choice for choices in batch["choices"] for choice in choices]
        flat = tokenizer(firsts, seconds, truncation=True, max_length=max_length, padding=padding)
        features = {key: [values[i:i + n] for i in range(0, len(values), n)] for key, values in flat.items()}
        features["labels"] = list(batch["label"])
        return features

    return tokenize


def model_class(spec, data_args):
    return AutoModelForMultipleChoice


def data_collator(spec, tokenizer, data_args):
    return DataCollatorForMultipleChoice(tokenizer)


def postprocess(spec, predictions, examples, features, data_args, labels=None):
    logits = predictions[0] if isinstance(predictions, tuple) else predictions
    predicted = np.asarray(logits).argmax(-1).tolist()
    return [{"id": i, "prediction": p, "label": label}
            for i, p, label in zip(examples["id"], predicted, examples["label"])]


def compute_metrics(spec, records, lang):
    if not records:
        return {"accuracy": 0.0}
    correct = sum(r["prediction"] == r["label"] for r in records)
    return {"accuracy": 100 * correct / len(records)}


# ---- per-example statistics (reporting/stats.py bootstraps the metric over test examples) ----
def example_statistics(spec, records, lang):
    """(ids, stats): one row per record, [1.0 if the predicted choice is the right one else 0.0]."""
    return [r["id"] for r in records], np.array([float(r["prediction"] == r["label"]) for r in records])[:, None]


def metric_from_statistics(spec, sums, n):
    """The headline accuracy (percent) from statistics summed over n examples; vectorised over leading axes."""
    return 100.0 * np.asarray(sums, dtype=float)[..., 0] / max(n, 1)


def custom_row(values, label, where):
    """The context column, then one column per choice (or one column holding the list of choices); the label: the
    index of the right choice (0-based)."""
    choices = values[1] if len(values) == 2 and isinstance(values[1], list) else values[1:]
    if str(label).strip().lstrip("-").isdigit() and 0 <= int(label) < len(choices):
        return {"context": values[0], "choices": [str(c) for c in choices], "label": int(label)}
    raise ValueError(f"{where}: label {label!r} is not the index of one of the {len(choices)} choices")


class MultipleChoice(TrainedKind):
    name = "multiple_choice"
    FIELDS = FIELDS  # no RAW_FORMATS: the hub or the JSONL schema, no original raw format is converted
    TEXT_FIELDS = ("context", "choices")
    TRANSLATE_TEST_GOLD = "label"  # the index of the right choice (the choices translated in order)
    SHOTS = "per_class"  # K questions per answer position
    SUBMISSION_FORMAT = "choices"
    COST_SHAPE = "pairs"
    CUSTOM_METRIC = "accuracy"
    custom_row = staticmethod(custom_row)
    from_hub = staticmethod(from_hub)
    validate = staticmethod(validate)
    model_class = staticmethod(model_class)
    preprocess = staticmethod(preprocess)
    data_collator = staticmethod(data_collator)
    postprocess = staticmethod(postprocess)
    compute_metrics = staticmethod(compute_metrics)
    example_statistics = staticmethod(example_statistics)
    metric_from_statistics = staticmethod(metric_from_statistics)


KIND = MultipleChoice()
