"""Span QA: SQuAD v1.1 / v2.0 (intermediate), XQuAD, MLQA, TyDiQA-GoldP (targets).

Schema: {"id", "context", "question", "answers": {"text": [..], "answer_start": [..]}} (empty lists = no answer).
Contexts longer than max_seq_length are cut into windows that overlap by `doc_stride` tokens; a feature's
label is the answer's first and last token, or the CLS token (index 0) when the answer is not inside its
window. Answers are read back from the context by character offsets, never detokenised, so scripts without
spaces (Chinese, Thai) come out exactly. Post-processing is vectorised with numpy over all features of a
language: no Python loop per feature over start/end candidates.
"""
import json
from bisect import bisect_left, bisect_right
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
from transformers import AutoModelForQuestionAnswering, DataCollatorWithPadding, default_data_collator

from tasks.qa_metrics import mlqa_normalizer, normalize_squad, qa_scores
from utils.data import fail_at, require_columns

SCHEMA = ("id", "context", "question", "answers")
NO_ANSWER_TASKS = {"squad_v2"}    # tasks with unanswerable questions: null_score_diff_threshold applies
MLQA_NORMALISED = {"mlqa"}        # tasks scored with MLQA's language-specific normalisation (others: SQuAD's)
NULL_INDEX = 0                    # the CLS token: the label and the null answer of a window without the answer
EVAL_ONLY = ("example_id", "offset_mapping")   # feature columns for post-processing, never fed to the model
CHUNK = 4096                      # features scored at once (bounds the memory of post-processing)


# ---- data: checks, raw SQuAD JSON, hub -------------------------------------------------------------------

def answer_error(answers, context) -> str | None:
    """Why the answers are malformed or an answer_start does not point at its text in the context; else None."""
    if not isinstance(answers, dict) or not isinstance(answers.get("text"), list) \
            or not isinstance(answers.get("answer_start"), list) or len(answers["text"]) != len(answers["answer_start"]):
        return (f"expected answers = {{'text': [..], 'answer_start': [..]}} (lists of equal length, empty for "
                f"no answer), got {answers!r}")
    for text, start in zip(answers["text"], answers["answer_start"]):
        found = context[start:start + len(text)] if isinstance(start, int) and start >= 0 else None
        if found != text:
            return (f"answer_start {start!r} does not point at the answer {text!r} in the context (the context "
                    f"has {found!r} there)")
    return None


def validate(spec, dataset, path):
    """Schema checks; errors name the file and line (hub splits: the row)."""
    require_columns(dataset, path, SCHEMA)
    rows = _columns(dataset, ["context", "question", "answers"])
    for row, (context, question, answers) in enumerate(zip(rows["context"], rows["question"], rows["answers"])):
        if not isinstance(context, str) or not context or not isinstance(question, str):
            fail_at(path, row, "expected a non-empty string context and a string question")
        error = answer_error(answers, context)
        if error:
            fail_at(path, row, error)


def read_squad_json(input_path, **opts):
    """SQuAD v1.1 / v2.0 JSON ({"version", "data": [{"paragraphs": [{"context", "qas": [..]}]}]}) -> rows.

    v2's unanswerable questions (is_impossible) get empty answers. Errors name the file and the JSON path.
    """
    try:
        articles = json.loads(Path(input_path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{input_path}: expected a SQuAD JSON file with a 'data' list ({e!r})") from None
    for a, article in enumerate(articles):
        for p, paragraph in enumerate(article.get("paragraphs", [])):
            for q, qa in enumerate(paragraph.get("qas", [])):
                where = f"{input_path}: data[{a}].paragraphs[{p}].qas[{q}]"
                try:
                    answers = [] if qa.get("is_impossible") else qa["answers"]
                    row = {"id": str(qa["id"]), "context": paragraph["context"], "question": qa["question"],
                           "answers": {"text": [x["text"] for x in answers],
                                       "answer_start": [x["answer_start"] for x in answers]}}
                except (KeyError, TypeError) as e:
                    raise ValueError(f"{where}: missing SQuAD field {e}") from None
                error = answer_error(row["answers"], row["context"])
                if error:
                    raise ValueError(f"{where}: {error}")
                yield row


RAW_FORMATS = {"squad_json": read_squad_json}


def from_hub(spec, dataset, lang):
    """Hub rows already use SQuAD's columns (google/xtreme, rajpurkar/squad*); hub_columns may rename them."""
    names = {field: spec.hub_columns.get(field, field) for field in SCHEMA}
    dataset = dataset.select_columns(list(names.values()))
    renames = {source: field for field, source in names.items() if source != field}
    return dataset.rename_columns(renames) if renames else dataset


# ---- features ----------------------------------------------------------------------------------------------

def _answer_tokens(offsets, sequence_ids, answers):
    """(start, end) token of the first answer in this window, or (NULL_INDEX, NULL_INDEX)."""
    context = [k for k, s in enumerate(sequence_ids) if s == 1]
    if not answers["answer_start"] or not context:
        return NULL_INDEX, NULL_INDEX
    start_char = answers["answer_start"][0]
    end_char = start_char + len(answers["text"][0])
    first, last = context[0], context[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return NULL_INDEX, NULL_INDEX
    start = first + bisect_right([offsets[k][0] for k in range(first, last + 1)], start_char) - 1
    # search the end from the start token: a lone "▁" token (XLM-R, before CJK) shares the next token's offsets
    return start, start + bisect_left([offsets[k][1] for k in range(start, last + 1)], end_char)


def _truncate_questions(tokenizer, questions, max_query_length):
    """Keep the first max_query_length tokens of each question (cut by character offset); also the longest
    question's length in tokens."""
    questions = [q.lstrip() for q in questions]
    encoded = tokenizer(questions, add_special_tokens=False, truncation=True, max_length=max_query_length,
                        return_offsets_mapping=True)
    cut = [q[:offsets[-1][1]] if offsets else q for q, offsets in zip(questions, encoded["offset_mapping"])]
    return cut, max(len(ids) for ids in encoded["input_ids"])


def preprocess(spec, tokenizer, data_args, is_train: bool):
    """Batched map function: rows -> features (question first, context windows second).

    Every feature has start_positions/end_positions; evaluation features also keep example_id and
    offset_mapping (None outside the context) for postprocess."""
    max_length = data_args.max_seq_length or spec.max_seq_length
    specials = tokenizer.num_special_tokens_to_add(pair=True)

    def prepare(batch):
        questions, longest = _truncate_questions(tokenizer, batch["question"], data_args.max_query_length)
        if not 0 <= data_args.doc_stride < max_length - longest - specials:
            raise ValueError(f"--doc_stride {data_args.doc_stride}: the overlap of context windows must be below "
                             f"max_seq_length ({max_length}) - question tokens ({longest}, at most "
                             f"--max_query_length) - special tokens ({specials})")
        encoded = tokenizer(questions, batch["context"], truncation="only_second", max_length=max_length,
                            stride=data_args.doc_stride, return_overflowing_tokens=True,
                            return_offsets_mapping=True,
                            padding="max_length" if data_args.pad_to_max_length else False)
        examples = encoded.pop("overflow_to_sample_mapping")
        offsets = encoded.pop("offset_mapping")
        columns = ("start_positions", "end_positions") + (() if is_train else EVAL_ONLY)
        encoded.update({column: [] for column in columns})
        for i, example in enumerate(examples):
            sequence_ids = encoded.sequence_ids(i)
            start, end = _answer_tokens(offsets[i], sequence_ids, batch["answers"][example])
            encoded["start_positions"].append(start)
            encoded["end_positions"].append(end)
            if not is_train:
                encoded["example_id"].append(batch["id"][example])
                encoded["offset_mapping"].append([list(o) if s == 1 else None
                                                  for o, s in zip(offsets[i], sequence_ids)])
        return encoded

    return prepare


def model_class(spec):
    return AutoModelForQuestionAnswering


def data_collator(spec, tokenizer, data_args):
    """Pads input_ids/attention_mask (dynamically unless pad_to_max_length); drops post-processing columns."""
    pad = default_data_collator if data_args.pad_to_max_length else DataCollatorWithPadding(tokenizer)

    def collate(features):
        return pad([{k: v for k, v in f.items() if k not in EVAL_ONLY} for f in features])

    return collate


# ---- post-processing (vectorised) ----------------------------------------------------------------------------

def _columns(dataset, names) -> dict[str, list]:
    """Whole columns as Python lists in one Arrow conversion (iterating a Dataset column goes row by row)."""
    return dataset.select_columns(names)[:]


def _flat_offsets(features):
    """offset_mapping of all features as flat numpy arrays: start chars, end chars (-1 outside the context),
    each feature's first flat position and its length. Read through Arrow, with no Python loop per token."""
    column = features.select_columns(["offset_mapping"]).with_format("arrow")[:]["offset_mapping"]
    column = column.combine_chunks()
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False).astype(np.int64)
    pairs = pc.list_flatten(column)
    starts = pc.list_element(pairs, 0).fill_null(-1).to_numpy(zero_copy_only=False)
    ends = pc.list_element(pairs, 1).fill_null(-1).to_numpy(zero_copy_only=False)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.append(starts, -1), np.append(ends, -1), first, lengths


def _best_spans(start_logits, end_logits, offsets, data_args):
    """Best valid span of each feature: (score, start char, end char); score -inf when a feature has none.

    As in SQuAD's reference code: the n_best_size highest start and end logits of a feature are paired; a pair
    counts when both tokens lie in the context, end >= start and the span has at most max_answer_length tokens."""
    flat_start, flat_end, first, lengths = offsets
    k = min(data_args.n_best_size, start_logits.shape[1])
    top_start = np.argpartition(-start_logits, k - 1, axis=1)[:, :k]
    top_end = np.argpartition(-end_logits, k - 1, axis=1)[:, :k]

    def chars(flat, tokens):  # token positions -> chars; -1 outside the context or past the feature's end
        inside = tokens < lengths[:, None]
        return flat[np.where(inside, first[:, None] + tokens, -1)]

    start_char, end_char = chars(flat_start, top_start), chars(flat_end, top_end)
    length = top_end[:, None, :] - top_start[:, :, None]
    valid = (length >= 0) & (length < data_args.max_answer_length) \
        & (start_char >= 0)[:, :, None] & (end_char >= 0)[:, None, :]
    score = np.take_along_axis(start_logits, top_start, 1)[:, :, None] \
        + np.take_along_axis(end_logits, top_end, 1)[:, None, :]
    score = np.where(valid, score, -np.inf).reshape(len(score), -1)
    best = score.argmax(axis=1)
    rows = np.arange(len(score))
    return score[rows, best], start_char[rows, best // k], end_char[rows, best % k]


def postprocess(spec, predictions, examples, features, data_args):
    """Start/end logits of every feature -> one record per example: {"id", "prediction", "label"}.

    predictions: the Trainer's (start_logits, end_logits), concatenated over batches with -100 padding (padded
    positions lie past a feature's offsets, so they are never chosen). For SQuAD v2 the empty answer wins when
    the smallest null (CLS) score of the example's windows beats the best span by null_score_diff_threshold."""
    start_logits, end_logits = (np.asarray(p, dtype=np.float32) for p in predictions[:2])
    if len(start_logits) != len(features):
        raise ValueError(f"postprocess: {len(start_logits)} rows of logits for {len(features)} features")
    examples = _columns(examples, ["id", "context", "answers"])
    ids = examples["id"]
    index = {example_id: i for i, example_id in enumerate(ids)}
    owner = np.fromiter((index[e] for e in _columns(features, ["example_id"])["example_id"]), np.int64, len(features))
    offsets = _flat_offsets(features)
    parts = []
    for lo in range(0, len(features), CHUNK):
        part = slice(lo, lo + CHUNK)
        chunk_offsets = (offsets[0], offsets[1], offsets[2][part], offsets[3][part])
        parts.append(_best_spans(start_logits[part], end_logits[part], chunk_offsets, data_args))
    score, start_char, end_char = (np.concatenate(arrays) for arrays in zip(*parts))

    order = np.lexsort((-score, owner))                   # per example, its best feature first (stable)
    firsts = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    best = np.full(len(ids), -1)
    best[owner[firsts]] = firsts
    null = np.full(len(ids), np.inf)
    np.minimum.at(null, owner, start_logits[:, NULL_INDEX] + end_logits[:, NULL_INDEX])
    with_null = spec.name in NO_ANSWER_TASKS
    records = []
    for i, (example_id, context, answers) in enumerate(zip(ids, examples["context"], examples["answers"])):
        f = best[i]
        empty = f < 0 or score[f] == -np.inf \
            or (with_null and null[i] - score[f] > data_args.null_score_diff_threshold)
        prediction = "" if empty else context[start_char[f]:end_char[f]]
        records.append({"id": example_id, "prediction": prediction, "label": list(answers["text"])})
    return records


def compute_metrics(spec, records, lang):
    """EM, F1 and avg = (EM + F1) / 2 in percent; MLQA uses its language-specific normalisation."""
    normalize = mlqa_normalizer(lang) if spec.name in MLQA_NORMALISED else normalize_squad
    return qa_scores(records, normalize)
