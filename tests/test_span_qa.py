"""Span QA: metrics by hand (SQuAD and MLQA normalisation), features with doc stride, vectorised post-processing,
bad input, raw SQuAD JSON, a tiny end-to-end run squad -> xquad, and (slow) real XQuAD zero-shot transfer."""
import dataclasses
import json
import random
import re
import sys
import time

import datasets
import numpy as np
import pytest

from builders import long_context, qa_row, synthetic_qa_rows
from conftest import FAST, ROOT, write_jsonl
from tasks import get_task, span_qa
from tasks.span_qa import SpanQAOptions
from tasks.qa_metrics import mixed_segmentation, normalize_mlqa, normalize_squad, qa_scores, token_f1
from utils.args import DataArguments

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_qa_postprocess import loop_postprocess  # noqa: E402  (the per-feature reference implementation)

XQUAD, MLQA, SQUAD_V2 = get_task("xquad"), get_task("mlqa"), get_task("squad_v2")


# ---- metrics, by hand ----------------------------------------------------------------------------------------

def test_squad_normalisation_and_scores():
    assert normalize_squad("The  Quick, brown fox!") == "quick brown fox"
    assert token_f1("quick brown fox", "brown fox jumps") == pytest.approx(2 / 3)
    records = [{"prediction": "the cat", "label": ["a cat", "dog"]},   # EM 1, F1 1 (articles dropped)
               {"prediction": "dog house", "label": ["house"]}]        # EM 0, F1: P 1/2, R 1 -> 2/3
    scores = qa_scores(records)
    assert scores["exact_match"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(100 * (1 + 2 / 3) / 2)
    assert scores["avg"] == pytest.approx((scores["exact_match"] + scores["f1"]) / 2)


def test_f1_of_two_empty_strings_v11_and_v2_rules():
    # SQuAD v1.1's and MLQA's scripts: no common token -> F1 0, also for two empty strings; SQuAD v2.0's: 1 there
    assert token_f1("", "") == 0.0 and token_f1("", "", empty_match=True) == 1.0
    for empty_match in (False, True):   # one side empty: 0 under both rules
        assert token_f1("paris", "", empty_match) == token_f1("", "paris", empty_match) == 0.0
    assert qa_scores([{"prediction": "", "label": []}]) == {"exact_match": 100.0, "f1": 0.0, "avg": 50.0}
    assert qa_scores([{"prediction": "", "label": []}], empty_match=True) == \
        {"exact_match": 100.0, "f1": 100.0, "avg": 100.0}
    records = [{"prediction": "The", "label": ["a"]},       # both normalise to "": EM 1; F1 0 (v1.1), 1 (v2)
               {"prediction": "Paris", "label": []},        # EM 0, F1 0
               {"prediction": "", "label": ["Paris"]},      # EM 0, F1 0
               {"prediction": "Paris", "label": ["paris!"]}]  # EM 1, F1 1
    v11 = {"exact_match": 50.0, "f1": 25.0, "avg": 37.5}
    for task in ("xquad", "mlqa", "tydiqa", "squad"):
        assert span_qa.compute_metrics(get_task(task), records, "en") == v11, task
    assert span_qa.compute_metrics(SQUAD_V2, records, "en") == {"exact_match": 50.0, "f1": 50.0, "avg": 50.0}


def test_mlqa_german_articles():
    assert normalize_mlqa("Der Hund", "de") == "hund"
    assert span_qa.compute_metrics(MLQA, [{"prediction": "der Hund", "label": ["Hund"]}], "de")["exact_match"] == 100
    squad = span_qa.compute_metrics(XQUAD, [{"prediction": "der Hund", "label": ["Hund"]}], "de")
    assert squad["exact_match"] == 0 and squad["f1"] == pytest.approx(100 * 2 / 3)


def test_mlqa_arabic_article():
    assert normalize_mlqa("الكتاب", "ar") == "كتاب"
    assert normalize_mlqa("قال", "ar") == "ق"  # MLQA's script removes "ال" inside words too
    records = [{"prediction": "الكتاب", "label": ["كتاب"]}]
    assert span_qa.compute_metrics(MLQA, records, "ar")["exact_match"] == 100
    assert span_qa.compute_metrics(XQUAD, records, "ar")["exact_match"] == 0


def test_mlqa_chinese_mixed_segmentation():
    assert mixed_segmentation("2008年北京奥运会 Olympic Games") == \
        ["2008", "年", "北", "京", "奥", "运", "会", "Olympic", "Games"]
    assert normalize_mlqa("“北京”，", "zh") == "北 京"   # Unicode punctuation dropped
    records = [{"prediction": "北京大学", "label": ["北京"]}]    # 2 of 4 characters: P 1/2, R 1 -> F1 2/3
    mlqa = span_qa.compute_metrics(MLQA, records, "zh")
    assert mlqa["exact_match"] == 0 and mlqa["f1"] == pytest.approx(100 * 2 / 3)
    assert span_qa.compute_metrics(XQUAD, records, "zh")["f1"] == 0   # SQuAD: one token each, no overlap


def test_mlqa_unicode_punctuation_and_spanish_articles():
    assert normalize_mlqa("«Hola» – el mundo¿", "es") == "hola mundo"
    assert normalize_squad("«Hola» – el mundo¿") == "«hola» – el mundo¿"   # SQuAD drops ASCII punctuation only


# ---- features -------------------------------------------------------------------------------------------------

def char_tokenizer(texts):
    """One token per non-space character, with exact character offsets: for Chinese and Thai tests."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {token: i for i, token in enumerate(specials + sorted({ch for t in texts for ch in t if not ch.isspace()}))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                 pre_tokenizers.Split(Regex("."), "isolated")])
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=False)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                  cls_token="<s>", unk_token="<unk>", pad_token="<pad>")


def featurize(rows, tokenizer, spec=XQUAD, is_train=False, **args):
    examples = datasets.Dataset.from_list(rows)
    options = {name: args.pop(name) for name in [f.name for f in dataclasses.fields(SpanQAOptions)] if name in args}
    data_args = DataArguments(**args, kind_options=(SpanQAOptions(**options),))
    function = span_qa.preprocess(spec, tokenizer, data_args, is_train)
    return examples, examples.map(function, batched=True, remove_columns=examples.column_names), data_args


def labelled_text(feature, context):
    s, e = feature["start_positions"], feature["end_positions"]
    return None if s == 0 else context[feature["offset_mapping"][s][0]:feature["offset_mapping"][e][1]]


@pytest.fixture(scope="module")
def tiny_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.mark.parametrize("windows, stride", [("xtreme", 17), ("hf_overlap", 8)])
def test_long_context_windows_and_answers_spanning_two_windows(tiny_tokenizer, windows, stride):
    # 60 one-token words; windows of 32 tokens - 7 (3 question tokens, 4 specials) = 25 context tokens,
    # starting every 17 tokens (xtreme), i.e. overlapping by 8 (hf_overlap): words 0-24, 17-41, 34-58 and 51-59.
    words = long_context(60).split()
    words[20:22] = ["Anna", "Paris"]                 # inside the overlap of windows 1 and 2
    words[23:26] = ["John", "Berlin", "London"]      # crosses the end of window 1
    context = " ".join(words)
    rows = [qa_row(0, context, "is the man", "Anna Paris"), qa_row(1, context, "is the man", "John Berlin London")]
    examples, features, _ = featurize(rows, tiny_tokenizer, max_seq_length=32, doc_stride=stride, qa_windows=windows)
    per_example = [[f for f in features if f["example_id"] == r["id"]] for r in rows]
    assert [len(f) for f in per_example] == [4, 4]
    word_starts = [len(" ".join(words[:k] + [""])) for k in range(60)]
    assert [[f["offset_mapping"][f["input_ids"].index(2) + 2][0] for f in ex] for ex in per_example] == \
        [[word_starts[k] for k in (0, 17, 34, 51)]] * 2
    assert [labelled_text(f, context) for f in per_example[0]] == ["Anna Paris", "Anna Paris", None, None]
    assert [labelled_text(f, context) for f in per_example[1]] == [None, "John Berlin London", None, None]
    for feature in features:   # offsets only for context tokens; specials and question tokens are None
        assert feature["offset_mapping"][0] is None and feature["offset_mapping"][1] is None
        assert len(feature["offset_mapping"]) == len(feature["max_context"]) == len(feature["input_ids"])
    # where an answer may start: under xtreme each context token in exactly one window (its max context),
    # under hf_overlap in every window that holds it
    starts = sorted(o[0] for f in per_example[0] for o, ok in zip(f["offset_mapping"], f["max_context"]) if ok)
    assert starts == (word_starts if windows == "xtreme" else sorted(word_starts + word_starts[17:25]
                                                                     + word_starts[34:42] + word_starts[51:59]))


def test_training_features_have_labels_only(tiny_tokenizer):
    rows = [qa_row(0, "Anna sees the big dog.", "who sees", "Anna"),
            {"id": "q1", "context": "John runs.", "question": "who", "answers": {"text": [], "answer_start": []}}]
    _, features, _ = featurize(rows, tiny_tokenizer, is_train=True)
    assert set(features.column_names) >= {"input_ids", "start_positions", "end_positions"}
    assert not set(span_qa.EVAL_ONLY) & set(features.column_names)
    assert features["start_positions"][1] == features["end_positions"][1] == 0   # no answer -> CLS


def test_long_questions_are_truncated(tiny_tokenizer):
    rows = [qa_row(0, "Anna sees the big dog.", long_context(100), "dog")]
    _, features, _ = featurize(rows, tiny_tokenizer, max_query_length=10, max_seq_length=64, doc_stride=16)
    assert len(features) == 1 and features[0]["input_ids"].index(2) <= 11   # <s> + 10 question tokens, </s>
    room = r"64\) - question tokens \(10, at most --max_query_length\) - special tokens \(4\) = 50"
    for stride in (0, 51):   # a window holds 64 - 10 - 4 = 50 context tokens: a step is 1 to 50
        with pytest.raises(ValueError, match=rf"--doc_stride {stride}: under --qa_windows xtreme, the step .*{room}"):
            featurize(rows, tiny_tokenizer, max_query_length=10, max_seq_length=64, doc_stride=stride)
    featurize(rows, tiny_tokenizer, max_query_length=10, max_seq_length=64, doc_stride=50)
    with pytest.raises(ValueError, match=rf"--doc_stride 50: under --qa_windows hf_overlap, the overlap .*{room}"):
        featurize(rows, tiny_tokenizer, max_query_length=10, max_seq_length=64, doc_stride=50, qa_windows="hf_overlap")
    with pytest.raises(ValueError, match="--qa_windows 'bert': expected one of xtreme, hf_overlap"):
        featurize(rows, tiny_tokenizer, qa_windows="bert")


def xtreme_windows(n_tokens, room, step):
    """XTREME's loop (squad_convert_example_to_features): (start, length) of each window of a context's tokens;
    the k-th starts at k * step and holds up to `room` tokens; a window that leaves no overflowing token is the
    last."""
    spans = []
    while len(spans) * step < n_tokens:
        start = len(spans) * step
        spans.append((start, min(n_tokens - start, room)))
        if n_tokens - start <= room:
            break
    return spans


def xtreme_is_max_context(spans, index, position):
    """XTREME's _new_check_is_max_context: is window `index` the best (first best) one for the token?"""
    best_score, best = None, None
    for i, (start, length) in enumerate(spans):
        end = start + length - 1
        if start <= position <= end:
            score = min(position - start, end - position) + 0.01 * length
            if best_score is None or score > best_score:
                best_score, best = score, i
    return index == best


def feature_windows(features):
    """For each example: its windows' (first context token's character, number of context tokens) and the
    max_context flags of their context tokens, in order."""
    found = {}
    for example_id, offsets, may_start in zip(features["example_id"], features["offset_mapping"],
                                              features["max_context"]):
        context = [k for k, o in enumerate(offsets) if o is not None]
        windows, flags = found.setdefault(example_id, ([], []))
        windows.append((offsets[context[0]][0], len(context)))
        flags.append([may_start[k] for k in context])
    return found


def test_max_context_matches_xtreme_rule_on_hand_made_windows():
    rng = random.Random(0)
    for _ in range(300):   # any windows sorted by start, also irregular ones and ties
        starts = sorted(rng.randrange(0, 30) for _ in range(rng.randint(1, 5)))
        spans = [(start, rng.randint(1, 25)) for start in starts]
        flags = span_qa.max_context([s for s, _ in spans], [n for _, n in spans])
        assert [list(f) for f in flags] == [[xtreme_is_max_context(spans, w, start + j) for j in range(length)]
                                            for w, (start, length) in enumerate(spans)]


@pytest.mark.parametrize("windows", ["xtreme", "hf_overlap"])
def test_windows_and_max_context_match_xtreme_rule(windows):
    """Hand-made token sequences: a character tokenizer makes each letter one token (offset = token index).
    Questions of 1-12 tokens (cut to 8) in one batch: rooms of 12-19 context tokens per window."""
    rng = random.Random(1)
    letters = "abcdefghij"
    rows = [{"id": f"q{i}", "context": "".join(rng.choice(letters) for _ in range(rng.randint(1, 70))),
             "question": "".join(rng.choice(letters) for _ in range(rng.randint(1, 12))),
             "answers": {"text": [], "answer_start": []}} for i in range(60)]
    tokenizer = char_tokenizer([letters])
    for stride in (1, 5, 11, 12) if windows == "xtreme" else (0, 5, 11):
        _, features, _ = featurize(rows, tokenizer, max_seq_length=24, max_query_length=8, doc_stride=stride,
                                   qa_windows=windows)
        found = feature_windows(features)
        for row in rows:
            n, room = len(row["context"]), 24 - 4 - min(len(row["question"]), 8)
            spans = xtreme_windows(n, room, stride if windows == "xtreme" else room - stride)
            expected = [[windows == "hf_overlap" or xtreme_is_max_context(spans, w, start + j) for j in range(length)]
                        for w, (start, length) in enumerate(spans)]
            assert found[row["id"]] == (spans, expected), (row, stride)


CJK_THAI = [("美国总统是拜登。他住在华盛顿的白宫。", "谁是总统？", "拜登"),
            ("ประเทศไทยมีกรุงเทพเป็นเมืองหลวง และมีเชียงใหม่ทางเหนือ", "เมืองหลวงคืออะไร", "กรุงเทพ"),
            ("東京は日本の首都です。大阪は西にあります。", "首都はどこ", "東京")]


def one_hot_logits(features, width, noise=0.1, seed=0):
    """Logits that put the labelled span on top (CLS for windows without the answer), -100 past each feature."""
    rng = np.random.default_rng(seed)
    start, end = (rng.normal(0, noise, (len(features), width)).astype(np.float32) for _ in range(2))
    rows = np.arange(len(features))
    start[rows, features["start_positions"]] += 10
    end[rows, features["end_positions"]] += 10
    for i, ids in enumerate(features["input_ids"]):
        start[i, len(ids):] = end[i, len(ids):] = -100
    return start, end


def test_cjk_and_thai_answers_come_from_character_offsets():
    rows = [qa_row(i, *row) for i, row in enumerate(CJK_THAI)]
    tokenizer = char_tokenizer([t for r in CJK_THAI for t in r])
    examples, features, data_args = featurize(rows, tokenizer, max_seq_length=32, doc_stride=6)
    assert len(features) > len(rows)   # several windows per context
    for feature in features:
        context = rows[int(feature["example_id"][1:])]["context"]
        assert labelled_text(feature, context) in (None, rows[int(feature["example_id"][1:])]["answers"]["text"][0])
    records = span_qa.postprocess(XQUAD, one_hot_logits(features, 40), examples, features, data_args)
    assert [r["prediction"] for r in records] == ["拜登", "กรุงเทพ", "東京"]
    assert span_qa.compute_metrics(XQUAD, records, "zh")["exact_match"] == 100


# ---- post-processing ------------------------------------------------------------------------------------------

def random_rows(n, seed=0):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        context = long_context(rng.randint(5, 90), seed=i)
        words = context.split()
        k = rng.randrange(len(words))
        answer = " ".join(words[k:k + rng.randint(1, 3)])
        rows.append(qa_row(i, context, "who " + words[0], answer, start=len(" ".join(words[:k] + [""])) if k else 0))
    return rows


def loop_postprocess_max_context(start_logits, end_logits, examples, features, n_best, max_answer_length):
    """The per-feature loop of XTREME's compute_predictions_logits: as loop_postprocess, and a start token must
    have its max context in the feature (token_is_max_context)."""
    best = {}
    for i, (example_id, offsets, may_start) in enumerate(zip(features["example_id"], features["offset_mapping"],
                                                              features["max_context"])):
        for s in np.argsort(start_logits[i])[-1:-n_best - 1:-1]:
            for e in np.argsort(end_logits[i])[-1:-n_best - 1:-1]:
                if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                    continue
                if not may_start[s] or e < s or e - s + 1 > max_answer_length:
                    continue
                score = start_logits[i][s] + end_logits[i][e]
                if example_id not in best or score > best[example_id][0]:
                    best[example_id] = (score, offsets[s][0], offsets[e][1])
    return [context[best[i][1]:best[i][2]] if i in best else ""
            for i, context in zip(examples["id"], examples["context"])]


@pytest.mark.parametrize("windows", ["xtreme", "hf_overlap"])
def test_vectorised_postprocess_matches_per_feature_loop(tiny_tokenizer, windows):
    rows = random_rows(60)
    examples, features, data_args = featurize(rows, tiny_tokenizer, max_seq_length=40, doc_stride=10,
                                              n_best_size=5, max_answer_length=4, qa_windows=windows)
    assert len(features) > 100     # many examples have several windows
    changed = 0
    for seed in range(3):
        rng = np.random.default_rng(seed)
        start, end = (rng.standard_normal((len(features), 48)).astype(np.float32) for _ in range(2))
        for i, ids in enumerate(features["input_ids"]):  # the Trainer's -100 padding across batches
            start[i, len(ids):] = end[i, len(ids):] = -100
        records = span_qa.postprocess(XQUAD, (start, end), examples, features, data_args)
        any_window = loop_postprocess(start, end, examples, features, 5, 4)   # the benchmark's loop: no max context
        expected = loop_postprocess_max_context(start, end, examples, features, 5, 4)
        assert [r["prediction"] for r in records] == expected
        assert [r["id"] for r in records] == [r["id"] for r in rows]
        assert all(r["label"] == row["answers"]["text"] for r, row in zip(records, rows))
        changed += sum(a != b for a, b in zip(expected, any_window))
    assert (changed > 0) == (windows == "xtreme")   # the max-context rule changes some answers, hf_overlap none


def test_one_hot_logits_recover_answers_across_windows(tiny_tokenizer):
    rows = random_rows(30, seed=1)
    examples, features, data_args = featurize(rows, tiny_tokenizer, max_seq_length=40, doc_stride=10)
    records = span_qa.postprocess(XQUAD, one_hot_logits(features, 40), examples, features, data_args)
    assert [r["prediction"] for r in records] == [r["answers"]["text"][0] for r in rows]


def test_no_valid_span_gives_empty_answer(tiny_tokenizer):
    rows = [qa_row(0, "Anna sees the big dog in Paris.", "who sees", "Anna")]
    examples, features, data_args = featurize(rows, tiny_tokenizer, n_best_size=1)
    start, end = np.zeros((1, 20), np.float32), np.zeros((1, 20), np.float32)
    start[0, 8], end[0, 6] = 5, 5        # the best end lies before the best start
    assert span_qa.postprocess(XQUAD, (start, end), examples, features, data_args)[0]["prediction"] == ""
    start[0, 2], end[0, 2] = 9, 9        # the best span lies in the question
    assert span_qa.postprocess(XQUAD, (start, end), examples, features, data_args)[0]["prediction"] == ""


def test_squad_v2_null_threshold(tiny_tokenizer):
    rows = [qa_row(0, "Anna sees the big dog in Paris.", "who sees", "Anna")]
    examples, features, data_args = featurize(rows, tiny_tokenizer, spec=SQUAD_V2)
    start, end = one_hot_logits(features, 20, noise=0)
    start[0, 0] = end[0, 0] = 11         # null score 22 > span score 10 + 10
    assert span_qa.postprocess(SQUAD_V2, (start, end), examples, features, data_args)[0]["prediction"] == ""
    assert span_qa.postprocess(XQUAD, (start, end), examples, features, data_args)[0]["prediction"] == "Anna"
    span_qa.KIND.options(data_args).null_score_diff_threshold = 3.0
    assert span_qa.postprocess(SQUAD_V2, (start, end), examples, features, data_args)[0]["prediction"] == "Anna"


def test_collator_drops_postprocessing_columns(tiny_tokenizer):
    rows = [qa_row(0, "Anna sees the big dog.", "who sees", "Anna"), qa_row(1, "John runs in London.", "who", "John")]
    _, features, data_args = featurize(rows, tiny_tokenizer)
    batch = span_qa.data_collator(XQUAD, tiny_tokenizer, data_args)([features[0], features[1]])
    assert set(batch) == {"input_ids", "attention_mask", "start_positions", "end_positions"}
    assert batch["input_ids"].shape[0] == 2 and span_qa.model_class(XQUAD, data_args).__name__ == "AutoModelForQuestionAnswering"


# ---- data: bad input, raw SQuAD JSON, hub --------------------------------------------------------------------

def test_validate_names_file_and_line(tmp_path):
    rows = [qa_row(0, "Anna sees the dog.", "who", "Anna"), qa_row(1, "John runs.", "who", "John")]
    rows[1]["answers"]["answer_start"] = [3]
    path = write_jsonl(tmp_path / "xquad" / "test-de.jsonl", rows)
    from utils.data import load_local
    with pytest.raises(ValueError, match=r"test-de\.jsonl:2: answer_start 3 does not point at the answer 'John'"):
        span_qa.validate(XQUAD, load_local(path), path)
    rows[1]["answers"] = {"text": ["John"], "answer_start": []}
    write_jsonl(path, rows)
    with pytest.raises(ValueError, match=r"test-de\.jsonl:2: expected answers"):
        span_qa.validate(XQUAD, load_local(path), path)


def squad_file(path, answer_start=0):
    data = {"version": "v2.0", "data": [{"title": "t", "paragraphs": [{"context": "Anna sees the dog.", "qas": [
        {"id": "a", "question": "Who?", "answers": [{"text": "Anna", "answer_start": answer_start}]},
        {"id": "b", "question": "Why?", "answers": [], "plausible_answers": [{"text": "dog", "answer_start": 14}],
         "is_impossible": True}]}]}]}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_read_squad_json(tmp_path):
    rows = list(span_qa.RAW_FORMATS["squad_json"](str(squad_file(tmp_path / "v2.json"))))
    assert rows == [{"id": "a", "context": "Anna sees the dog.", "question": "Who?",
                     "answers": {"text": ["Anna"], "answer_start": [0]}},
                    {"id": "b", "context": "Anna sees the dog.", "question": "Why?",
                     "answers": {"text": [], "answer_start": []}}]
    with pytest.raises(ValueError, match=r"bad\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\]: answer_start 2"):
        list(span_qa.read_squad_json(str(squad_file(tmp_path / "bad.json", answer_start=2))))
    (tmp_path / "not.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"not\.json: expected a SQuAD JSON file"):
        list(span_qa.read_squad_json(str(tmp_path / "not.json")))


def test_read_real_xquad_json(shared_data):
    rows = list(span_qa.read_squad_json(str(shared_data / "xquad" / "xquad.th.json")))
    assert len(rows) == 1190
    span_qa.validate(XQUAD, datasets.Dataset.from_list(rows), "xquad.th.json")


def test_prepare_data_converts_squad_json(tmp_path, shared_data):
    import prepare_data
    prepare_data.main(["--from_raw", "squad_json", "--input", str(shared_data / "xquad" / "xquad.ro.json"),
                       "--task", "xquad", "--split", "test", "--lang", "ro", "--out", str(tmp_path)])
    lines = (tmp_path / "xquad" / "test-ro.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1190 and set(json.loads(lines[0])) == set(span_qa.SCHEMA)


def test_tydiqa_hub_rows_split_by_id_prefix(tmp_path, monkeypatch):
    import utils.data
    from hub_replica import hub_repo, use_mirror  # the hub's layout and exact features, only these rows
    rows = [{"id": f"{name}-{i}", "title": "t", "context": "Anna sees the dog.", "question": "Who?",
             "answers": {"answer_start": [0], "text": ["Anna"]}}
            for i, name in enumerate(["arabic", "english", "arabic"])]
    use_mirror(monkeypatch, hub_repo(tmp_path, "google/xtreme", {("tydiqa", "validation"): rows}))
    rows = utils.data.load_rows(get_task("tydiqa"), "test", "ar", DataArguments(), span_qa.KIND)  # test: hub validation
    assert rows.column_names == list(span_qa.SCHEMA) and rows["id"][:] == ["arabic-0", "arabic-2"]


# ---- tiny end to end: squad (intermediate) -> xquad (target) ----------------------------------------------

def test_tiny_end_to_end_squad_to_xquad(tmp_path, tiny_model_dir):
    import run_intermediate
    import run_target
    data = tmp_path / "data"
    write_jsonl(data / "squad" / "train-en.jsonl", synthetic_qa_rows(24, 1))
    write_jsonl(data / "squad" / "validation-en.jsonl", synthetic_qa_rows(8, 2))
    write_jsonl(data / "xquad" / "test-de.jsonl", synthetic_qa_rows(6, 3, prefix="de"))
    write_jsonl(data / "xquad" / "test-zh.jsonl", [qa_row(f"zh{i}", *row) for i, row in enumerate(CJK_THAI)])
    qa_flags = ["--max_seq_length", "48", "--doc_stride", "16", "--max_query_length", "16"]
    run_intermediate.main(["--task", "squad", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                           str(tmp_path / "squad"), "--data_dir", str(data), *qa_flags, *FAST])
    squad = json.loads((tmp_path / "squad" / "metrics.json").read_text())["per_language"]["en"]["validation"]
    records = [json.loads(line) for line in
               (tmp_path / "squad" / "predictions" / "squad" / "validation-en.jsonl").read_text().splitlines()]
    dev = {row["id"]: row for row in synthetic_qa_rows(8, 2)}
    assert [r["id"] for r in records] == list(dev) and all(r["prediction"] in dev[r["id"]]["context"] for r in records)
    assert squad == pytest.approx(span_qa.compute_metrics(get_task("squad"), records, "en"))   # scored from them
    out = tmp_path / "xquad"
    run_target.main(["--task", "xquad", "--model_name_or_path", str(tmp_path / "squad" / "encoder"), "--output_dir",
                     str(out), "--data_dir", str(data), "--languages", "de,zh", *qa_flags, *FAST])
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_language"]) == {"de", "zh"}
    records = [json.loads(line) for line in (out / "predictions" / "xquad" / "test-zh.jsonl").read_text().splitlines()]
    contexts = {f"zh{i}": row[0] for i, row in enumerate(CJK_THAI)}
    assert len(records) == 3 and all(r["prediction"] in contexts[r["id"]] for r in records)
    assert metrics["per_language"]["zh"]["test"] == pytest.approx(span_qa.compute_metrics(XQUAD, records, "zh"))


# ---- real data (slow): XQuAD zero-shot transfer with the real model -------------------------------------------

def xquad_rows(shared_data, lang, articles: slice):
    """The questions of some XQuAD articles (the languages are translations of the same 48 articles)."""
    path = shared_data / "xquad" / f"xquad.{lang}.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    ids = {qa["id"] for article in data[articles] for paragraph in article["paragraphs"] for qa in paragraph["qas"]}
    return [row for row in span_qa.read_squad_json(str(path)) if row["id"] in ids]


def trivial_baseline_f1(rows):
    """F1 of the better of two fixed-position answers: the context's first three words, its first sentence."""
    def first_sentence(context):
        return re.split(r"(?<=[.。!?।])\s*", context, maxsplit=1)[0]

    guesses = (lambda c: " ".join(c.split()[:3]), first_sentence)
    return max(qa_scores([{"prediction": guess(r["context"]), "label": r["answers"]["text"]} for r in rows])["f1"]
               for guess in guesses)


SLOW = dict(languages=("ar", "de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh"), questions=40,
            train_features=1000, frozen_layers=6, learning_rate=3e-4, max_seq_length=128, max_query_length=32,
            doc_stride=32)


@pytest.mark.slow
def test_real_xquad_zero_shot_beats_fixed_position_baseline(tmp_path, real_model_dir, shared_data):
    """Train on English XQuAD's first 36 articles, evaluate zero-shot on the last 12 in the 10 other languages.

    To fit a few minutes on 2 CPU cores this calls the kind module and the Trainer directly (run_target.py
    would fine-tune every layer and the 250k-word embedding matrix, which takes far longer): the embeddings and
    the lower 6 of the 12 layers are frozen; training is one epoch over the 128-token windows that hold an
    answer (~1,000, batch 16); evaluation uses the first 40 questions of each language, with the default
    384-token windows and doc stride 128."""
    from transformers import AutoTokenizer, Trainer, TrainingArguments
    started = time.time()
    tokenizer = AutoTokenizer.from_pretrained(real_model_dir)
    train = datasets.Dataset.from_list(xquad_rows(shared_data, "en", slice(0, 36)))
    train_args = DataArguments(max_seq_length=SLOW["max_seq_length"], kind_options=(
        SpanQAOptions(max_query_length=SLOW["max_query_length"], doc_stride=SLOW["doc_stride"]),))
    features = train.map(span_qa.preprocess(XQUAD, tokenizer, train_args, is_train=True), batched=True,
                         remove_columns=train.column_names)
    features = features.filter(lambda starts: [s > 0 for s in starts], input_columns="start_positions", batched=True)
    features = features.shuffle(seed=0).select(range(min(SLOW["train_features"], len(features))))
    import torch
    torch.manual_seed(0)
    model = span_qa.model_class(XQUAD, train_args).from_pretrained(real_model_dir)
    for frozen in [model.base_model.embeddings, *model.base_model.encoder.layer[:SLOW["frozen_layers"]]]:
        frozen.requires_grad_(False)
    eval_args = DataArguments(kind_options=(SpanQAOptions(max_query_length=SLOW["max_query_length"]),))
    trainer = Trainer(model=model, data_collator=span_qa.data_collator(XQUAD, tokenizer, eval_args),
                      train_dataset=features,
                      args=TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=16,
                                             per_device_eval_batch_size=16, learning_rate=SLOW["learning_rate"],
                                             num_train_epochs=1, warmup_steps=2, save_strategy="no",
                                             report_to="none", use_cpu=True, seed=0, dataloader_num_workers=0))
    trainer.train()
    trained = time.time()
    results = {}
    for lang in SLOW["languages"]:
        examples = datasets.Dataset.from_list(xquad_rows(shared_data, lang, slice(36, 48))[:SLOW["questions"]])
        features = examples.map(span_qa.preprocess(XQUAD, tokenizer, eval_args, is_train=False), batched=True,
                                remove_columns=examples.column_names)
        records = span_qa.postprocess(XQUAD, trainer.predict(features).predictions, examples, features, eval_args)
        assert all(r["prediction"] in row["context"] for r, row in zip(records, examples))
        results[lang] = (span_qa.compute_metrics(XQUAD, records, lang)["f1"], trivial_baseline_f1(examples))
    print("\nXQuAD zero-shot F1 (model vs fixed-position baseline): " + ", ".join(
        f"{lang} {f1:.1f} vs {base:.1f}" for lang, (f1, base) in results.items())
        + f"; train {trained - started:.0f} s, evaluate {time.time() - trained:.0f} s")
    for lang, (f1, base) in results.items():
        assert f1 >= base + 10, f"{lang}: F1 {f1:.1f} is not clearly above the baseline's {base:.1f}"


XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")


def xtreme_context_ids(tokenizer, context):
    """XTREME's tokens of a context: its whitespace-separated words (XTREME's _is_whitespace), each sub-tokenised
    alone (squad_convert_example_to_features)."""
    words = "".join(" " if ch in " \t\r\n\u202f" else ch for ch in context).split()
    return [i for ids in tokenizer(words, add_special_tokens=False)["input_ids"] for i in ids]  # each word alone


@pytest.mark.slow
def test_real_xquad_windows_match_xtreme(real_model_dir, shared_data):
    """All 1,190 questions of each XQuAD language with the real model's tokenizer (XLM-R vocabulary) at XTREME's
    settings (384 tokens, doc stride 128, questions cut to 64 tokens): each question's windows (their context
    token ids, hence starts and lengths) and max-context flags equal XTREME's rule applied to XTREME's tokens of
    the context. Prints the evaluation features per language, hf_overlap (the old meaning) vs xtreme."""
    from functools import lru_cache
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(real_model_dir)
    specials = tokenizer.num_special_tokens_to_add(pair=True)

    @lru_cache(maxsize=None)
    def flags(n_tokens, room):
        spans = xtreme_windows(n_tokens, room, 128)
        return spans, [[xtreme_is_max_context(spans, w, s + j) for j in range(n)] for w, (s, n) in enumerate(spans)]

    counts = {}
    for lang in XQUAD_LANGS:
        path = shared_data / "xquad" / f"xquad.{lang}.json"
        examples = datasets.Dataset.from_list(list(span_qa.read_squad_json(str(path))))
        for mode in ("hf_overlap", "xtreme"):   # the loop ends with xtreme's features, checked below
            data_args = DataArguments(max_seq_length=384, kind_options=(
                SpanQAOptions(doc_stride=128, max_query_length=64, qa_windows=mode),))
            features = examples.map(span_qa.preprocess(XQUAD, tokenizer, data_args, is_train=False), batched=True,
                                    remove_columns=examples.column_names)
            counts[lang, mode] = len(features)
        ours = {}
        for example_id, ids, offsets, may_start in zip(*(features[c] for c in ("example_id", "input_ids",
                                                                                "offset_mapping", "max_context"))):
            context = [k for k, o in enumerate(offsets) if o is not None]
            windows, window_flags = ours.setdefault(example_id, ([], []))
            windows.append([ids[k] for k in context])
            window_flags.append([may_start[k] for k in context])
        context_ids = {}
        questions = tokenizer(list(examples["question"]), add_special_tokens=False)["input_ids"]
        for row, question in zip(examples, questions):
            if row["context"] not in context_ids:
                context_ids[row["context"]] = xtreme_context_ids(tokenizer, row["context"])
            ids = context_ids[row["context"]]
            query = min(len(question), 64)
            spans, expected = flags(len(ids), 384 - query - specials)
            assert ours[row["id"]] == ([ids[s:s + n] for s, n in spans], expected), (lang, row["id"])
    print("\nXQuAD evaluation features (384 tokens, doc stride 128, questions <= 64 tokens), hf_overlap -> xtreme: "
          + ", ".join(f"{lang} {counts[lang, 'hf_overlap']} -> {counts[lang, 'xtreme']}" for lang in XQUAD_LANGS))
    assert counts["hi", "xtreme"] == 1382   # XTREME's number for Hindi
    # windows start every 128 context tokens instead of every (384 - question - 4) - 128 >= 188
    assert all(counts[lang, "xtreme"] > counts[lang, "hf_overlap"] for lang in XQUAD_LANGS)
