"""Span QA: SQuAD v1.1 / v2.0 (intermediate), XQuAD, MLQA, TyDiQA-GoldP (targets).

Schema: {"id", "context", "question", "answers": {"text": [..], "answer_start": [..]}} (empty lists = no answer).
Contexts longer than max_seq_length are cut into windows as XTREME (and jiant, BERT's run_squad) cut them
(--qa_windows xtreme, the default): windows start every `doc_stride` context tokens and each holds as many as
fit beside its question, up to the first window that reaches the context's end; an answer may only start at a
token whose "max context" is that window (token_is_max_context). --qa_windows hf_overlap keeps the meaning of
HF's run_qa.py: `doc_stride` is the overlap of consecutive windows, and every window may hold the start. A
feature's label is the answer's first and last token, or the CLS token (index 0) when the whole answer is not
inside its window. Answers are read back from the context by character offsets, never detokenised, so scripts
without spaces (Chinese, Thai) come out exactly. Post-processing is vectorised with numpy over all features of a
language: no Python loop per feature over start/end candidates.
"""
import json
from dataclasses import dataclass, field
from bisect import bisect_left, bisect_right
from itertools import groupby
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
from transformers import AutoModelForQuestionAnswering, DataCollatorWithPadding, default_data_collator

from tasks.kind import TrainedKind
from tasks.qa_metrics import mlqa_normalizer, normalize_squad, qa_scores
from utils.data import fail_at, require_columns

SCHEMA = ("id", "context", "question", "answers")
NULL_INDEX = 0                    # the CLS token: the label and the null answer of a window without the answer
EVAL_ONLY = ("example_id", "offset_mapping", "max_context")  # for post-processing, never fed to the model
QA_WINDOWS = ("xtreme", "hf_overlap")  # --qa_windows: what --doc_stride means (see the docstring)
CHUNK = 4096                      # features scored at once (bounds the memory of post-processing)


@dataclass
class SpanQAOptions:
    """Span QA's own options (tasks/kind.py OPTIONS): its windows (the tokenisation cache key) and answer search."""
    doc_stride: int = field(default=128, metadata={
        "help": "QA: under --qa_windows xtreme, the step between the starts of consecutive context windows, in "
                "context tokens (1 to the context tokens a window holds); under hf_overlap, their overlap."})
    qa_windows: str = field(default="xtreme", metadata={
        "help": "QA: xtreme (XTREME's and jiant's windows: a start every --doc_stride tokens; an answer may only "
                "start at a token whose max context is its window) or hf_overlap (HF run_qa.py's: --doc_stride "
                "is the overlap).", "choices": ["xtreme", "hf_overlap"]})
    max_query_length: int = field(default=64, metadata={"help": "QA: question tokens kept."})
    n_best_size: int = field(default=20, metadata={"help": "QA: start/end candidates per feature."})
    max_answer_length: int = field(default=30, metadata={"help": "QA: longest answer in tokens."})
    null_score_diff_threshold: float = field(default=0.0, metadata={"help": "SQuAD v2: no-answer threshold."})


# ---- data: checks, raw SQuAD JSON, hub -------------------------------------------------------------------

def malformed(answers) -> str | None:
    """Why the answers are not {'text': [..], 'answer_start': [..]} (string texts, equal lengths); else None."""
    texts, starts = (answers.get("text"), answers.get("answer_start")) if isinstance(answers, dict) else (None, None)
    if not isinstance(texts, list) or not isinstance(starts, list) or len(texts) != len(starts) \
            or not all(isinstance(text, str) for text in texts):
        return (f"expected answers = {{'text': [..], 'answer_start': [..]}} (lists of equal length, empty for "
                f"no answer), got {answers!r}")
    return None


def points_at(context, text, start) -> bool:
    return isinstance(start, int) and start >= 0 and context[start:start + len(text)] == text


def answer_error(answers, context) -> str | None:
    """Why the answers are malformed or an answer_start does not point at its text in the context; else None."""
    error = malformed(answers)
    if error:
        return error
    for text, start in zip(answers["text"], answers["answer_start"]):
        if not points_at(context, text, start):
            found = context[start:start + len(text)] if isinstance(start, int) and start >= 0 else None
            return (f"answer_start {start!r} does not point at the answer {text!r} in the context (the context "
                    f"has {found!r} there)")
    return None


def nearest_occurrence(context, text, start) -> int | None:
    """The start of the occurrence of `text` in `context` nearest to `start` (a tie: the earlier); None if none."""
    start = start if isinstance(start, int) else 0
    best, position = None, context.find(text)
    while position != -1:
        if best is None or abs(position - start) < abs(best - start):
            best = position
        position = context.find(text, position + 1)
    return best


def _realign(context, answers):
    """(answers with every answer_start pointing at its text, how many moved), or (None, text) for the first answer
    whose text does not occur in the context."""
    starts, moved = [], 0
    for text, start in zip(answers["text"], answers["answer_start"]):
        if not points_at(context, text, start):
            start, moved = nearest_occurrence(context, text, start), moved + 1
            if start is None:
                return None, text
        starts.append(start)
    return {"text": list(answers["text"]), "answer_start": starts}, moved


def _unusable(context, question, answers) -> str | None:
    if not isinstance(context, str) or not context or not isinstance(question, str):
        return "expected a non-empty string context and a string question"
    return malformed(answers)


def repair(spec, dataset, path, published: bool):
    """Re-align each answer whose answer_start does not point at its text to the occurrence of that text in the
    context nearest to the given start (google/xtreme's XQuAD, MLQA and TyDiQA stripped contexts and answers but
    kept answer_start). A row whose answer text is not in its context at all: from the hub (published) dropped,
    as is any row validate would reject; from a local file an error naming the file and line. Returns (dataset,
    {"realigned": answers moved, "dropped": rows left out}); the dataset is unchanged when nothing moved."""
    require_columns(dataset, path, SCHEMA)
    rows = _columns(dataset, ["context", "question", "answers"])
    fixed, dropped, realigned = {}, [], 0
    for row, (context, question, answers) in enumerate(zip(rows["context"], rows["question"], rows["answers"])):
        if _unusable(context, question, answers):
            if published:
                dropped.append(row)
            continue  # a local row: validate names its line
        new, moved = _realign(context, answers)
        if new is None and published:
            dropped.append(row)
        elif new is None:
            fail_at(path, row, f"the answer {moved!r} does not occur in the context; expected each answer's text "
                               "to be a span of its context")
        elif moved:
            fixed[row], realigned = new, realigned + moved
    if fixed:
        def apply(answers, indices):
            return {"answers": [fixed.get(i, a) for a, i in zip(answers, indices)]}
        dataset = dataset.map(apply, input_columns="answers", with_indices=True, batched=True,
                              features=dataset.features, desc="Re-aligning answer offsets")
    if dropped:
        left_out = set(dropped)
        dataset = dataset.select([i for i in range(len(dataset)) if i not in left_out])
    return dataset, {"realigned": realigned, "dropped": len(dropped)}


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
    """Keep the first max_query_length tokens of each question (cut by character offset); also each cut
    question's length in tokens, as it will stand in the pair."""
    questions = [q.lstrip() for q in questions]
    encoded = tokenizer(questions, add_special_tokens=False, truncation=True, max_length=max_query_length,
                        return_offsets_mapping=True)
    cut = [q[:offsets[-1][1]] if offsets else q for q, offsets in zip(questions, encoded["offset_mapping"])]
    return cut, [len(ids) for ids in tokenizer(cut, add_special_tokens=False)["input_ids"]]


def max_context(starts, lengths) -> list[np.ndarray]:
    """XTREME's (BERT's run_squad) token_is_max_context for the windows of one context: for each window (its first
    context token `starts[w]`, `lengths[w]` tokens), whether each of its tokens has its maximum context there.
    A token's score in a window is min(tokens left of it, tokens right of it) + 0.01 * the window's length; the
    first window with the highest score wins."""
    starts, lengths = np.asarray(starts), np.asarray(lengths)
    position = np.arange((starts + lengths).max())
    left, right = position - starts[:, None], (starts + lengths - 1)[:, None] - position
    score = np.where((left >= 0) & (right >= 0), np.minimum(left, right) + 0.01 * lengths[:, None], -np.inf)
    best = score.argmax(axis=0)
    return [best[start:start + length] == w for w, (start, length) in enumerate(zip(starts, lengths))]


def _encode_windows(tokenizer, questions, contexts, rooms, options, max_length, padding):
    """Tokenise the pairs into context windows: [(example, encoding, row of the encoding)], in example order.

    The tokenizer's `stride` is the overlap of consecutive windows. Under hf_overlap it is --doc_stride. Under
    xtreme windows start every --doc_stride context tokens, so the overlap is the window's room for context minus
    --doc_stride, which depends on the question's length: one tokenizer call per room."""
    xtreme = options.qa_windows == "xtreme"
    groups = [np.flatnonzero(rooms == room) for room in np.unique(rooms)] if xtreme else [np.arange(len(rooms))]
    windows = []
    for rows in groups:
        overlap = rooms[rows[0]] - options.doc_stride if xtreme else options.doc_stride
        encoded = tokenizer([questions[i] for i in rows], [contexts[i] for i in rows], truncation="only_second",
                            max_length=max_length, stride=int(overlap), return_overflowing_tokens=True,
                            return_offsets_mapping=True, padding=padding)
        windows += [(rows[sample], encoded, j) for j, sample in enumerate(encoded["overflow_to_sample_mapping"])]
    return sorted(windows, key=lambda window: window[0])  # stable: each example's windows stay in order


def _keep_max_context(masks, examples, step):
    """In each window's mask of its context tokens keep only those whose max context it is; the windows of an
    example (consecutive in `examples`) start every `step` context tokens."""
    for _, rows in groupby(range(len(masks)), key=examples.__getitem__):
        group = [masks[row] for row in rows]
        for mask, flags in zip(group, max_context(np.arange(len(group)) * step, [sum(m) for m in group])):
            first = mask.index(True) if flags.size else 0   # a window's context tokens are contiguous
            mask[first:first + flags.size] = flags.tolist()


def _check_doc_stride(options, rooms, max_length, longest, specials):
    """Under xtreme --doc_stride is a step (1 to the smallest room); under hf_overlap an overlap (below it)."""
    room = int(rooms.min())
    budget = (f"max_seq_length ({max_length}) - question tokens ({longest}, at most --max_query_length) - special "
              f"tokens ({specials}) = {room}")
    if options.qa_windows == "xtreme" and not 0 < options.doc_stride <= room:
        raise ValueError(f"--doc_stride {options.doc_stride}: under --qa_windows xtreme, the step between the "
                         f"starts of context windows must be at least 1 and at most the context tokens a window "
                         f"holds: {budget}")
    if options.qa_windows == "hf_overlap" and not 0 <= options.doc_stride < room:
        raise ValueError(f"--doc_stride {options.doc_stride}: under --qa_windows hf_overlap, the overlap of "
                         f"context windows must be below the context tokens a window holds: {budget}")


def check_arguments(spec, data_args):
    """Before the run (engine/preflight.py): --qa_windows and --doc_stride fit the longest allowed question
    (--max_query_length) and a pair's special tokens (at most 4, XLM-R's)."""
    options = KIND.options(data_args)
    if options.qa_windows not in QA_WINDOWS:
        raise ValueError(f"--qa_windows {options.qa_windows!r}: expected one of {', '.join(QA_WINDOWS)}")
    max_length = data_args.max_seq_length or spec.max_seq_length
    _check_doc_stride(options, np.array([max_length - options.max_query_length - 4]), max_length,
                      options.max_query_length, 4)


def preprocess(spec, tokenizer, data_args, is_train: bool, labels=None):
    """Batched map function: rows -> features (question first, context windows second).

    Every feature has start_positions/end_positions; evaluation features also keep example_id, offset_mapping
    (None outside the context) and max_context (True where an answer may start: under xtreme the context tokens
    whose maximum context is this window, under hf_overlap every context token) for postprocess."""
    max_length = data_args.max_seq_length or spec.max_seq_length
    specials, options = tokenizer.num_special_tokens_to_add(pair=True), KIND.options(data_args)
    padding = "max_length" if data_args.pad_to_max_length else False
    if options.qa_windows not in QA_WINDOWS:
        raise ValueError(f"--qa_windows {options.qa_windows!r}: expected one of {', '.join(QA_WINDOWS)}")
    xtreme = options.qa_windows == "xtreme"

    def prepare(batch):
        questions, lengths = _truncate_questions(tokenizer, batch["question"], options.max_query_length)
        rooms = max_length - specials - np.array(lengths)   # context tokens a window holds, per question
        _check_doc_stride(options, rooms, max_length, max(lengths), specials)
        windows = _encode_windows(tokenizer, questions, batch["context"], rooms, options, max_length, padding)
        inputs = [k for k in windows[0][1] if k not in ("offset_mapping", "overflow_to_sample_mapping")]
        columns = inputs + ["start_positions", "end_positions"] + ([] if is_train else list(EVAL_ONLY))
        features = {column: [] for column in columns}
        for example, encoded, j in windows:
            sequence_ids, offsets = encoded.sequence_ids(j), encoded["offset_mapping"][j]
            for k in inputs:
                features[k].append(encoded[k][j])
            start, end = _answer_tokens(offsets, sequence_ids, batch["answers"][example])
            features["start_positions"].append(start)
            features["end_positions"].append(end)
            if not is_train:
                features["example_id"].append(batch["id"][example])
                features["offset_mapping"].append([list(o) if s == 1 else None
                                                   for o, s in zip(offsets, sequence_ids)])
                features["max_context"].append([s == 1 for s in sequence_ids])
        if xtreme and not is_train:
            _keep_max_context(features["max_context"], [example for example, _, _ in windows], options.doc_stride)
        return features

    return prepare


def model_class(spec, data_args):
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
    """offset_mapping and max_context of all features as flat numpy arrays: start chars, end chars (-1 outside
    the context), whether an answer may start there, each feature's first flat position and its length; each
    array ends with one sentinel (-1, -1, False). Read through Arrow, with no Python loop per token."""
    columns = features.select_columns(["offset_mapping", "max_context"]).with_format("arrow")[:]
    offsets = columns["offset_mapping"].combine_chunks()
    lengths = pc.list_value_length(offsets).to_numpy(zero_copy_only=False).astype(np.int64)
    pairs = pc.list_flatten(offsets)
    starts = pc.list_element(pairs, 0).fill_null(-1).to_numpy(zero_copy_only=False)
    ends = pc.list_element(pairs, 1).fill_null(-1).to_numpy(zero_copy_only=False)
    may_start = pc.list_flatten(columns["max_context"].combine_chunks()).to_numpy(zero_copy_only=False)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.append(starts, -1), np.append(ends, -1), np.append(may_start, False), first, lengths


def _best_spans(start_logits, end_logits, offsets, options):
    """Best valid span of each feature: (score, start char, end char); score -inf when a feature has none.

    As in SQuAD's reference code: the n_best_size highest start and end logits of a feature are paired; a pair
    counts when both tokens lie in the context, the start token may start an answer in this window (max
    context), end >= start and the span has at most max_answer_length tokens."""
    flat_start, flat_end, may_start, first, lengths = offsets
    k = min(options.n_best_size, start_logits.shape[1])
    top_start = np.argpartition(-start_logits, k - 1, axis=1)[:, :k]
    top_end = np.argpartition(-end_logits, k - 1, axis=1)[:, :k]

    def flat(tokens):  # token positions -> flat positions; the sentinel (-1) past the feature's end
        return np.where(tokens < lengths[:, None], first[:, None] + tokens, -1)

    start_at, end_at = flat(top_start), flat(top_end)
    start_char, end_char = flat_start[start_at], flat_end[end_at]
    length = top_end[:, None, :] - top_start[:, :, None]
    valid = (length >= 0) & (length < options.max_answer_length) \
        & ((start_char >= 0) & may_start[start_at])[:, :, None] & (end_char >= 0)[:, None, :]
    score = np.take_along_axis(start_logits, top_start, 1)[:, :, None] \
        + np.take_along_axis(end_logits, top_end, 1)[:, None, :]
    score = np.where(valid, score, -np.inf).reshape(len(score), -1)
    best = score.argmax(axis=1)
    rows = np.arange(len(score))
    return score[rows, best], start_char[rows, best // k], end_char[rows, best % k]


def postprocess(spec, predictions, examples, features, data_args, labels=None):
    """Start/end logits of every feature -> one record per example: {"id", "prediction", "label"}.

    predictions: the Trainer's (start_logits, end_logits), concatenated over batches with -100 padding (padded
    positions lie past a feature's offsets, so they are never chosen). For SQuAD v2 the empty answer wins when
    the smallest null (CLS) score of the example's windows beats the best span by null_score_diff_threshold."""
    start_logits, end_logits = (np.asarray(p, dtype=np.float32) for p in predictions[:2])
    options = KIND.options(data_args)
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
        chunk_offsets = (*offsets[:3], offsets[3][part], offsets[4][part])
        parts.append(_best_spans(start_logits[part], end_logits[part], chunk_offsets, options))
    score, start_char, end_char = (np.concatenate(arrays) for arrays in zip(*parts))

    order = np.lexsort((-score, owner))                   # per example, its best feature first (stable)
    firsts = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    best = np.full(len(ids), -1)
    best[owner[firsts]] = firsts
    null = np.full(len(ids), np.inf)
    np.minimum.at(null, owner, start_logits[:, NULL_INDEX] + end_logits[:, NULL_INDEX])
    with_null = spec.no_answer
    records = []
    for i, (example_id, context, answers) in enumerate(zip(ids, examples["context"], examples["answers"])):
        f = best[i]
        empty = f < 0 or score[f] == -np.inf \
            or (with_null and null[i] - score[f] > options.null_score_diff_threshold)
        prediction = "" if empty else context[start_char[f]:end_char[f]]
        records.append({"id": example_id, "prediction": prediction, "label": list(answers["text"])})
    return records


def compute_metrics(spec, records, lang):
    """EM, F1 and avg = (EM + F1) / 2 in percent; MLQA uses its language-specific normalisation. F1 of an empty
    prediction for an empty gold answer: 1 for tasks with unanswerable questions (SQuAD v2.0's script), else 0
    (SQuAD v1.1's and MLQA's scripts)."""
    normalize = mlqa_normalizer(lang) if spec.qa_normalization == "mlqa" else normalize_squad
    return qa_scores(records, normalize, empty_match=spec.no_answer)


# ---- per-example statistics (reporting/stats.py bootstraps the metric over test examples) ----
def example_statistics(spec, records, lang):
    """(ids, stats): one row per question, [exact match, token F1] against its best gold answer (0..1), scored
    exactly as compute_metrics scores it (the same normalisation and empty-answer rule)."""
    from tasks.qa_metrics import token_f1
    normalize = mlqa_normalizer(lang) if spec.qa_normalization == "mlqa" else normalize_squad
    rows = []
    for record in records:
        prediction, golds = normalize(record["prediction"]), [normalize(g) for g in record["label"]] or [""]
        rows.append((max(float(prediction == gold) for gold in golds),
                     max(token_f1(prediction, gold, spec.no_answer) for gold in golds)))
    return [r["id"] for r in records], np.array(rows, dtype=float).reshape(len(rows), 2)


def metric_from_statistics(spec, sums, n):
    """XTREME's one QA number, (EM + F1) / 2 in percent, from statistics summed over n questions."""
    sums = np.asarray(sums, dtype=float)
    return 100.0 * (sums[..., 0] + sums[..., 1]) / 2 / max(n, 1)


def custom_row(values, label, where):
    """Context, question; the label: the answer text (its first occurrence in the context) or a SQuAD answers
    object {"text": [..], "answer_start": [..]}."""
    context = values[0]
    if isinstance(label, dict):
        answers = {"text": list(label.get("text", [])), "answer_start": list(label.get("answer_start", []))}
    else:
        text = "" if label is None else str(label)
        start = context.find(text) if text else -1
        if text and start < 0:
            raise ValueError(f"{where}: the answer {text!r} does not occur in the context")
        answers = {"text": [text], "answer_start": [start]} if text else {"text": [], "answer_start": []}
    return {"context": context, "question": values[1], "answers": answers}


class SpanQA(TrainedKind):
    name = "span_qa"
    FIELDS = SCHEMA
    HUB_FIELDS = SCHEMA  # SQuAD's column names
    RAW_FORMATS = RAW_FORMATS
    TEXT_FIELDS = ("question", "context")
    SUBMISSION_FORMAT = "answers"
    COST_SHAPE = "qa"
    CUSTOM_METRIC = "f1"
    SHOTS = "examples"  # K questions
    CUSTOM_MAX_LENGTH = 384
    OPTIONS = SpanQAOptions
    custom_row = staticmethod(custom_row)
    repair = staticmethod(repair)
    check_arguments = staticmethod(check_arguments)
    from_hub = staticmethod(from_hub)
    validate = staticmethod(validate)
    model_class = staticmethod(model_class)
    preprocess = staticmethod(preprocess)
    data_collator = staticmethod(data_collator)
    postprocess = staticmethod(postprocess)
    compute_metrics = staticmethod(compute_metrics)
    example_statistics = staticmethod(example_statistics)
    metric_from_statistics = staticmethod(metric_from_statistics)


KIND = SpanQA()
