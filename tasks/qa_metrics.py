"""Extractive-QA metrics: exact match and token F1 with SQuAD's or MLQA's answer normalisation.

SQuAD (v1.1 script; used by XTREME for XQuAD and TyDiQA-GoldP): lower-case, drop ASCII punctuation, drop the
English articles, collapse whitespace. MLQA (its mlqa_evaluation_v1.py, reimplemented): lower-case, drop every
Unicode punctuation character (category P*) and ASCII punctuation, drop the language's articles, then split on
whitespace, except Chinese, which is split with "mixed segmentation" (every CJK character is a token).
Scores are in percent; "avg" is (EM + F1) / 2, XTREME's single QA number.
"""
import re
import string
import unicodedata
from collections import Counter

_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")
_SQUAD_PUNCT = set(string.punctuation)
MLQA_ARTICLES = {  # facts from MLQA's evaluation script; hi and zh have no articles
    "en": r"\b(a|an|the)\b",
    "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
    "vi": r"\b(của|là|cái|chiếc|những)\b",
    "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    # MLQA's Arabic rule removes the definite article "ال" wherever it occurs, also inside words (as its
    # script does: its other alternative can never match); we keep that so scores compare with published ones.
    "ar": r"ال",
}
MIXED_SEGMENTATION_LANGS = {"zh"}
_CJK = re.compile(r"[\u4e00-\u9fa5]")


def normalize_squad(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _SQUAD_PUNCT)
    return " ".join(_SQUAD_ARTICLES.sub(" ", text).split())


def _is_punct(ch: str) -> bool:
    return ch in _SQUAD_PUNCT or unicodedata.category(ch).startswith("P")


def mixed_segmentation(text: str) -> list[str]:
    """Chinese: each CJK character (and punctuation mark) is a token; other runs are split on whitespace."""
    tokens, run = [], []
    for ch in text:
        if _CJK.match(ch) or _is_punct(ch):
            tokens.extend("".join(run).split())
            tokens.append(ch)
            run = []
        else:
            run.append(ch)
    tokens.extend("".join(run).split())
    return tokens


def normalize_mlqa(text: str, lang: str) -> str:
    """MLQA's normalisation for `lang` (languages it does not know: no articles, whitespace tokens)."""
    text = "".join(ch for ch in text.lower() if not _is_punct(ch))
    if lang in MLQA_ARTICLES:
        text = re.sub(MLQA_ARTICLES[lang], " ", text)
    tokens = mixed_segmentation(text) if lang in MIXED_SEGMENTATION_LANGS else text.split()
    return " ".join(token for token in tokens if token.strip())


def mlqa_normalizer(lang: str):
    return lambda text: normalize_mlqa(text, lang)


def token_f1(prediction: str, gold: str, empty_match: bool = False) -> float:
    """F1 over whitespace tokens of already-normalised strings; 0 without a common token.

    Two empty strings score 0, as in SQuAD v1.1's and MLQA's scripts (XQuAD, MLQA, TyDiQA-GoldP, SQuAD v1.1);
    empty_match=True scores them 1, as SQuAD v2.0's script does (an empty prediction for an unanswerable one)."""
    pred_tokens, gold_tokens = prediction.split(), gold.split()
    if empty_match and not pred_tokens and not gold_tokens:
        return 1.0
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def qa_scores(records, normalize=normalize_squad, empty_match: bool = False) -> dict[str, float]:
    """records: [{"prediction": str, "label": [gold answer texts] (empty = no answer)}] -> EM, F1, avg in %.

    Each question scores its best gold answer, as SQuAD's and MLQA's scripts do; empty_match: see token_f1.
    """
    exact = f1 = 0.0
    for record in records:
        prediction = normalize(record["prediction"])
        golds = [normalize(gold) for gold in record["label"]] or [""]
        exact += max(float(prediction == gold) for gold in golds)
        f1 += max(token_f1(prediction, gold, empty_match) for gold in golds)
    n = max(len(records), 1)
    exact, f1 = 100.0 * exact / n, 100.0 * f1 / n
    return {"exact_match": exact, "f1": f1, "avg": (exact + f1) / 2}
