"""Word tagging: UDPOS (17 UPOS tags), PAN-X / WikiANN (IOB2 entities), CCG supertagging (tags from the data).

Schema: {"id", "tokens": [..], "tags": [..]} (one tag per token).

Sub-words: the tag of a word sits on its FIRST sub-word (label -100 on the others and on special tokens), found
with the fast tokenizer's word_ids(). A sentence longer than the maximum length is not truncated: it is split
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
from pathlib import Path

import numpy as np
from seqeval.metrics import f1_score, precision_score, recall_score
from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification

from utils.data import fail_at, require_columns

logger = logging.getLogger(__name__)
FIELDS = ("id", "tokens", "tags")
OUTSIDE = "O"
BOUNDARY = "\u2581"  # SentencePiece's word-boundary mark


# ---- raw formats (prepare_data.py --from_raw NAME) ----
def _sentences(path, parse_line):
    """Blank-line separated sentences of (token, tag) lines; parse_line(line, where) -> (token, tag) or None."""
    tokens, tags, stem = [], [], Path(path).stem
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.strip():
                pair = parse_line(line, f"{path}:{number}")
                if pair:
                    tokens.append(pair[0])
                    tags.append(pair[1])
            elif tokens:
                yield {"id": f"{stem}-{number}", "tokens": tokens, "tags": tags}
                tokens, tags = [], []
    if tokens:
        yield {"id": f"{stem}-end", "tokens": tokens, "tags": tags}


def conllu(path, **_):
    """CoNLL-U: FORM (column 2) and UPOS (column 4); comments, multiword ranges ("1-2") and empty nodes
    ("1.1") are skipped. Ids are the file stem and the line where a sentence ends."""
    def parse(line, where):
        if line.startswith("#"):
            return None
        cells = line.split("\t")
        if len(cells) != 10:
            raise ValueError(f"{where}: expected 10 tab-separated CoNLL-U columns, got {len(cells)}")
        if "-" in cells[0] or "." in cells[0]:
            return None
        return cells[1], cells[3]
    return _sentences(path, parse)


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


RAW_FORMATS = {"conllu": conllu, "wikiann": wikiann, "ccg": ccg, "ccg_auto": ccg_auto}


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
    if spec.labels is None or _learns_labels(spec):
        return
    allowed = set(spec.labels)
    for row, tags in enumerate(n_tags):
        bad = [tag for tag in tags if tag not in allowed]
        if bad:
            fail_at(path, row, f"tag {bad[0]!r} is not a label of task {spec.name!r} ({', '.join(spec.labels)})")


def labels_from_data(spec, train_dataset):
    """The sorted set of tags of the training data (CCG supertags)."""
    tags = sorted({tag for row in train_dataset["tags"] for tag in row})
    logger.info("%s: %d labels read from the training data", spec.name, len(tags))
    return tags


def preprocess(spec, tokenizer, data_args, is_train):
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("tagging needs a fast tokenizer (word_ids); pass --tokenizer_name with a fast one")
    label_ids = {name: i for i, name in enumerate(spec.labels)}
    max_length = data_args.max_seq_length or spec.max_seq_length
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        features = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length,
                             padding=padding, return_overflowing_tokens=True, stride=0)
        samples = features.pop("overflow_to_sample_mapping")
        features["labels"], features["word_ids"], features["example_id"] = [], [], []
        for window, sample in enumerate(samples):
            words = first_subwords(features.word_ids(window), features, window, samples)
            if getattr(data_args, "label_first_char_piece", False):
                pieces = tokenizer.convert_ids_to_tokens(features["input_ids"][window])
                words = first_char_pieces(words, features.word_ids(window), pieces)
            tags = batch["tags"][sample]
            features["word_ids"].append(words)
            features["labels"].append([label_ids.get(tags[w], -100) if w >= 0 else -100 for w in words])
            features["example_id"].append(batch["id"][sample])
        return features

    return tokenize


def first_subwords(word_ids, features, window, samples):
    """Per token: the word index where the token is the first sub-word of its word, else -1. A word split
    across two windows is labelled in the window holding its first sub-word only."""
    previous = None
    if window > 0 and samples[window - 1] == samples[window]:
        previous = next((w for w in reversed(features.word_ids(window - 1)) if w is not None), None)
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


def model_class(spec):
    return AutoModelForTokenClassification


def data_collator(spec, tokenizer, data_args):
    return DataCollatorForTokenClassification(tokenizer)


def postprocess(spec, predictions, examples, features, data_args):
    """Word-level predictions per example, from the labelled sub-word of each word (the positions in word_ids;
    all windows merged)."""
    logits = predictions[0] if isinstance(predictions, tuple) else predictions
    best = np.asarray(logits).argmax(-1)
    predicted = {i: [OUTSIDE] * len(tokens) for i, tokens in zip(examples["id"], examples["tokens"])}
    for row, (example_id, words) in enumerate(zip(features["example_id"], features["word_ids"])):
        words = np.asarray(words)
        positions = np.flatnonzero(words >= 0)
        for position, label in zip(positions, best[row, positions].tolist()):
            predicted[example_id][words[position]] = spec.labels[label]
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


def is_iob(tags):
    return all(tag == OUTSIDE or tag[:2] in ("B-", "I-") for tag in tags)


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
