"""Code-switching augmentation: words of the English training text replaced by dictionary translations.

Dictionaries are MUSE's bilingual lexicons, `DIR/en-<lang>.txt`, one "source target" pair per line (a source
word may have several lines). For the languages chosen (--augment_languages, e.g. typologically related to the
targets), the share is defined per training example:

  candidates = the word occurrences of the example's text fields (a word: a maximal run of letters; for tagging,
               each token) whose lower-cased form is in at least one chosen dictionary;
  replaced   = exactly floor(ratio * len(candidates) + 0.5) of them, chosen uniformly at random; each gets a
               translation (uniform over its dictionary entries) in a language drawn uniformly from the chosen
               languages whose dictionary has the word; a capitalised word gets a capitalised translation.

Nothing else changes: punctuation, spacing, other words, labels, tags. Span QA answers are kept intact (words
overlapping an answer are not candidates) and their answer_start offsets are shifted. The random choices depend
only on (seed, example index), so a rerun gives the same data.

--augment_languages auto chooses the languages and the ratio from typological closeness to the evaluation
languages (auto_codeswitch, AUTO_RULE; recorded in run_config.json as augment_resolved).
"""
import hashlib
import logging
import math
import random
import re
from pathlib import Path

logger = logging.getLogger(__name__)
WORD = re.compile(r"[^\W\d_]+")


def read_dictionary(path) -> dict:
    """{source word (lower case): [target words]} from a MUSE file; a malformed line names file and line."""
    entries = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2:
                raise ValueError(f"{path}:{number}: expected 'source_word target_word' (MUSE format: two words "
                                 f"separated by whitespace), got {line.strip()!r}")
            targets = entries.setdefault(fields[0].lower(), [])
            if fields[1] not in targets:
                targets.append(fields[1])
    if not entries:
        raise ValueError(f"{path}: the dictionary is empty; expected MUSE lines 'source_word target_word'")
    return entries


def load_dictionaries(directory, languages) -> dict:
    """{lang: dictionary} from DIR/en-<lang>.txt for each language."""
    if not languages:
        raise ValueError("--augment codeswitch needs --augment_languages (e.g. fi,sw)")
    dictionaries = {}
    for lang in languages:
        path = Path(directory or ".") / f"en-{lang}.txt"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such dictionary; --augment codeswitch expects MUSE files "
                                    f"--dictionaries DIR/en-<lang>.txt for each of --augment_languages")
        dictionaries[lang] = read_dictionary(path)
    return dictionaries


def dictionary_languages(directory) -> list[str]:
    """The languages <lang> of the dictionaries DIR/en-<lang>.txt, sorted."""
    return sorted(path.name[3:-4] for path in Path(directory or ".").glob("en-*.txt") if path.is_file())


AUTO_RULE = ("for each evaluation language, the k dictionary languages nearest to it by URIEL syntactic distance "
             "(itself first when it has a dictionary; ties by code); ratio = augment_ratio x (0.5 + the mean "
             "syntactic distance of the evaluation languages to English), at most 1")


def auto_codeswitch(targets, available, ratio: float, k: int) -> dict:
    """--augment_languages auto: the languages and ratio AUTO_RULE gives for the evaluation languages `targets`
    and the dictionary languages `available` (utils/typology.py distances), with what each choice rests on."""
    from utils import typology
    if k < 1:
        raise ValueError(f"--augment_auto_k {k}: expected at least 1")
    known = []
    for lang in available:
        try:
            typology.iso639_3(lang)
            known.append(lang)
        except ValueError as error:
            logger.warning("--augment_languages auto: dictionary en-%s.txt left out: %s", lang, error)
    nearest = {target: typology.closest(target, known, k) for target in targets}
    languages = sorted({lang for pairs in nearest.values() for lang, _ in pairs})
    if not languages:
        raise ValueError(f"--augment_languages auto: no dictionary language with a URIEL syntactic distance to "
                         f"{', '.join(targets)} (dictionaries: {', '.join(available) or 'none'})")
    to_english = [d for d in (typology.distance(target, "en", "syntactic") for target in targets) if d is not None]
    mean = round(sum(to_english) / len(to_english), 4) if to_english else 0.5  # none known: the ratio as given
    resolved = {"rule": AUTO_RULE, "k": k, "evaluation_languages": list(targets), "languages": languages,
                "ratio": round(min(1.0, ratio * (0.5 + mean)), 4), "augment_ratio": ratio,
                "mean_syntactic_distance_to_en": mean,
                "nearest": {target: [list(pair) for pair in pairs] for target, pairs in nearest.items()}}
    logger.info("--augment_languages auto -> %s, ratio %.4f (%s)", ",".join(languages), resolved["ratio"], AUTO_RULE)
    return resolved


class CodeSwitcher:
    def __init__(self, dictionaries: dict, ratio: float, seed: int = 0):
        if not 0 <= ratio <= 1:
            raise ValueError(f"--augment_ratio {ratio}: expected a share between 0 and 1")
        self.dictionaries, self.ratio, self.seed = dictionaries, ratio, seed
        self.languages = sorted(dictionaries)

    def _translate(self, word: str, rng: random.Random) -> str:
        key = word.lower()
        lang = rng.choice([lang for lang in self.languages if key in self.dictionaries[lang]])
        target = rng.choice(self.dictionaries[lang][key])
        return target[:1].upper() + target[1:] if word[:1].isupper() else target

    def _known(self, word: str) -> bool:
        return any(word.lower() in self.dictionaries[lang] for lang in self.languages)

    def _candidates(self, field, value, item=None, protected=()):
        """(field, item, start, end, word) for each candidate word of one string or token list."""
        if isinstance(value, list) and field == "tokens":
            return [(field, i, None, None, token) for i, token in enumerate(value) if self._known(token)]
        if isinstance(value, list):
            return [c for i, text in enumerate(value) for c in self._candidates(field, text, i)]
        if not isinstance(value, str):
            return []
        return [(field, item, m.start(), m.end(), m.group()) for m in WORD.finditer(value)
                if self._known(m.group()) and not any(m.start() < e and s < m.end() for s, e in protected)]

    def switch(self, example: dict, fields: tuple, index: int) -> dict:
        """The example with its share of candidate words in `fields` (its kind's TEXT_FIELDS) replaced (a new dict;
        the input is unchanged)."""
        rng = random.Random(f"{self.seed}:{index}")
        answers = example.get("answers")  # span QA: the answers' characters are kept
        protected = [(s, s + len(t)) for s, t in zip(answers["answer_start"], answers["text"])] if answers else []
        candidates = [c for field in fields if field in example for c in self._candidates(
            field, example[field], protected=protected if field == "context" else ())]
        chosen = rng.sample(candidates, math.floor(self.ratio * len(candidates) + 0.5))
        chosen.sort(key=lambda c: (c[0], -1 if c[1] is None else c[1], c[2] or 0))  # text order
        replacements = [(c, self._translate(c[4], rng)) for c in chosen]
        out = dict(example)
        for field in {c[0] for c in chosen if isinstance(example[c[0]], list)}:
            out[field] = list(example[field])
        for (field, item, start, end, _), new in reversed(replacements):  # right to left: offsets stay valid
            if start is None:  # a token of a tagging example
                out[field][item] = new
            elif item is None:
                out[field] = out[field][:start] + new + out[field][end:]
            else:
                out[field][item] = out[field][item][:start] + new + out[field][item][end:]
        if protected and any(c[0] == "context" for c in chosen):
            out["answers"] = {**answers, "answer_start": [
                s + sum(len(new) - (c[3] - c[2]) for c, new in replacements if c[0] == "context" and c[3] <= s)
                for s in answers["answer_start"]]}
        return out


def augment_dataset(dataset, kind, switcher: CodeSwitcher, fingerprint_extra: str = "", log_examples: int = 3):
    """dataset.map of CodeSwitcher.switch over every row of the kind's TEXT_FIELDS (kind: a tasks/kind.py object;
    cached under a fingerprint of the inputs)."""
    if not kind.TEXT_FIELDS:
        raise ValueError(f"--augment codeswitch: tasks of kind {kind.name!r} have no text fields to augment")
    columns = dataset.column_names

    def switch_batch(batch, indices):
        rows = [dict(zip(columns, values)) for values in zip(*(batch[c] for c in columns))]
        switched = [switcher.switch(row, kind.TEXT_FIELDS, index) for row, index in zip(rows, indices)]
        return {c: [row[c] for row in switched] for c in columns}

    key = (f"{dataset._fingerprint}|{kind.name}|{switcher.ratio}|{switcher.seed}|{switcher.languages}|"
           f"{fingerprint_extra}")
    augmented = dataset.map(switch_batch, batched=True, with_indices=True, desc="Code-switching",
                            new_fingerprint=hashlib.sha256(key.encode()).hexdigest()[:16])
    fields = [f for f in kind.TEXT_FIELDS if f in columns]
    shown = 0
    for before, after in zip(dataset.select(range(min(100, len(dataset)))), augmented):  # the first changed ones
        if shown < log_examples and before != after:
            logger.info("code-switched example %s: %s -> %s", before.get("id"), [before[f] for f in fields],
                        [after[f] for f in fields])
            shown += 1
    return augmented
