"""Local replicas of the hub's datasets as published (facts from ../shared/hub/schemas.json).

`xquad_hub_rows(lang)` gives google/xtreme's `XQuAD.<lang>` rows as its loading script produced them from the
original files: context, question and each answer text `.strip()`ped, `answer_start` kept as in the file.
"""
import json
import os
from pathlib import Path

SHARED = Path(os.environ.get("XSTILTS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
XQUAD_DIR = SHARED / "data" / "xquad"


def xquad_hub_rows(lang, xquad_dir=XQUAD_DIR):
    """google/xtreme `XQuAD.<lang>` validation rows, in file order, with the hub's features
    (id, context, question, answers={answer_start, text})."""
    data = json.loads((Path(xquad_dir) / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
    return [{"id": qa["id"], "context": paragraph["context"].strip(), "question": qa["question"].strip(),
             "answers": {"answer_start": [a["answer_start"] for a in qa["answers"]],
                         "text": [a["text"].strip() for a in qa["answers"]]}}
            for article in data for paragraph in article["paragraphs"] for qa in paragraph["qas"]]


def misaligned(row):
    """How many of a row's answers no longer sit at their answer_start."""
    context, answers = row["context"], row["answers"]
    return sum(context[start:start + len(text)] != text for start, text in zip(answers["answer_start"], answers["text"]))
