"""Word tagging: UDPOS (17 UPOS tags), PAN-X / WikiANN (IOB2 entities), CCG supertagging (tags from the data).

Schema: {"id", "tokens": [..], "tags": [..]} (one tag per token), optionally "heads" and "deprels" (a dependency
tree, one per token: validate_parses; the conllu converter writes them, --augment wordorder reads them).

Sub-words: a sentence is tokenised as running text, its words joined by single spaces, so every word gets the
pieces it has in text for every tokenizer kind: SentencePiece/Metaspace (XLM-R, mDeBERTa), WordPiece (mBERT),
byte-level BPE (RoBERTa, GPT-2) and Llama/Gemma-style BPE (EuroBERT, mmBERT). (Words fed one by one,
is_split_into_words, lose the space marker of running text in byte-level and Gemma-style BPE: roberta's "the cat"
became `the, cat` instead of `the, Ġcat`. For XLM-R the pieces are the same either way: XTREME's.) Each piece
belongs to the word its character offsets fall in (piece_words: a piece holding only the space before a word, a
lone "Ġ" or "▁", belongs to that word). The tag of a word sits on its FIRST sub-word (label -100 on the others
and on special tokens). A sentence longer than the maximum length is not truncated: it is split
into consecutive windows (return_overflowing_tokens, no overlap), so every word of every sentence gets a
prediction and is scored. A word the tokenizer turns into no sub-word at all (rare: e.g. a lone zero-width
character) cannot be predicted; it is scored as predicted "O" (for NER: no entity; for POS and CCG a wrong tag).
As in XTREME's preprocessing, the first sub-word may be a bare "\u2581" piece (XLM-R's vocabulary does this to most
Chinese and Japanese words, and to some punctuation), which then carries the label: one reason zero-shot ja/zh
POS scores are low. --label_first_char_piece (off by default) labels, and reads the prediction of, the word's first
piece with characters instead (the bare piece when the word has no other piece in the window).

Metrics (in percent):
  PAN-X   f1 = seqeval (1.2.2) entity F1 (conlleval-style chunks from IOB2), with precision, recall, word
          accuracy. seqeval 0.0.12, which XTREME used, gives the same chunks for IOB2 tags.
  UDPOS   f1 = XTREME's number: the chunk F1 of seqeval 0.0.12 (what XTREME's evaluate.py and run_tag.py ran in
          2020) on the UPOS sequences, reimplemented in xtreme_chunks: a tag's first letter is read as the chunk
          prefix and the whole tag as its type, so a run of identical tags is one chunk, except SCONJ and SYM
          (prefix "S": single-token chunks); sentences are joined with an "O" between them. (seqeval >= 0.0.16 reads
          the type from tag[1:], merging CCONJ and SCONJ into "CONJ": not XTREME's number.) accuracy = plain word
          accuracy. Any other tag set that is not IOB tags is scored the same way.
  CCG     accuracy = word accuracy. The label set is the training data's (labels_from_data); a gold tag of an
          evaluation set that the training data never had is kept and scored as a miss (the model cannot
          predict it), not an error.
"""
import itertools
import logging
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from seqeval.metrics import f1_score, precision_score, recall_score
from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification

from tasks.kind import TrainedKind, label_order
from utils.data import fail_at, is_iob, require_columns


@dataclass
class TaggingOptions:
    """Tagging's own options (tasks/kind.py OPTIONS): which sub-word of a word is labelled (the cache key)."""
    label_first_char_piece: bool = field(default=False, metadata={
        "help": "Tagging: label (and read the prediction of) each word's first sub-word that has characters, "
                "not a bare word-boundary piece '\u2581' (XLM-R gives one to most zh/ja/th words; XTREME labels "
                "it). Off by default (as XTREME)."})

logger = logging.getLogger(__name__)
FIELDS = ("id", "tokens", "tags")
PARSE_FIELDS = ("heads", "deprels")  # optional: a dependency tree (the conllu converter writes it; --augment wordorder)
OUTSIDE = "O"
BOUNDARY = "\u2581"  # SentencePiece's word-boundary mark


# ---- raw formats (prepare_data.py --from_raw NAME) ----
def _sentences(path, parse_line, fields=("tokens", "tags")):
    """Blank-line separated sentences of (token, tag) lines; parse_line(line, where) -> (token, tag) or None
    (or one value per name in fields: conllu adds heads and deprels)."""
    columns, stem = {name: [] for name in fields}, Path(path).stem
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.strip():
                values = parse_line(line, f"{path}:{number}")
                for name, value in zip(fields, values or ()):
                    columns[name].append(value)
            elif columns["tokens"]:
                yield {"id": f"{stem}-{number}", **columns}
                columns = {name: [] for name in fields}
    if columns["tokens"]:
        yield {"id": f"{stem}-end", **columns}


def conllu(path, **_):
    """CoNLL-U: FORM (column 2) and UPOS (column 4), with the basic dependency tree as "heads" (HEAD, column 7:
    1-based, 0 = the root) and "deprels" (DEPREL, column 8); comments, multiword ranges ("1-2") and empty nodes
    ("1.1") are skipped (heads point at word ids, so they stay valid). A sentence with a HEAD "_" (no tree) gets
    heads and deprels null. Ids are the file stem and the line where a sentence ends."""
    def parse(line, where):
        if line.startswith("#"):
            return None
        cells = line.split("\t")
        if len(cells) != 10:
            raise ValueError(f"{where}: expected 10 tab-separated CoNLL-U columns, got {len(cells)}")
        if "-" in cells[0] or "." in cells[0]:
            return None
        return cells[1], cells[3], int(cells[6]) if cells[6].isdigit() else None, cells[7]
    for row in _sentences(path, parse, fields=("tokens", "tags", "heads", "deprels")):
        if None in row["heads"]:
            row["heads"] = row["deprels"] = None
        yield row


def wikiann(path, **_):
    """WikiANN / PAN-X: `lang:token<TAB>tag` lines (the "xx:" prefix is removed), a blank line between sentences."""
    def parse(line, where):
        cells = line.split("\t")
        if len(cells) != 2 or ":" not in cells[0]:
            raise ValueError(f"{where}: expected `lang:token<TAB>tag`, got {line[:80]!r}")
        return cells[0].split(":", 1)[1], cells[1]
    return _sentences(path, parse)


def ccg(path, **_):
    """CCG supertags, CCGbank-derived: `word<TAB>supertag` lines, a blank line between sentences."""
    def parse(line, where):
        cells = line.split("\t")
        if len(cells) != 2:
            raise ValueError(f"{where}: expected `word<TAB>supertag`, got {line[:80]!r}")
        return cells[0], cells[1]
    return _sentences(path, parse)


AUTO_LEAF = re.compile(r"<L (\S+) \S+ \S+ (\S+) \S+>")


def ccg_auto(path, **_):
    """CCGbank AUTO files: an `ID=...` line, then the tree on one line; its leaves `(<L cat POS POS word pred>)`
    give the words and supertags in order."""
    with open(path, encoding="utf-8") as f:
        sentence_id = None
        for number, line in enumerate(f, 1):
            if line.startswith("ID="):
                sentence_id = line.split()[0][3:]
            elif line.strip():
                leaves = AUTO_LEAF.findall(line)
                if not leaves:
                    raise ValueError(f"{path}:{number}: expected a CCGbank AUTO tree with (<L ...>) leaves")
                yield {"id": sentence_id or f"{Path(path).stem}-{number}", "tokens": [w for _, w in leaves],
                       "tags": [category for category, _ in leaves]}


SENTENCE_END = ".!?\u2026\u3002\uff01\uff1f"  # . ! ? ... and the CJK full stop, exclamation and question marks


def conll(path, spec=None, cut=True, **_):
    """CoNLL-style `token ... tag` lines (whitespace-separated: the token first, the tag last; CoNLL-2003, the
    Europeana Newspapers NER files). IOB1 and IOB2 are read and written as IOB2 (iob2). `-DOCSTART-` lines are
    skipped (they end a sentence). Blank lines separate sentences; a file without any is one stream of tokens, cut
    into sentences by cut_sentences (a heuristic; cut=False: the file is one sentence, as a shot file of one
    sentence is). Tags outside spec's label set are kept as they are and logged
    with their counts (map them at run time with --extra_eval_label_map). Ids: the file stem and first line."""
    blocks, block, blank, separated = [], [], False, False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            cells = line.split()
            if cells and cells[0] != "-DOCSTART-":
                if len(cells) < 2:
                    raise ValueError(f"{path}:{number}: expected `token tag` (whitespace-separated, the tag last), "
                                     f"got {line.strip()[:80]!r}")
                separated |= blank  # a blank line between two tokens: the file marks its sentences
                blank = False
                block.append((number, cells[0], cells[-1]))
                continue
            blank |= not cells and bool(blocks or block)
            if block:
                blocks.append(block)
                block = []
    sentences = blocks + [block] * bool(block)
    if not separated and cut:
        sentences = [sentence for stream in sentences for sentence in cut_sentences(stream)]
    rows = [{"id": f"{Path(path).stem}-{sentence[0][0]}", "tokens": [token for _, token, _ in sentence],
             "tags": iob2([tag for _, _, tag in sentence])} for sentence in sentences]
    if spec is not None and spec.labels is not None:
        log_unknown_tags(spec, rows)
    return rows


conll.keeps_unknown_tags = True  # prepare_data.py checks its output without the label set


def cut_sentences(stream):
    """[(line, token, tag)] without sentence boundaries -> sentences: one ends after a token that ends in
    sentence-final punctuation (SENTENCE_END: a lone "." or a word with its full stop attached, as OCR text has)
    when the next token starts with an upper-case letter and does not continue an entity (I- of the same type)."""
    sentences, start = [], 0
    for i in range(len(stream) - 1):
        (_, token, tag), (_, following, next_tag) = stream[i], stream[i + 1]
        continues = next_tag[:2] == "I-" and tag != OUTSIDE and tag[2:] == next_tag[2:]
        if token[-1] in SENTENCE_END and following[0].isupper() and not continues:
            sentences.append(stream[start:i + 1])
            start = i + 1
    return sentences + [stream[start:]]


def iob2(tags):
    """IOB1 (or IOB2) tags -> IOB2: an I-X that starts a chunk (after O, another type, or first) becomes B-X."""
    previous, converted = OUTSIDE, []
    for tag in tags:
        starts = tag[:2] == "I-" and (previous == OUTSIDE or previous[2:] != tag[2:])
        converted.append("B-" + tag[2:] if starts else tag)
        previous = tag
    return converted


def log_unknown_tags(spec, rows):
    counts = Counter(tag for row in rows for tag in row["tags"] if tag not in spec.labels)
    if counts:
        listed = ", ".join(f"{tag} ({n})" for tag, n in counts.most_common())
        logger.warning("tags not in %s's label set: %s; they are kept: map them with --extra_eval_label_map "
                       "(e.g. MISC=O)", spec.name, listed)


RAW_FORMATS = {"conllu": conllu, "wikiann": wikiann, "ccg": ccg, "ccg_auto": ccg_auto, "conll": conll}


# ---- data ----
def from_hub(spec, dataset, lang):
    """google/xtreme udpos.* / PAN-X.*: tokens + ClassLabel ids -> tag names."""
    names, columns = spec.labels, spec.hub_columns

    def convert(batch, indices):
        tags = [[names[t] if isinstance(t, int) else t for t in row] for row in batch[columns["tags"]]]
        return {"id": [f"{spec.name}-{lang}-{i}" for i in indices], "tokens": batch[columns["tokens"]], "tags": tags}

    return dataset.map(convert, batched=True, with_indices=True, remove_columns=dataset.column_names)


def _learns_labels(spec):
    from tasks import TASKS  # the registry's entry says whether labels come from the data (CCG)
    registered = TASKS.get(spec.name)
    return registered is not None and registered.labels is None


def validate(spec, dataset, path):
    """tokens and tags of equal length; every tag in the label set (unless the labels come from the data)."""
    require_columns(dataset, path, FIELDS)
    n_tokens, n_tags = dataset["tokens"], dataset["tags"]
    for row, (tokens, tags) in enumerate(zip(n_tokens, n_tags)):
        if len(tokens) != len(tags):
            fail_at(path, row, f"{len(tokens)} tokens but {len(tags)} tags; expected one tag per token")
        if not tokens:
            fail_at(path, row, "empty sentence; expected at least one token")
    validate_parses(dataset, path)
    if spec.labels is None or _learns_labels(spec):
        return
    allowed = set(spec.labels)
    for row, tags in enumerate(n_tags):
        bad = [tag for tag in tags if tag not in allowed]
        if bad:
            fail_at(path, row, f"tag {bad[0]!r} is not a label of task {spec.name!r} ({', '.join(spec.labels)})")


def validate_parses(dataset, path):
    """The optional "heads" (CoNLL-U HEAD: 1-based, 0 = the root) and "deprels" of a row, when not null: one per
    token, each head 0 to the number of tokens, not the word itself."""
    names = [name for name in PARSE_FIELDS if name in dataset.column_names]
    for name in names:
        for row, (tokens, values) in enumerate(zip(dataset["tokens"], dataset[name])):
            if values is not None and len(values) != len(tokens):
                fail_at(path, row, f"{len(tokens)} tokens but {len(values)} {name}; expected one per token")
    if "heads" in names:
        for row, heads in enumerate(dataset["heads"]):
            bad = [(i, h) for i, h in enumerate(heads or (), 1) if not isinstance(h, int) or not 0 <= h <= len(heads)
                   or h == i]
            if bad:
                fail_at(path, row, f"head {bad[0][1]!r} of word {bad[0][0]}: expected a word number 1-{len(heads)} "
                                   "or 0 (the root), not the word itself")


def labels_from_data(spec, train_dataset):
    """The sorted set of tags of the training data (CCG supertags)."""
    tags = sorted({tag for row in train_dataset["tags"] for tag in row})
    logger.info("%s: %d labels read from the training data", spec.name, len(tags))
    return tags


def preprocess(spec, tokenizer, data_args, is_train, labels=None):
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("tagging needs a fast tokenizer (character offsets); pass --tokenizer_name with a fast one")
    label_ids = {name: i for i, name in enumerate(label_order(spec, labels))}
    max_length = data_args.max_seq_length or spec.max_seq_length
    padding = "max_length" if data_args.pad_to_max_length else False
    first_char_piece = KIND.options(data_args).label_first_char_piece

    def tokenize(batch):
        texts = [running_text(words) for words in batch["tokens"]]
        features = tokenizer([text for text, _ in texts], truncation=True, max_length=max_length, padding=padding,
                             return_overflowing_tokens=True, stride=0, return_offsets_mapping=True)
        samples, offsets = features.pop("overflow_to_sample_mapping"), features.pop("offset_mapping")
        word_ids = [piece_words(offsets[w], features.sequence_ids(w), texts[s][1]) for w, s in enumerate(samples)]
        features["labels"], features["word_ids"], features["example_id"] = [], [], []
        for window, sample in enumerate(samples):
            continued = window > 0 and samples[window - 1] == sample
            words = first_subwords(word_ids[window], word_ids[window - 1] if continued else ())
            if first_char_piece:
                pieces = tokenizer.convert_ids_to_tokens(features["input_ids"][window])
                words = first_char_pieces(words, word_ids[window], pieces)
            tags = batch["tags"][sample]
            features["word_ids"].append(words)
            features["labels"].append([label_ids.get(tags[w], -100) if w >= 0 else -100 for w in words])
            features["example_id"].append(batch["id"][sample])
        return features

    return tokenize


def running_text(words):
    """The words joined by single spaces, and the character offset where each word ends in that text."""
    ends, position = [], -1
    for word in words:
        position += 1 + len(word)
        ends.append(position)
    return " ".join(words), ends


def piece_words(offsets, sequence_ids, ends):
    """Per piece of running_text's text: the index of its word (the first word ending after the piece starts, so a
    piece of only the space before a word belongs to that word), None for special tokens and padding."""
    words = [bisect_right(ends, start) for start, _ in offsets]
    return [w if sequence is not None and w < len(ends) else None for w, sequence in zip(words, sequence_ids)]


def first_subwords(word_ids, previous_word_ids=()):
    """Per piece: the word index where the piece is the first sub-word of its word, else -1. A word split across
    two windows of one sentence (previous_word_ids: the window before, when it holds the same sentence) is
    labelled in the window holding its first sub-word only."""
    previous = next((w for w in reversed(previous_word_ids) if w is not None), None)
    words = []
    for w in word_ids:
        words.append(w if w is not None and w != previous else -1)
        previous = w if w is not None else previous
    return words


def first_char_pieces(words, word_ids, pieces):
    """first_subwords' positions with each label moved from a bare "\u2581" piece (no character of the word) to
    the word's first piece that has characters, if the word has one in this window."""
    moved = list(words)
    for position, word in enumerate(words):
        if word < 0 or pieces[position].strip(BOUNDARY):
            continue
        same_word = itertools.takewhile(lambda p: word_ids[p] == word, range(position + 1, len(word_ids)))
        target = next((p for p in same_word if pieces[p].strip(BOUNDARY)), None)
        if target is not None:
            moved[position], moved[target] = -1, word
    return moved


def model_class(spec, data_args):
    return AutoModelForTokenClassification


def data_collator(spec, tokenizer, data_args):
    return DataCollatorForTokenClassification(tokenizer)


def postprocess(spec, predictions, examples, features, data_args, labels=None):
    """Word-level predictions per example, from the labelled sub-word of each word (the positions in word_ids;
    all windows merged)."""
    logits = predictions[0] if isinstance(predictions, tuple) else predictions
    best, names = np.asarray(logits).argmax(-1), label_order(spec, labels)
    predicted = {i: [OUTSIDE] * len(tokens) for i, tokens in zip(examples["id"], examples["tokens"])}
    for row, (example_id, words) in enumerate(zip(features["example_id"], features["word_ids"])):
        words = np.asarray(words)
        positions = np.flatnonzero(words >= 0)
        for position, label in zip(positions, best[row, positions].tolist()):
            predicted[example_id][words[position]] = names[label]
    return [{"id": i, "prediction": predicted[i], "label": tags} for i, tags in zip(examples["id"], examples["tags"])]


def compute_metrics(spec, records, lang):
    gold = [r["label"] for r in records]
    predicted = [r["prediction"] for r in records]
    pairs = [(g, p) for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps)]
    metrics = {"accuracy": 100 * sum(g == p for g, p in pairs) / max(len(pairs), 1)}
    if spec.metric == "f1" and is_iob(spec.labels or {tag for tags in gold for tag in tags}):
        metrics["f1"] = 100 * float(f1_score(gold, predicted, zero_division=0))
        metrics["precision"] = 100 * float(precision_score(gold, predicted, zero_division=0))
        metrics["recall"] = 100 * float(recall_score(gold, predicted, zero_division=0))
    elif spec.metric == "f1":
        metrics.update(chunk_scores(xtreme_chunks(gold), xtreme_chunks(predicted)))
    return metrics


def xtreme_chunks(sentences):
    """The set of (type, start, end) chunks that seqeval 0.0.12's get_entities finds in the sentences joined with
    an "O" after each: prefix = the tag's first letter, type = the tag after its last "-" (a POS tag: itself)."""
    chunks, previous, previous_type, begin = set(), OUTSIDE, "", 0
    tags = [tag for sentence in sentences for tag in [*sentence, OUTSIDE]]
    for i, tag in enumerate(tags):
        prefix, type_ = tag[0], tag.split("-")[-1]
        if _chunk_ends(previous, prefix, previous_type, type_):
            chunks.add((previous_type, begin, i - 1))
        if _chunk_starts(previous, prefix, previous_type, type_):
            begin = i
        previous, previous_type = prefix, type_
    return chunks


def _chunk_ends(previous, prefix, previous_type, type_):
    """seqeval 0.0.12's end_of_chunk: does a chunk end before this tag (prefix letters B, I, E, S, O)?"""
    return (previous in ("E", "S") or (previous in ("B", "I") and prefix in ("B", "S", "O"))
            or (previous not in ("O", ".") and previous_type != type_))


def _chunk_starts(previous, prefix, previous_type, type_):
    """seqeval 0.0.12's start_of_chunk: does a chunk start at this tag?"""
    return (prefix in ("B", "S") or (previous in ("E", "S", "O") and prefix in ("E", "I"))
            or (prefix not in ("O", ".") and previous_type != type_))


def chunk_scores(gold_chunks, predicted_chunks):
    """Micro precision, recall and F1 (in percent) of predicted chunks against gold chunks."""
    correct = len(gold_chunks & predicted_chunks)
    precision = correct / len(predicted_chunks) if predicted_chunks else 0.0
    recall = correct / len(gold_chunks) if gold_chunks else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": 100 * f1, "precision": 100 * precision, "recall": 100 * recall}


# ---- per-example statistics (reporting/stats.py bootstraps the metric over test examples) ----
def _sentence_chunks(spec, gold_sentences):
    """compute_metrics' chunking of one sentence, or None when the metric is word accuracy (CCG). Both chunkers
    join sentences with an "O" after each, so a sentence alone gives the same chunks (up to their offsets)."""
    from seqeval.metrics.sequence_labeling import get_entities
    if spec.metric != "f1":
        return None
    if is_iob(spec.labels or {tag for tags in gold_sentences for tag in tags}):
        return lambda tags: set(get_entities(list(tags)))
    return lambda tags: xtreme_chunks([tags])


def example_statistics(spec, records, lang):
    """(ids, stats): one row per sentence, [true positive, predicted, gold] chunks (PAN-X entities, XTREME's POS
    chunks: micro F1 from their sums), or [right words, words] where the metric is word accuracy."""
    chunks = _sentence_chunks(spec, [r["label"] for r in records])
    rows = []
    for r in records:
        if chunks is None:
            pairs = list(zip(r["label"], r["prediction"]))
            rows.append((sum(g == p for g, p in pairs), len(pairs)))
        else:
            gold, predicted = chunks(r["label"]), chunks(r["prediction"])
            rows.append((len(gold & predicted), len(predicted), len(gold)))
    return [r["id"] for r in records], np.array(rows, dtype=float).reshape(len(rows), 2 if chunks is None else 3)


def metric_from_statistics(spec, sums, n):
    """The headline (percent) from summed statistics: micro F1 = 2 TP / (predicted + gold) (= 2PR / (P + R); 0
    without any chunk), or word accuracy; vectorised over leading axes."""
    sums = np.asarray(sums, dtype=float)
    if spec.metric != "f1":
        return 100.0 * sums[..., 0] / np.maximum(sums[..., 1], 1)
    return 100.0 * 2 * sums[..., 0] / np.maximum(sums[..., 1] + sums[..., 2], 1)


def listed(value, where, what):
    """A list, or a string split on whitespace: a row's tokens or tags."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    raise ValueError(f"{where}: {what} must be a list or a whitespace-separated string, got {value!r}")


def custom_row(values, label, where):
    """A tokens column (a list, or a string split on whitespace); the label: the tags (same form)."""
    tokens, tags = listed(values[0], where, "tokens"), listed(label, where, "tags")
    if len(tokens) != len(tags):
        raise ValueError(f"{where}: {len(tokens)} tokens but {len(tags)} tags; expected one tag per token")
    return {"tokens": tokens, "tags": tags}


def custom_spec(spec, train_rows):
    """IOB tags: seqeval's entity F1 (else word accuracy)."""
    return replace(spec, metric="f1") if is_iob({t for r in train_rows for t in r["tags"]}) else spec


class Tagging(TrainedKind):
    name = "tagging"
    FIELDS = FIELDS
    RAW_FORMATS = RAW_FORMATS
    TEXT_FIELDS = ("tokens",)
    LABEL_FIELD = "tags"
    SHOTS = "per_tag"  # Zhao et al. 2021's shot sets: every tag type occurs at least K times
    LABELLED_HEAD = True
    OPTIONS = TaggingOptions
    SUBMISSION_FORMAT = "tags"
    COST_SHAPE = "tagging"
    CUSTOM_METRIC = "accuracy"
    custom_row = staticmethod(custom_row)
    custom_spec = staticmethod(custom_spec)
    labels_from_data = staticmethod(labels_from_data)
    from_hub = staticmethod(from_hub)
    validate = staticmethod(validate)
    model_class = staticmethod(model_class)
    preprocess = staticmethod(preprocess)
    data_collator = staticmethod(data_collator)
    postprocess = staticmethod(postprocess)
    compute_metrics = staticmethod(compute_metrics)
    example_statistics = staticmethod(example_statistics)
    metric_from_statistics = staticmethod(metric_from_statistics)


KIND = Tagging()
