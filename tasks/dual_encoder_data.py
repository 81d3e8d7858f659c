"""Data of the dual-encoder tasks (tasks/dual_encoder.py): sentence splitting, SQuAD rows as question -> answer
sentence pairs, and the original releases of LAReQA (XQuAD-R JSON) and Mewsli-X (JSONL) as the local layout.

Local layout (DIR/<task>/):
    <split>-<lang>.jsonl   queries  {"id", "query", "label": [ids of the relevant candidates]}
    candidates.jsonl       the pool {"id", "text", "context" (optional: encoded after the text), "lang" (optional)}
    training pairs         {"id", "query", "candidate", "candidate_id" (optional)}; squad_retrieval reads SQuAD rows
The texts are XTREME-R's model inputs (third_party/evaluate_retrieval.py, utils_mewslix.py): a LAReQA candidate
is its sentence followed by its paragraph, a Mewsli-X query is the mention's sentence with the mention marked
"{ mention }" and repeated in front, an entity is its description.
"""
import json
import re
from collections import defaultdict
from pathlib import Path

from utils.data import iter_jsonl

# ---- sentences --------------------------------------------------------------------------------------------------
# A sentence ends at . ! ? (also the danda and the Arabic question mark) and closing quotes or brackets, before
# white space and a character that is not a lower-case letter; after a CJK full stop it always ends. Abbreviations,
# initials and dotted abbreviations (U.S., z.B.) do not end one. A small version of XTREME's sb_sed (third_party/
# processors/sb_sed.py) for any language; on XQuAD-R's paragraphs it finds XQuAD-R's answer sentence for 94-98% of
# the questions (en 97.9%; tr 87%, zh 88%). XQuAD-R's own sentence_breaks are used where the data has them. Thai has
# no sentence punctuation: a Thai paragraph stays one sentence.
_END = re.compile(r"[.!?\u0964\u061f]+[\"'\u201d\u2019\u00bb)\]]*(?=\s)"  # then white space
                  r"|[\u3002\uff01\uff1f]+[\u300d\u300f\u201d)\uff09]*")   # CJK
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "fr", "rev", "gen", "col", "capt", "lt", "sgt",
                 "gov", "sen", "rep", "pres", "vs", "cf", "approx", "no", "vol", "pp", "ca", "mt", "ft", "jan", "feb",
                 "aug", "sept", "oct", "nov", "dec", "bzw", "usw", "vgl", "sra", "dra"}
_SHORT = re.compile(r"[A-Z]|(\w\.)+\w")  # an initial, U.S, z.B


def _ends_sentence(text, match) -> bool:
    if not match.group().startswith((".", "!", "?", "\u0964", "\u061f")):
        return True  # a CJK full stop
    following = text[match.end():].lstrip()[:1]
    word = re.search(r"[\w.]*$", text[:match.start()]).group()
    short = _SHORT.fullmatch(word) or word.lower() in ABBREVIATIONS
    return bool(following) and not following.islower() and not short


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of a text, surrounding white space excluded."""
    cuts = [0] + [m.end() for m in _END.finditer(text) if _ends_sentence(text, m)] + [len(text)]
    spans = []
    for start, end in zip(cuts, cuts[1:]):
        piece = text[start:end]
        start += len(piece) - len(piece.lstrip())
        end -= len(piece) - len(piece.rstrip())
        if end > start:
            spans.append((start, end))
    return spans


def candidate_text(text, context=None) -> str:
    """What a candidate's encoder reads: XTREME-R's (sentence + paragraph).replace("\\n", "") for LAReQA."""
    return (text + (context or "")).replace("\n", "")


def answer_sentence(spans, start):
    """Index of the sentence holding character `start`, or None (an answer starting between two sentences)."""
    return next((s for s, (a, b) in enumerate(spans) if a <= start < b), None)


def squad_pairs(ids, contexts, questions, answers):
    """SQuAD rows -> (ids, questions, candidate texts): each question with the sentence of its context holding its
    first answer's start, then the context, as XTREME-R's LAReQA training data (processors/lareqa.py). Rows without
    an answer or whose answer starts between two sentences are left out (XTREME-R skips them too)."""
    spans, out = {}, ([], [], [])
    for row_id, context, question, answer in zip(ids, contexts, questions, answers):
        if not answer["answer_start"]:
            continue
        found = spans.setdefault(context, sentence_spans(context))
        s = answer_sentence(found, answer["answer_start"][0])
        if s is not None:
            for column, value in zip(out, (row_id, question, candidate_text(context[slice(*found[s])], context))):
                column.append(value)
    return out


# ---- LAReQA: XQuAD-R ----------------------------------------------------------------------------------------------
def lareqa_split(paragraphs_by_lang):
    """{lang: [SQuAD paragraphs]} -> (pool rows, {lang: query rows}), as XTREME-R's utils_lareqa.load_data: every
    sentence of every paragraph of every language is a candidate ("<lang>_<paragraph>_<sentence>", paragraphs
    numbered from 1 in file order); a question (its id is shared by its translations) is answered by the sentence
    holding its answer's start in each language's copy of its paragraph, so all of those are relevant. Sentences:
    the paragraph's sentence_breaks (XQuAD-R), else sentence_spans. A question whose answer starts between two
    sentences is left out."""
    pool, gold, asked = [], defaultdict(list), defaultdict(list)
    for lang, paragraphs in paragraphs_by_lang.items():
        for number, paragraph in enumerate(paragraphs, 1):
            context = paragraph["context"]
            spans = [tuple(span) for span in paragraph.get("sentence_breaks") or sentence_spans(context)]
            ids = [f"{lang}_{number}_{s}" for s in range(len(spans))]
            pool += [{"id": cid, "text": context[a:b], "context": context, "lang": lang}
                     for cid, (a, b) in zip(ids, spans)]
            for qa in paragraph["qas"]:
                s = answer_sentence(spans, qa["answers"][0]["answer_start"])
                if s is not None:
                    gold[qa["id"]].append(ids[s])
                    asked[lang].append((qa["id"], qa["question"]))
    queries = {lang: [{"id": qid, "query": question, "label": gold[qid]} for qid, question in rows]
               for lang, rows in asked.items()}
    return pool, queries


def paragraphs_of_rows(rows):
    """Flat SQuAD rows (the hub's {"id", "context", "question", "answers"}) -> paragraphs in first-seen order."""
    paragraphs = {}
    for row in rows:
        qa = {"id": row["id"], "question": row["question"],
              "answers": [{"text": t, "answer_start": s} for t, s in zip(row["answers"]["text"],
                                                                            row["answers"]["answer_start"])]}
        paragraphs.setdefault(row["context"], {"context": row["context"], "qas": []})["qas"].append(qa)
    return list(paragraphs.values())


def _squad_paragraphs(path):
    try:
        articles = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
        paragraphs = [p for article in articles for p in article["paragraphs"]]
        for p, paragraph in enumerate(paragraphs):
            if not all(qa.get("answers") for qa in paragraph["qas"]) or not isinstance(paragraph["context"], str):
                raise ValueError(f"paragraph {p + 1}: expected a context and questions with answers")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: expected XQuAD-R (SQuAD v1.1) JSON, {{'data': [{{'paragraphs': [{{'context', "
                         f"'qas', 'sentence_breaks'}}]}}]}} ({error})") from None
    return paragraphs


def xquad_r(input_path, split="test", lang=None, **_):
    """XQuAD-R: the folder xquad-r/ of google-research-datasets/lareqa (<lang>.json; XQuAD's xquad.<lang>.json
    too, then sentences are split by sentence_spans), or one of its files: every language file of the folder, or
    those of --lang (a comma list) -> {"<split>-<lang>.jsonl": queries, "candidates.jsonl": the pool}."""
    folder = Path(input_path) if Path(input_path).is_dir() else Path(input_path).parent
    files = {m[1]: path for path in sorted(folder.glob("*.json"))
             if (m := re.fullmatch(r"(?:xquad\.)?([a-z]{2,3})\.json", path.name))}
    wanted = [code.strip() for code in lang.split(",")] if lang else list(files)
    missing = [code for code in wanted if code not in files]
    if missing or not files:
        raise ValueError(f"{folder}: no XQuAD-R file for {', '.join(missing) or 'any language'}; expected "
                         f"<lang>.json files (found: {', '.join(files) or 'none'})")
    pool, queries = lareqa_split({code: _squad_paragraphs(files[code]) for code in wanted})
    return {"candidates.jsonl": pool, **{f"{split}-{code}.jsonl": rows for code, rows in queries.items()}}


# ---- Mewsli-X ---------------------------------------------------------------------------------------------------
def mention_query(context, mention) -> str:
    """XTREME-R's baseline Mewsli-X query (utils_mewslix.preprocess_mention): the sentence holding the mention,
    the mention marked "{ mention }" (braces already in the text become parentheses), and the mention in front."""
    span = mention["mention_span"]
    sentence = next((s for s in context["sentence_spans"]
                     if s["start"] <= span["start"] < s["end"] and s["start"] < span["end"] <= s["end"]), None)
    if sentence is None or context["text"][span["start"]:span["end"]] != span["text"]:
        raise ValueError(f"mention {mention['example_id']!r}: its span is not the text {span['text']!r} within one "
                         "sentence of the context (WikiNews files need their text restored by get-mewsli-x.sh)")
    left = context["text"][sentence["start"]:span["start"]]
    right = context["text"][span["end"]:sentence["end"]]
    left, right = (re.sub(r"\{(.*?)\}", r"(\1)", side) for side in (left, right))
    query = f"{span['text']}: {left} {{ {span['text']} }} {right}"
    return " ".join(query.splitlines()).replace("  ", " ").strip()


def entity_text(entity) -> str:
    """XTREME-R's entity text (utils_mewslix.preprocess_entity_description): its description's sentences."""
    text = " ".join(entity["description"][s["start"]:s["end"]] for s in entity["sentence_spans"])
    return " ".join(text.splitlines()).replace("  ", " ").strip()


def mewslix(input_path, split="test", **_):
    """A Mewsli-X file (mewsli_x/output/dataset/ of get-mewsli-x.sh, or XTREME's download): candidate_set_entities
    .jsonl -> {"candidates.jsonl"}; wikinews_mentions-<split>.jsonl (one article and its mentions per line; also
    XTREME's per-language wikinews_mentions/<split>-<lang>.jsonl) -> {"<split>-<lang>.jsonl": queries} per language;
    wikipedia_pairs-<split>.jsonl -> {"<split>-en.jsonl": training pairs}."""
    out = defaultdict(list)
    for number, row in iter_jsonl(input_path):
        try:
            if "entity_id" in row and "description" in row:
                out["candidates.jsonl"].append({"id": row["entity_id"], "text": entity_text(row),
                                                "lang": row["description_language"]})
            elif "contextual_mention" in row:
                context, mention = row["contextual_mention"]["context"], row["contextual_mention"]["mention"]
                out[f"{split}-{context['language']}.jsonl"].append(
                    {"id": mention["example_id"], "query": mention_query(context, mention),
                     "candidate": entity_text(row["entity"]), "candidate_id": row["entity"]["entity_id"]})
            else:
                for mention in row["mentions"]:
                    if not mention["entity_id"]:
                        raise ValueError("no gold entity_id (XTREME's utils_preprocess.py removes the test labels;"
                                         " convert the original wikinews_mentions-test.jsonl)")
                    out[f"{split}-{row['context']['language']}.jsonl"].append(
                        {"id": mention["example_id"], "query": mention_query(row["context"], mention),
                         "label": [mention["entity_id"]]})
        except (KeyError, TypeError, ValueError) as error:
            problem = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            raise ValueError(f"{input_path}:{number}: {problem}; expected a Mewsli-X candidate entity, WikiNews "
                             "article with mentions, or Wikipedia mention-entity pair") from None
    return dict(out)


RAW_FORMATS = {"xquad_r": xquad_r, "mewslix": mewslix}
