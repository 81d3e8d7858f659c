"""The hub's data as published: QA answers whose answer_start misses their text are
re-aligned (hub rows without their text dropped, local ones an error), every loaded set is recorded in
run_config.json with how it differs from the official data (and the report names it), the pre-flight names a
split the hub lacks, and an --mlm_corpus hub name needs its namespace."""
import json
import logging
import sys

import datasets
import pytest

from conftest import FAST, ROOT, SHARED, write_jsonl
from hub_replica import XQUAD_DIR, hub_repo, misaligned, use_mirror, xquad_hub_rows
from tasks import TASKS, XQUAD_LANGS, get_task, span_qa
from tasks.kinds import kind_of
from engine import preflight
from engine.preflight import check_mlm_corpus
from utils import data as data_utils
from utils.args import DataArguments, InputError

SCHEMAS = SHARED / "hub" / "schemas.json"
QA_FLAGS = ["--max_seq_length", "48", "--doc_stride", "16", "--max_query_length", "16"]


def qa(i, context, answer, start):
    return {"id": f"q{i}", "context": context, "question": "who?", "answers": {"text": [answer],
                                                                              "answer_start": [start]}}


def stand_in_hub(monkeypatch, tables):
    """utils.data.hub_load answers (hub id, config, split) from `tables` (rows, or a function of the split)."""
    calls = []

    def load(path, config=None, split=None, cache_dir=None, **kwargs):
        calls.append((path, config, split))
        rows = tables[path, config]
        return datasets.Dataset.from_list(rows(split) if callable(rows) else rows)
    monkeypatch.setattr(data_utils, "hub_load", load)
    monkeypatch.setattr(preflight, "CHECK_HUB", False)  # the stand-in is the hub: nothing to reach
    return calls


# ---- item 1: answer offsets ---------------------------------------------------------------------------------

def test_nearest_occurrence_and_ties():
    context = "Anna met Bob. Later Anna left. Anna"
    assert span_qa.nearest_occurrence(context, "Anna", 18) == 20       # the one nearest the given start
    assert span_qa.nearest_occurrence(context, "Anna", 34) == 31
    assert span_qa.nearest_occurrence(context, "Anna", 10) == 0          # 10 from 0 and from 20: the earlier
    assert span_qa.nearest_occurrence(context, "Carl", 3) is None


def original_starts(lang):
    """Each answer's start in the hub's stripped context, computed from the original file: the original start
    minus the whitespace stripped from the front of its context."""
    data = json.loads((XQUAD_DIR / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
    return {qa["id"]: [a["answer_start"] - (len(p["context"]) - len(p["context"].lstrip())) for a in qa["answers"]]
            for article in data for p in article["paragraphs"] for qa in p["qas"]}


def test_xquad_hub_rows_are_realigned_to_the_original_answers(shared_data, tmp_path, monkeypatch, caplog):
    """google/xtreme's XQuAD as published (a Parquet replica of its rows, stripped as its loading script stripped
    them, read by datasets.load_dataset): every misaligned answer moves back to where the original file puts it,
    nothing is dropped, and the record counts them per language."""
    tables = {(f"XQuAD.{lang}", "validation"): xquad_hub_rows(lang) for lang in XQUAD_LANGS}
    use_mirror(monkeypatch, hub_repo(tmp_path, "google/xtreme", tables))
    data_utils.reset_data_records()
    caplog.set_level(logging.WARNING, logger="utils.data")
    counts = {}
    for lang in XQUAD_LANGS:
        rows = data_utils.load_rows(get_task("xquad"), "test", lang, DataArguments(), span_qa.KIND)
        assert {r["id"]: r["answers"]["answer_start"] for r in rows} == original_starts(lang)
        counts[lang] = sum(misaligned(row) for row in tables[f"XQuAD.{lang}", "validation"])
    records = {r["lang"]: r for r in data_utils.data_records()}
    assert {lang: records[lang].get("realigned", 0) for lang in XQUAD_LANGS} == counts
    assert sum(counts.values()) > 0 and not any(r.get("dropped") for r in records.values())
    assert all(r["rows"] == r["official_rows"] for r in records.values())
    moved = [lang for lang, n in counts.items() if n]
    assert all(f"{counts[lang]:,} answers realigned" in records[lang]["differs"] for lang in moved)
    assert all("differs" not in records[lang] for lang in XQUAD_LANGS if not counts[lang])
    assert records[moved[0]]["official_route"].startswith("prepare_data.py --from_raw squad_json")
    assert sum(f"xquad test-{lang}" in message for message in caplog.messages for lang in moved) == len(moved)


def test_hub_rows_without_their_answer_are_dropped_local_ones_are_errors(tmp_path, monkeypatch):
    context = "Anna has the red book. Bob reads."
    rows = [qa(0, context, "Bob", 23), qa(1, context, "Bob", 3),         # aligned; re-aligned (23)
            qa(2, context, "Carl", 0), qa(3, "", "Anna", 0)]             # text absent; empty context
    stand_in_hub(monkeypatch, {("google/xtreme", "XQuAD.de"): rows})
    data_utils.reset_data_records()
    loaded = data_utils.load_rows(get_task("xquad"), "test", "de", DataArguments(), span_qa.KIND)
    assert loaded["id"] == ["q0", "q1"] and loaded["answers"][1]["answer_start"] == [23]
    record = data_utils.data_records()[0]
    assert (record["rows"], record["realigned"], record["dropped"]) == (2, 1, 2)
    assert "1 answers realigned" in record["differs"] and "2 rows dropped" in record["differs"]
    write_jsonl(tmp_path / "xquad" / "test-de.jsonl", rows[:3])
    with pytest.raises(ValueError, match=r"test-de\.jsonl:3: the answer 'Carl' does not occur in the context"):
        data_utils.load_rows(get_task("xquad"), "test", "de", DataArguments(data_dir=str(tmp_path)), span_qa.KIND)


def test_local_misaligned_answer_is_realigned_and_recorded(tmp_path):
    context = "Paris is big. Anna lives in Paris."
    write_jsonl(tmp_path / "squad" / "validation-en.jsonl", [qa(0, context, "Paris", 27), qa(1, context, "Anna", 0)])
    data_utils.reset_data_records()
    rows = data_utils.load_rows(get_task("squad"), "validation", "en", DataArguments(data_dir=str(tmp_path)), span_qa.KIND)
    assert [a["answer_start"] for a in rows["answers"]] == [[28], [14]]   # the nearest Paris; Anna's only one
    record = data_utils.data_records()[0]
    assert record["realigned"] == 2 and record["differs"] == ["2 answers realigned"]


def test_squad_retrieval_reads_squad_rows_realigned(monkeypatch):
    from tasks import dual_encoder
    context = " Anna has the red book. Bob reads."[1:]
    stand_in_hub(monkeypatch, {("rajpurkar/squad", None): [qa(0, context, "Bob", 24), qa(1, context, "Zed", 0)]})
    data_utils.reset_data_records()
    rows = data_utils.load_rows(get_task("squad_retrieval"), "train", "en", DataArguments(), dual_encoder.KIND)
    assert rows["answers"] == [{"text": ["Bob"], "answer_start": [23]}]
    ids, queries, candidates, _ = dual_encoder.pairs(get_task("squad_retrieval"), rows[:])
    assert candidates[0].startswith("Bob reads.")
    assert {k: data_utils.data_records()[0][k] for k in ("realigned", "dropped")} == {"realigned": 1, "dropped": 1}


def test_lareqa_pool_from_the_hub_finds_the_answer_sentence_after_realignment(monkeypatch):
    """XQuAD-R's hub rows were stripped like XQuAD's: an answer_start two characters early falls in the sentence
    before; re-aligned, each question's gold is the sentence that holds its answer, in every language."""
    from tasks import LAREQA_LANGS, dual_encoder
    context = "Intro here. Anna has the book. The end is near."
    rows = [qa(0, context, "The end", context.index("The end") - 2), qa(1, context, "Anna", 12)]
    stand_in_hub(monkeypatch, {("google-research-datasets/xquad_r", lang): rows for lang in LAREQA_LANGS})
    monkeypatch.setattr(dual_encoder, "_HUB", {})
    data_utils.reset_data_records()
    queries, pool_ids, _ = dual_encoder.eval_split(get_task("lareqa"), "test", "de", DataArguments())
    assert [q["label"] for q in queries] == [[f"{lang}_1_2" for lang in LAREQA_LANGS],
                                             [f"{lang}_1_1" for lang in LAREQA_LANGS]]
    records = data_utils.data_records()
    assert [r["lang"] for r in records] == list(LAREQA_LANGS) and all(r["realigned"] == 1 for r in records)


def test_metrics_read_answer_texts_only():
    """Scores come from the records' answer texts: the same predictions score the same whatever the offsets."""
    records = [{"id": "a", "prediction": "Bob", "label": ["Bob"]}, {"id": "b", "prediction": "x", "label": ["y"]}]
    assert set(records[0]) == {"id", "prediction", "label"}
    assert span_qa.compute_metrics(get_task("xquad"), records, "en")["exact_match"] == pytest.approx(50.0)


def squad_tables(split):
    """SQuAD rows for the stand-in hub: names in filler sentences, some contexts once stripped (offsets off)."""
    rows = []
    for i in range(24 if split == "train" else 8):
        name = ["Anna", "John", "Paris"][i % 3]
        context = f"the cat sees the dog . {name} has the red book . the end"
        start = context.index(name) + (2 if i % 4 == 0 else 0)  # every fourth answer_start is off by two
        rows.append(qa(f"{split}{i}", context, name, start))
    return rows


def test_run_target_xquad_from_the_hub_finishes_and_records_the_data(tmp_path, tiny_model_dir, monkeypatch):
    """The issue's failure: SQuAD trains, then XQuAD from the hub (offsets misaligned) is evaluated; the run
    finishes and run_config.json records what loading did to each set. Both read from Parquet replicas."""
    import run_target
    zh = [qa(i, "美国总统是拜登。他住在华盛顿的白宫。", "拜登", 5 + 2 * (i % 2)) for i in range(4)]  # every other off
    squad = {("plain_text", split): [{**row, "title": "t"} for row in squad_tables(split)]
             for split in ("train", "validation")}
    hub_repo(tmp_path / "hub", "rajpurkar/squad", squad)
    use_mirror(monkeypatch, hub_repo(tmp_path / "hub", "google/xtreme", {("XQuAD.zh", "validation"): zh}))
    out = tmp_path / "xquad"
    run_target.main(["--task", "xquad", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                     "--languages", "zh", *QA_FLAGS, *FAST])
    config = json.loads((out / "run_config.json").read_text())
    records = {(r["task"], r["split"], r["lang"]): r for r in config["data"]}
    assert records["squad", "train", "en"]["realigned"] == 6 and records["squad", "validation", "en"]["realigned"] == 2
    assert records["xquad", "test", "zh"]["realigned"] == 2 and records["xquad", "test", "zh"]["rows"] == 4
    assert "4 rows on the hub, 1,190 in the official data" in records["xquad", "test", "zh"]["differs"]
    assert "zh" in json.loads((out / "metrics.json").read_text())["per_language"]


def test_multitask_with_the_dual_encoder_reads_realigned_squad_rows(tmp_path, tiny_model_dir, monkeypatch):
    """squad and squad_retrieval (a dual encoder reading squad's rows) trained together from the hub: both read
    the rows re-aligned, and the dual encoder's dev set is scored by its own head at the end."""
    import run_intermediate
    stand_in_hub(monkeypatch, {("rajpurkar/squad", None): squad_tables})
    out = tmp_path / "multi"
    run_intermediate.main(["--tasks", "squad,squad_retrieval", "--model_name_or_path", str(tiny_model_dir),
                           "--output_dir", str(out), *QA_FLAGS, *FAST])
    records = json.loads((out / "run_config.json").read_text())["data"]
    assert {(r["task"], r["split"]): r["realigned"] for r in records} == {
        (task, split): n for task in ("squad", "squad_retrieval") for split, n in (("train", 6), ("validation", 2))}
    per_task = json.loads((out / "metrics.json").read_text())["per_task"]
    assert "map@20" in per_task["squad_retrieval"]["per_language"]["en"]["validation"]


# ---- item 4: sizes and contents that differ from the official data -------------------------------------------

def test_hub_sets_that_differ_are_named_with_the_route(monkeypatch, caplog):
    tags = {"tokens": ["Ο", "άνθρωπος"], "pos_tags": [5, 7]}
    stand_in_hub(monkeypatch, {("google/xtreme", "udpos.Greek"): [tags] * 3,
                               ("google/xtreme", "PAWS-X.en"): [{"sentence1": "a", "sentence2": "b", "label": "1"}]})
    data_utils.reset_data_records()
    caplog.set_level(logging.WARNING, logger="utils.data")
    data_utils.load_rows(get_task("udpos"), "test", "el", DataArguments(), __import__("tasks.tagging").tagging.KIND)
    data_utils.load_rows(get_task("pawsx"), "train", "en", DataArguments(), __import__("tasks.classification")
                         .classification.KIND)
    data_utils.load_rows(get_task("udpos"), "train", "el", DataArguments(), __import__("tasks.tagging").tagging.KIND)
    greek, paws, greek_train = data_utils.data_records()
    assert any("Ancient Greek" in note for note in greek["differs"]) and greek["official_rows"] is None
    assert "3 rows on the hub, 1,662 in the official data" in greek_train["differs"]
    assert greek["official_route"].startswith("prepare_data.py --from_raw conllu")
    assert paws["official_rows"] == 49_401 and any("loading script" in note for note in paws["differs"])
    assert "--from_raw pawsx_tsv" in paws["official_route"]
    assert any("udpos test-el" in m and "Official files: prepare_data.py" in m for m in caplog.messages)


def test_bucc_from_the_hub_is_recorded_as_gold_pairs_only(monkeypatch):
    from tasks import retrieval
    pairs = [{"source_sentence": f"Satz {i}.", "target_sentence": f"Sentence {i}.", "source_lang": f"de-{i}",
              "target_lang": f"en-{i}"} for i in range(3)]
    stand_in_hub(monkeypatch, {("google/xtreme", "bucc18.de"): pairs})
    data_utils.reset_data_records()
    with pytest.warns(UserWarning, match="gold pairs"):
        retrieval.load_bucc(get_task("bucc"), "test", "de", DataArguments())
    record = data_utils.data_records()[0]
    assert record["rows"] == 3 and "only the gold pairs" in record["differs"][0]
    assert record["official_route"].startswith("prepare_data.py --from_raw bucc")


def schemas():
    if not SCHEMAS.is_file():
        pytest.skip(f"{SCHEMAS} is absent")
    return {(r["id"], r["config"]): r for r in json.loads(SCHEMAS.read_text())}


def hub_record(records, spec, lang):
    config = spec.hub_config_for(lang)
    if config is not None:
        return records.get((spec.hub_path, config))
    found = [r for (hub_id, _), r in records.items() if hub_id == spec.hub_path]
    return found[0] if len(found) == 1 else None


def read_splits(spec):
    """Our splits a run reads from this task's hub copy (targets train on their training task's data)."""
    return ("validation", "test") if spec.is_target and spec.train_task != spec.name else ("train", "validation",
                                                                                           "test")


def registry_cells():
    for spec in TASKS.values():
        if spec.hub_path and spec.kind != "mlm":
            for lang in spec.languages:
                for split in read_splits(spec):
                    yield spec, split, lang


def test_registry_knows_the_hub_splits_of_every_config():
    """For every (task, split, language) a run reads from the hub: the hub config has the split exactly when the
    registry says so (schemas.json: the splits of every config the registry names)."""
    records = schemas()
    for spec, split, lang in registry_cells():
        record = hub_record(records, spec, lang)
        if record is None or kind_of(spec).script == "run_retrieval.py" and split == "train":
            continue
        names = spec.hub_split(split)
        present = all(name in record["splits"] for name in (names if isinstance(names, tuple) else (names,)))
        assert present == spec.hub_has_split(split, lang), (spec.name, split, lang, record["splits"])


def test_official_sizes_agree_with_the_hub_or_the_difference_is_explained():
    records = schemas()
    checked = 0
    for spec, split, lang in registry_cells():
        record, official = hub_record(records, spec, lang), spec.official_size(split, lang)
        if record is None or official is None or spec.hub_filter or not spec.hub_has_split(split, lang):
            continue
        names = spec.hub_split(split)
        hub = sum(record["splits"][name] for name in (names if isinstance(names, tuple) else (names,)))
        checked += 1
        assert hub == official or spec.hub_size_note or spec.hub_notes(lang), (spec.name, split, lang, hub, official)
    assert checked > 50


# ---- item 3: splits the hub lacks, before anything loads -----------------------------------------------------

def test_eval_split_the_hub_lacks_is_one_line_before_the_model_loads(tmp_path, tiny_model_dir):
    import run_target
    out = tmp_path / "udpos"
    with pytest.raises(InputError) as error:
        run_target.main(["--task", "udpos", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                         "--eval_splits", "validation", *FAST])
    message = str(error.value)
    assert "\n" not in message and message.startswith("--eval_splits validation: the hub lacks")
    assert all(f"udpos validation-{lang}" in message for lang in ("kk", "tl", "th", "yo"))
    assert "udpos validation-de" not in message and "google/xtreme udpos.Kazakh has only train, test" in message
    assert not out.exists()


def test_translate_train_and_dev_sets_the_hub_lacks(tmp_path, tiny_model_dir):
    import run_target
    args = ["--task", "udpos", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(tmp_path / "o"),
            "--languages", "de", *FAST]
    with pytest.raises(InputError, match=r"^--train_languages and the dev set .*udpos train-th .*udpos "
                                         r"validation-th \(google/xtreme udpos.Thai has only test\)"):
        run_target.main([*args, "--train_languages", "de,th"])
    with pytest.raises(InputError, match=r"^the dev set .*udpos validation-kk"):
        run_target.main([*args, "--train_languages", "kk"])
    assert not (tmp_path / "o").exists()


def test_local_files_have_every_split(tmp_path):
    from engine.preflight import check_hub_splits
    reads = [(get_task("udpos"), "validation", "kk")]
    check_hub_splits(reads, DataArguments(data_dir=str(tmp_path)), ("validation",))
    with pytest.raises(InputError, match="the hub lacks udpos validation-kk"):
        check_hub_splits(reads, DataArguments(), ("validation",))


def test_prepare_data_exports_only_the_splits_the_hub_has(tmp_path, monkeypatch):
    import prepare_data
    calls = stand_in_hub(monkeypatch, {("google/xtreme", "udpos.Thai"): [{"tokens": ["ก"], "pos_tags": [7]}]})
    prepare_data.main(["--tasks", "udpos", "--languages", "th", "--out", str(tmp_path)])
    assert calls == [("google/xtreme", "udpos.Thai", "test")]
    assert sorted(p.name for p in (tmp_path / "udpos").iterdir()) == ["test-th.jsonl"]


# ---- item 5: --mlm_corpus hub names need a namespace ----------------------------------------------------------

def test_mlm_corpus_hub_name_needs_a_namespace(tmp_path, tiny_model_dir):
    import run_intermediate
    with pytest.raises(InputError, match=r"^--mlm_corpus wikitext:wikitext-103-raw-v1: a hub dataset needs its "
                                         r"namespace.*Salesforce/wikitext"):
        check_mlm_corpus("wikitext:wikitext-103-raw-v1")
    check_mlm_corpus("Salesforce/wikitext:wikitext-103-raw-v1")
    out = tmp_path / "mlm"
    with pytest.raises(InputError, match="^--mlm_corpus wikitext: a hub dataset needs its namespace"):
        run_intermediate.main(["--task", "mnli", "--mlm_corpus", "wikitext", "--model_name_or_path",
                               str(tiny_model_dir), "--output_dir", str(out), *FAST])
    assert not out.exists()


def test_readme_names_hub_corpora_with_their_namespace():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--mlm_corpus Salesforce/wikitext:wikitext-103-raw-v1" in text
    assert "--mlm_corpus wikitext:" not in text
    for path in (ROOT / "experiments").glob("*.json"):
        assert '"mlm_corpus": "wikitext' not in path.read_text(encoding="utf-8")


# ---- the report names the sets that differ -------------------------------------------------------------------

def test_report_names_sets_that_differ_from_the_official_data(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import report
    run = tmp_path / "runs" / "udpos"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(json.dumps({"task": "udpos", "metric": "f1",
                                                  "per_language": {"el": {"test": {"f1": 50.0}}}}))
    note = "udpos.Greek includes Ancient Greek"
    (run / "run_config.json").write_text(json.dumps({"task": "udpos", "base_model": "m", "data": [
        {"task": "udpos", "split": "test", "lang": "el", "rows": 2809, "official_rows": None, "differs": [note],
         "official_route": "prepare_data.py --from_raw conllu ..."},
        {"task": "udpos", "split": "test", "lang": "de", "rows": 5, "official_rows": None}]}))
    (run / "DONE").write_text("")
    tables = report.main([str(tmp_path / "runs"), "--output_dir", str(tmp_path / "report")])
    assert [(r["set"], r["differs"]) for r in tables["data_notes"]] == [("test-el", note)]
    text = (tmp_path / "report" / "report.md").read_text()
    assert "## Data that differs from the official sets" in text and "--from_raw conllu" in text
