"""Domain shift: the CoNLL `token tag` converter, --extra_eval sets with --extra_eval_label_map in
run_target.py (checked before the model loads, scored from their predictions files, reused on resume), and the
report's domain-shift table."""
import json
import logging
import random
import re
from collections import Counter

import pytest
from seqeval.metrics import f1_score
from seqeval.metrics.sequence_labeling import get_entities

from conftest import FAST, make_sentence, nli_rows, write_jsonl
import prepare_data
import run_target
from tasks import get_task, tagging
from utils.args import InputError
from tasks.kinds import kind_of
from utils.data import map_label, parse_label_map, read_jsonl

from reporting import runs as report_runs
from reporting.sections import domain_shift as report_domain
from test_tagging import frozen_embeddings, shallow_model  # noqa: F401 (fixtures)

EUROPEANA = "europeana_ner/enp_NL.kb.bio"


def convert(tmp_path, text, task="panx", name="raw.bio"):
    """Write text as a raw file, convert it with prepare_data.py --from_raw conll, return the rows written."""
    raw = tmp_path / name
    raw.write_text(text, encoding="utf-8")
    prepare_data.main(["--from_raw", "conll", "--input", str(raw), "--task", task, "--split", "test", "--lang", "nl",
                       "--out", str(tmp_path / "out")])
    return read_jsonl(tmp_path / "out" / task / "test-nl.jsonl")


# ---- the converter ----
def test_conll_iob1_with_blank_lines_becomes_iob2(tmp_path):
    text = ("-DOCSTART- -X- O\n\n"
            "Jan NNP I-PER\nde NN I-PER\nVries NNP I-PER\nB. NNP B-PER\nwoont VB O\nin IN O\nLeiden. NNP I-LOC\n\n"
            "Hij PRP O\nging VB O\nnaar IN O\nDe NNP I-LOC\nHaag NNP I-LOC\n\n\n")
    rows = convert(tmp_path, text)
    # IOB1: a chunk starting with I- becomes B-; B- (a chunk right after one of the same type) stays; blank lines
    # are the sentence boundaries (no cut after "B." or "Leiden." although the next word has a capital)
    assert [row["tokens"] for row in rows] == [["Jan", "de", "Vries", "B.", "woont", "in", "Leiden."],
                                               ["Hij", "ging", "naar", "De", "Haag"]]
    assert [row["tags"] for row in rows] == [["B-PER", "I-PER", "I-PER", "B-PER", "O", "O", "B-LOC"],
                                             ["O", "O", "O", "B-LOC", "I-LOC"]]
    assert [row["id"] for row in rows] == ["raw-3", "raw-11"]  # the file stem and the sentence's first line


def test_iob2_is_unchanged_and_iob1_converted():
    iob2 = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG"]
    assert tagging.iob2(iob2) == iob2
    assert tagging.iob2(["I-PER", "I-PER", "I-LOC", "O", "I-ORG", "B-ORG"]) == \
        ["B-PER", "I-PER", "B-LOC", "O", "B-ORG", "B-ORG"]
    assert tagging.iob2(["NOUN", "VERB"]) == ["NOUN", "VERB"]  # not IOB: kept


def test_conll_without_blank_lines_is_cut_after_sentence_final_punctuation(tmp_path):
    lines = ["Het O", "huis O", "brandde. O", "De O", "brandweer O", "kwam O", "uit O", "St. B-LOC", "Louis I-LOC",
             "! O", "Wat O", "een O", "dag O", "enz. O", "en O", "zoo O", "voort O", "? O", "-DOCSTART- O",
             "Anna B-PER", "kwam O", ". O"]
    rows = convert(tmp_path, "\n".join(lines) + "\n\n")  # a trailing blank line marks no sentence
    assert [row["tokens"] for row in rows] == [
        ["Het", "huis", "brandde."],                               # a full stop attached to the word, capital next
        ["De", "brandweer", "kwam", "uit", "St.", "Louis", "!"],  # no cut inside an entity (I-LOC continues)
        ["Wat", "een", "dag", "enz.", "en", "zoo", "voort", "?"],  # no cut before a lower-case word
        ["Anna", "kwam", "."]]                                     # -DOCSTART- skipped and ends the stream
    assert sum(len(row["tags"]) for row in rows) == len(lines) - 1


def test_unknown_tags_are_listed_with_counts_and_kept(tmp_path, caplog):
    text = "Ajax B-MISC\nwon O\nin O\nAmsterdam B-LOC\n\nHet O\nAjax B-MISC\nStadion I-MISC\nB-X B-PER\n"
    with caplog.at_level(logging.WARNING):
        rows = convert(tmp_path, text)
    assert "tags not in panx's label set: B-MISC (2), I-MISC (1)" in caplog.text
    assert "--extra_eval_label_map" in caplog.text
    assert [row["tags"] for row in rows] == [["B-MISC", "O", "O", "B-LOC"], ["O", "B-MISC", "I-MISC", "B-PER"]]


def test_conll_line_without_a_tag_names_the_file_and_line(tmp_path):
    with pytest.raises(ValueError, match=r"raw.bio:2: expected `token tag`"):
        convert(tmp_path, "Een O\nlos\n")


def test_real_europeana_file_keeps_every_token_and_entity(tmp_path, shared_data):
    raw = shared_data / EUROPEANA
    lines = [line.split() for line in raw.read_text(encoding="utf-8").splitlines() if line.strip()]
    raw_tokens, raw_tags = [cells[0] for cells in lines], [cells[-1] for cells in lines]
    assert len(raw_tokens) == 182_482
    starts = Counter(tag[2:] for tag in raw_tags if tag.startswith("B-"))
    assert (starts["PER"], starts["LOC"], starts["ORG"]) == (2349, 4120, 541)  # the data README's counts
    raw_entities = Counter(chunk[0] for chunk in get_entities(raw_tags))  # seqeval's chunks of the whole stream
    prepare_data.main(["--from_raw", "conll", "--input", str(raw), "--task", "panx", "--split", "test", "--lang",
                       "nl", "--out", str(tmp_path)])
    rows = read_jsonl(tmp_path / "panx" / "test-nl.jsonl")
    assert [token for row in rows for token in row["tokens"]] == raw_tokens
    converted = Counter(tag[2:] for row in rows for tag in row["tags"] if tag.startswith("B-"))
    assert converted == raw_entities  # IOB2: one B- per entity (the file's few I- chunk starts became B-)
    assert sum(converted.values()) >= sum(starts.values())
    assert Counter(chunk[0] for row in rows for chunk in get_entities(row["tags"])) == raw_entities
    # the stream is cut into sentences: each ends in sentence-final punctuation before a capitalised word
    assert 2_000 < len(rows) < 50_000 and max(len(row["tokens"]) for row in rows) < 2_000
    for row, following in zip(rows, rows[1:]):
        assert row["tokens"][-1][-1] in ".!?\u2026" and following["tokens"][0][0].isupper()
        assert not following["tags"][0].startswith("I-")


# ---- tiny data for runs ----
NAMES = {"Paris": "LOC", "Berlin": "LOC", "London": "LOC", "Anna": "PER", "John": "PER"}


def ner_rows(n, seed, prefix, misc=False):
    """Sentences of WORDS tagged PER/LOC by name (two-word names with I-); misc: 'music' becomes a MISC entity."""
    rng, rows = random.Random(seed), []
    for i in range(n):
        tokens = make_sentence(rng).split()
        tags = [f"B-{NAMES[t]}" if t in NAMES else "O" for t in tokens]
        for j in range(1, len(tokens)):
            if tags[j].startswith("B-") and tags[j - 1] == tags[j]:
                tags[j] = "I-" + tags[j][2:]
        if misc:
            tokens, tags = tokens + ["music", "game"], tags + ["B-MISC", "I-MISC"]
        rows.append({"id": f"{prefix}{i}", "tokens": tokens, "tags": tags})
    return rows


@pytest.fixture()
def panx_dirs(tmp_path):
    data, extra = tmp_path / "data", tmp_path / "europeana"
    write_jsonl(data / "panx" / "train-en.jsonl", ner_rows(40, 1, "tr"))
    write_jsonl(data / "panx" / "validation-en.jsonl", ner_rows(10, 2, "dev"))
    for lang, seed in (("de", 3), ("nl", 4)):
        write_jsonl(data / "panx" / f"test-{lang}.jsonl", ner_rows(8, seed, f"{lang}-"))
    write_jsonl(extra / "panx" / "test-nl.jsonl", ner_rows(9, 5, "enp-", misc=True))  # nl only; MISC tags
    return data, extra


def target_argv(tiny_model_dir, data, out, *flags):
    return ["--task", "panx", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out), "--data_dir",
            str(data), "--languages", "de,nl", *flags, *FAST]


@pytest.fixture()
def no_model(monkeypatch):
    """Fail the test if a model or tokenizer is loaded."""
    import engine.runner

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the error")

    monkeypatch.setattr(engine.runner, "load_tokenizer", refuse)
    monkeypatch.setattr(engine.runner, "load_with_new_head", refuse)


# ---- errors, before the model loads ----
def test_unmapped_label_is_an_error_naming_file_line_and_label(tmp_path, tiny_model_dir, panx_dirs, no_model):
    data, extra = panx_dirs
    out = tmp_path / "run"
    with pytest.raises(InputError, match=re.escape(f"{extra / 'panx' / 'test-nl.jsonl'}:1: label 'B-MISC' is not a "
                                                   "label of task 'panx'") + ".*--extra_eval_label_map"):
        run_target.main(target_argv(tiny_model_dir, data, out, "--extra_eval", f"europeana={extra}"))
    assert not out.exists()  # nothing written
    rows = read_jsonl(extra / "panx" / "test-nl.jsonl")
    rows[2]["tags"][-1] = "I-EVENT"  # MISC mapped now; the third line has another label outside the set
    write_jsonl(extra / "panx" / "test-nl.jsonl", rows)
    with pytest.raises(InputError, match=r"test-nl.jsonl:3: label 'I-EVENT' is not a label of task 'panx'"):
        run_target.main(target_argv(tiny_model_dir, data, out, "--extra_eval", f"europeana={extra}",
                                    "--extra_eval_label_map", "MISC=O"))


@pytest.mark.parametrize("flags, message", [
    (["--extra_eval", "test=DIR"], r"--extra_eval test=DIR: the name 'test' must be a simple identifier"),
    (["--extra_eval", "my-set=DIR"], r"the name 'my-set' must be a simple identifier"),
    (["--extra_eval", "europeana"], r"--extra_eval europeana: expected NAME=DIR"),
    (["--extra_eval", "a=X,a=Y"], r"the name 'a' is given twice"),
    (["--extra_eval", "a={extra}", "--extra_eval_label_map", "PER=PERSON"],
     r"--extra_eval_label_map PER=PERSON: 'PERSON' is not an entity type of task 'panx' \(LOC, ORG, PER\) or O"),
    (["--extra_eval", "a={extra}", "--extra_eval_label_map", "B-MISC=B-PERSON"], r"'B-PERSON' is not a label"),
    (["--extra_eval_label_map", "MISC=O"], r"--extra_eval_label_map .*no --extra_eval given"),
    (["--extra_eval", "a={data}/nowhere"], r"--extra_eval a=.*/nowhere: no test file of an evaluation language in "
                                           r".*/nowhere/panx \(expected test-<lang>.jsonl, <lang> one of de, nl\)"),
])
def test_bad_extra_eval_arguments(tmp_path, tiny_model_dir, panx_dirs, no_model, flags, message):
    data, extra = panx_dirs
    flags = [flag.format(extra=extra, data=data) for flag in flags]
    with pytest.raises(InputError, match=message):
        run_target.main(target_argv(tiny_model_dir, data, tmp_path / "run", *flags))


def test_label_map_on_a_task_without_labels_and_on_a_pool_task(tmp_path, tiny_model_dir, no_model):
    with pytest.raises(InputError, match=r"--extra_eval_label_map: task 'xquad' has no label set to map"):
        run_target.main(["--task", "xquad", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                         str(tmp_path / "q"), "--extra_eval", f"a={tmp_path}", "--extra_eval_label_map", "x=y"])
    with pytest.raises(InputError, match=r"--extra_eval: task 'lareqa' \(dual_encoder\) is evaluated against a "
                                         r"candidate pool"):
        run_target.main(["--task", "lareqa", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                         str(tmp_path / "l"), "--extra_eval", f"a={tmp_path}"])


def test_label_map_semantics():
    panx, xnli = get_task("panx"), get_task("xnli")
    mapping = parse_label_map("MISC=O, PER=PER, B-EVENT=B-ORG, LOCATION=LOC", panx, kind_of(panx))
    assert [map_label(tag, mapping, iob=True) for tag in
            ["B-MISC", "I-MISC", "B-PER", "I-PER", "B-EVENT", "I-EVENT", "I-LOCATION", "O", "B-LOC"]] == \
        ["O", "O", "B-PER", "I-PER", "B-ORG", "I-EVENT", "I-LOC", "O", "B-LOC"]
    mapping = parse_label_map("entails=entailment,contradicts=contradiction", xnli, kind_of(xnli))
    assert [map_label(label, mapping, iob=False) for label in ["entails", "neutral", "contradicts"]] == \
        ["entailment", "neutral", "contradiction"]
    with pytest.raises(ValueError, match=r"'maybe' is not a label of task 'xnli'"):
        parse_label_map("unsure=maybe", xnli, kind_of(xnli))


# ---- runs ----
def test_tagging_run_scores_extra_sets_from_their_predictions_and_reuses_them(tmp_path, tiny_model_dir, panx_dirs):
    data, extra = panx_dirs
    out = tmp_path / "run"
    argv = target_argv(tiny_model_dir, data, out, "--extra_eval", f"europeana={extra}", "--extra_eval",
                       f"again={extra}", "--extra_eval_label_map", "MISC=O")
    document = run_target.main(argv)
    nl = document["per_language"]["nl"]
    assert set(nl) == {"test", "europeana", "again"} and set(document["per_language"]["de"]) == {"test"}
    raw = read_jsonl(extra / "panx" / "test-nl.jsonl")
    for name in ("europeana", "again"):
        records = read_jsonl(out / "predictions" / "panx" / f"{name}-nl.jsonl")
        assert [r["id"] for r in records] == [row["id"] for row in raw]
        # gold labels mapped by hand: B-MISC, I-MISC -> O
        assert [r["label"] for r in records] == [[("O" if "MISC" in t else t) for t in row["tags"]] for row in raw]
        gold, predicted = [r["label"] for r in records], [r["prediction"] for r in records]
        assert nl[name]["f1"] == pytest.approx(100 * f1_score(gold, predicted, zero_division=0))
        words = [(g, p) for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps)]
        assert nl[name]["accuracy"] == pytest.approx(100 * sum(g == p for g, p in words) / len(words))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["per_language"]["nl"]["europeana"] == nl["europeana"]
    assert metrics["average"]["europeana"]["f1"] == pytest.approx(nl["europeana"]["f1"], abs=1e-3)  # one language
    config = json.loads((out / "run_config.json").read_text())
    assert config["arguments"]["extra_eval"] == [f"europeana={extra}", f"again={extra}"]
    assert config["arguments"]["extra_eval_label_map"] == "MISC=O"

    # resume: an interrupted run (no DONE) reuses the extra set's predictions file like any split's
    path = out / "predictions" / "panx" / "europeana-nl.jsonl"
    records = read_jsonl(path)
    write_jsonl(path, [{**r, "prediction": r["label"]} for r in records])  # perfect predictions
    (out / "DONE").unlink()
    resumed = run_target.main(argv)
    assert resumed["per_language"]["nl"]["europeana"]["f1"] == 100.0
    assert resumed["per_language"]["nl"]["again"] == nl["again"]


def test_classification_run_with_an_extra_set_and_mapped_labels(tmp_path, tiny_model_dir, tiny_data_dir):
    extra = tmp_path / "reviews"
    names = {"entailment": "entails", "neutral": "neutral", "contradiction": "contradicts"}
    raw = [{**row, "label": names[row["label"]]} for row in nli_rows(12, 9, prefix="rv-")]
    write_jsonl(extra / "xnli" / "test-fr.jsonl", raw)
    out = tmp_path / "run"
    document = run_target.main(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                                str(out), "--data_dir", str(tiny_data_dir), "--languages", "de,fr", "--extra_eval",
                                f"reviews={extra}", "--extra_eval_label_map",
                                "entails=entailment,contradicts=contradiction", *FAST])
    records = read_jsonl(out / "predictions" / "xnli" / "reviews-fr.jsonl")
    inverse = {v: k for k, v in names.items()}
    assert [r["label"] for r in records] == [inverse[row["label"]] for row in raw]
    accuracy = 100 * sum(r["prediction"] == r["label"] for r in records) / len(records)
    assert document["per_language"]["fr"]["reviews"]["accuracy"] == pytest.approx(accuracy)
    assert "reviews" not in document["per_language"]["de"]


# ---- the report ----
def write_run(root, rel, inter, seed, test, extra):
    """A finished panx target run: test {lang: f1}, extra {NAME: {lang: f1}}."""
    out = root / rel
    out.mkdir(parents=True)
    per_language = {lang: {"test": {"f1": f1}} for lang, f1 in test.items()}
    for name, scores in extra.items():
        for lang, f1 in scores.items():
            per_language[lang][name] = {"f1": f1, "accuracy": 99.0}
    (out / "metrics.json").write_text(json.dumps({"task": "panx", "metric": "f1", "per_language": per_language}))
    (out / "run_config.json").write_text(json.dumps({"task": "panx", "intermediate_task": inter, "base_model": "xlmr",
                                                     "seed": seed, "arguments": {"seed": seed}}))
    (out / "DONE").write_text("")


def test_domain_shift_table_on_fixture_runs(tmp_path):
    root = tmp_path / "runs"
    write_run(root, "s1/baseline/panx", None, 1, {"nl": 80, "de": 70}, {"europeana": {"nl": 50}})
    write_run(root, "s2/baseline/panx", None, 2, {"nl": 84, "de": 72}, {"europeana": {"nl": 58}})
    write_run(root, "s1/multi/panx", "mnli_multi", 1, {"nl": 82, "de": 71}, {"europeana": {"nl": 70}})
    write_run(root, "s2/multi/panx", "mnli_multi", 2, {"nl": 86, "de": 75}, {"europeana": {"nl": 70}})
    runs = report_runs.collect(root, root / "report", "test")
    assert {run.path: run.extra for run in runs}["s1/baseline/panx"] == {"europeana": {"nl": 50.0}}
    markdown, rows = report_domain.domain_shift_table(runs)
    assert len(rows) == 2  # de has no out-of-domain set
    base, multi = rows
    assert (base["variant"], base["extra_set"], base["language"], base["n_seeds"]) == ("baseline", "europeana", "nl", 2)
    assert (base["in_domain"], base["out_of_domain"], base["drop"]) == (82.0, 54.0, 28.0)  # drops 30, 26
    assert base["drop_std"] == pytest.approx(2 ** 0.5 * 2) and base["drop_vs_baseline"] is None
    assert base["in_domain_std"] == pytest.approx(2 ** 0.5 * 2) and base["out_of_domain_std"] == pytest.approx(
        2 ** 0.5 * 4)
    assert (multi["variant"], multi["in_domain"], multi["out_of_domain"], multi["drop"]) == ("mnli_multi", 84, 70, 14)
    assert multi["out_of_domain_std"] == 0 and multi["drop_vs_baseline"] == -14.0  # drops 12, 16; 14 - 28
    assert "### panx" in markdown
    assert "| xlmr | baseline | europeana | nl | 2 | 82.0 ± 2.8 | 54.0 ± 5.7 | 28.0 ± 2.8 | – |" in markdown
    assert "| xlmr | mnli_multi | europeana | nl | 2 | 84.0 ± 2.8 | 70.0 ± 0.0 | 14.0 ± 2.8 | -14.0 |" in markdown


def test_domain_shift_table_is_empty_without_extra_sets(tmp_path):
    root = tmp_path / "runs"
    write_run(root, "s1/baseline/panx", None, 1, {"nl": 80}, {})
    runs = report_runs.collect(root, root / "report", "test")
    assert runs[0].extra == {} and report_domain.domain_shift_table(runs) == ("", [])


# ---- real model, real data (slow) ----
@pytest.mark.slow
def test_real_panx_model_on_wikipedia_and_europeana_dutch(tmp_path, shallow_model, frozen_embeddings, shared_data):
    """English PAN-X (WikiANN), briefly, on the real model cut to 6 layers (embeddings frozen, as the tagging
    tests do); zero-shot on 200 Dutch WikiANN test sentences and 200 converted Europeana sentences (1800s
    newspapers, OCR; every k-th): both scores recomputed from their predictions files, and the in-domain F1 above
    the all-O baseline's (0) by 10 points."""
    import time
    model = shallow_model
    data, extra, panx = tmp_path / "data", tmp_path / "europeana", shared_data / "panx"
    write_jsonl(data / "panx" / "train-en.jsonl", list(tagging.wikiann(panx / "en" / "train"))[:1600])
    write_jsonl(data / "panx" / "validation-en.jsonl", list(tagging.wikiann(panx / "en" / "dev"))[:50])
    write_jsonl(data / "panx" / "test-nl.jsonl", list(tagging.wikiann(panx / "nl" / "test"))[:200])
    prepare_data.main(["--from_raw", "conll", "--input", str(shared_data / EUROPEANA), "--task", "panx", "--split",
                       "test", "--lang", "nl", "--out", str(tmp_path / "converted")])
    converted = read_jsonl(tmp_path / "converted" / "panx" / "test-nl.jsonl")
    # every k-th sentence: the file's annotation density varies a lot (its first 10,000 tokens hold 77 entities)
    write_jsonl(extra / "panx" / "test-nl.jsonl", converted[::len(converted) // 200][:200])
    started = time.time()
    document = run_target.main([
        "--task", "panx", "--model_name_or_path", str(model), "--output_dir", str(tmp_path / "run"), "--data_dir",
        str(data), "--languages", "nl", "--extra_eval", f"europeana={extra}", "--max_eval_samples", "200",
        "--per_device_train_batch_size", "16", "--gradient_accumulation_steps", "1", "--per_device_eval_batch_size",
        "64", "--max_steps", "60", "--eval_strategy", "no", "--load_best_model_at_end", "false", "--logging_steps",
        "25", "--learning_rate", "1e-4", "--max_seq_length", "64", "--use_cpu", "--dataloader_num_workers", "0",
        "--seed", "1"])
    scores, all_o = {}, {}
    for split in ("test", "europeana"):
        records = read_jsonl(tmp_path / "run" / "predictions" / "panx" / f"{split}-nl.jsonl")
        assert len(records) == 200
        gold, predicted = [r["label"] for r in records], [r["prediction"] for r in records]
        scores[split] = 100 * f1_score(gold, predicted, zero_division=0)
        assert document["per_language"]["nl"][split]["f1"] == pytest.approx(scores[split])
        all_o[split] = 100 * f1_score(gold, [["O"] * len(tags) for tags in gold], zero_division=0)
        print(f"panx nl {split}: entity F1 {scores[split]:.1f} (all-O baseline {all_o[split]:.1f})")
    print(f"drop, WikiANN minus Europeana: {scores['test'] - scores['europeana']:.1f} F1; "
          f"run {time.time() - started:.0f}s")
    assert scores["test"] > all_o["test"] + 10
