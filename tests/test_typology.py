"""Typology: URIEL distances and word orders (utils/typology.py) against the database's own values, --augment_languages
auto, --augment wordorder (utils/wordorder.py, the CoNLL-U heads), and the report's typology section."""
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import FAST, write_jsonl
from tasks import tagging
from utils import typology
from utils.args import InputError
from utils.wordorder import reorder, reorder_dataset

HAND_ISO = {"de": "deu", "fi": "fin", "sw": "swa", "ja": "jpn", "nl": "nld", "en": "eng"}  # ISO 639-3, by hand


@pytest.fixture(scope="module")
def uriel():
    """A second URIEL+ object, built here: the database's own answers, not utils/typology.py's."""
    from urielplus.urielplus import URIELPlus
    return URIELPlus()


def database_distance(uriel, kind, a, b):
    try:
        return round(float(uriel.new_distance(kind, HAND_ISO[a], HAND_ISO[b])), 4)
    except ValueError:  # no shared features of that kind
        return None


# ---------------------------------------------------------------- distances and word order
@pytest.mark.parametrize("lang", ["de", "fi", "sw", "ja"])
def test_distances_are_the_databases_own(uriel, lang):
    expected = {kind: database_distance(uriel, kind, lang, "en") for kind in typology.KINDS}
    assert typology.distance_to(lang) == expected
    assert all(value is not None for value in expected.values())  # these four have every kind
    assert typology.distance_to(lang, reference=lang) == {kind: 0.0 for kind in typology.KINDS}
    assert typology.closeness(lang, "en", "syntactic") == pytest.approx(1 - expected["syntactic"])


def test_nearer_languages_are_nearer(uriel):
    for kind in ("genetic", "syntactic", "geographic", "featural"):
        assert typology.distance("de", "en", kind) < typology.distance("ja", "en", kind), kind
    assert typology.distance("de", "en", "genetic") < typology.distance("fi", "en", "genetic") == 1.0
    by_hand = sorted((database_distance(uriel, "syntactic", "de", other), other) for other in ("ja", "nl", "fi"))
    assert typology.closest("de", ["ja", "nl", "fi"], k=2) == [(other, d) for d, other in by_hand[:2]]
    assert typology.closest("de", ["ja", "nl", "fi", "de"], k=1) == [("de", 0.0)]


def test_unknown_codes_and_missing_distances(caplog):
    with pytest.raises(ValueError, match="language 'xx': no ISO 639-3 code"):
        typology.distance_to("xx")
    with pytest.raises(ValueError, match="'qqq'.* not in the URIEL database"):
        typology.distance("qqq", "en", "syntactic")
    with pytest.raises(ValueError, match="distance kind 'lexical'"):
        typology.distance("de", "en", "lexical")
    typology.distance.cache_clear()
    with caplog.at_level("WARNING", logger="utils.typology"):
        assert typology.distance_to("it", kinds=("phonological",)) == {"phonological": None}
    assert "no phonological distance between it and en" in caplog.text
    assert typology.iso639_3("zh") == "zho" and typology.iso639_3("sw") == "swa" and typology.iso639_3("deu") == "deu"


def test_word_orders_are_the_databases_wals_values(uriel):
    features = uriel.get_typological_features_array().tolist()
    wals = uriel.get_typological_sources_array().tolist().index("WALS")
    for lang in ("ja", "de", "en", "fi", "sw"):
        row = uriel.get_typological_data_array()[uriel.get_typological_languages_array().tolist().index(HAND_ISO[lang])]
        marked = {f[2:] for f in ("S_SOV", "S_SVO", "S_VSO", "S_VOS", "S_OVS", "S_OSV")
                  if row[features.index(f), wals] == 1}
        assert set(typology.word_orders(lang)) == marked, lang
    assert typology.word_order("ja") == "SOV" and typology.word_order("en") == "SVO"
    assert typology.word_orders("de") == ("SOV", "SVO") and typology.word_order("de") is None  # no dominant order
    assert typology.word_order("tl") == "VSO"
    assert typology.most_frequent_order(["ja", "hi", "fr", "de"])[0] == "SOV"
    assert typology.most_frequent_order(["ja", "fr"])[0] == "SOV"  # a tie: the more frequent order in the world
    assert typology.most_frequent_order(["tl", "fr"])[0] == "SVO"
    with pytest.raises(ValueError, match="no single dominant order for any of de, nl"):
        typology.most_frequent_order(["de", "nl"])


# ---------------------------------------------------------------- word order
SENTENCE = dict(tokens="Yesterday John has eaten the apples .".split(),
                tags="ADV PROPN AUX VERB DET NOUN PUNCT".split(),
                heads=[4, 4, 4, 0, 6, 4, 4], deprels="advmod nsubj aux root det obj punct".split())


def test_reorder_svo_to_sov_and_vso_tags_follow():
    tokens, tags, heads, deprels, moved = reorder(**SENTENCE, target="SOV")
    assert tokens == "Yesterday John the apples has eaten .".split() and moved
    assert tags == "ADV PROPN DET NOUN AUX VERB PUNCT".split()
    assert heads == [6, 6, 4, 6, 6, 0, 6] and deprels == "advmod nsubj det obj aux root punct".split()
    tokens, tags, heads, _, _ = reorder(**SENTENCE, target="VSO")
    assert tokens == "Yesterday has eaten John the apples .".split()
    assert tags == "ADV AUX VERB PROPN DET NOUN PUNCT".split() and heads == [3, 3, 0, 3, 6, 3, 3]
    assert reorder(**SENTENCE, target="SVO") == (*SENTENCE.values(), False)  # already SVO: nothing moves
    with pytest.raises(ValueError, match="--word_order SVX"):
        reorder(**SENTENCE, target="SVX")


def test_reorder_nested_clauses_and_double_objects():
    # The man who saw the dog ate apples: the relative clause first, then the main clause moves it as a block
    tokens = "The man who saw the dog ate apples".split()
    out = reorder(tokens, list(range(8)), [2, 7, 4, 2, 6, 4, 0, 7],
                  "det nsubj nsubj acl:relcl det obj root obj".split(), "SOV")
    assert out[0] == "The man who the dog saw apples ate".split() and out[1] == [0, 1, 2, 4, 5, 3, 7, 6]
    # She gave Mary a book: iobj and obj are one O
    out = reorder("She gave Mary a book".split(), list("abcde"), [2, 0, 2, 5, 2], "nsubj root iobj det obj".split(), "SOV")
    assert out[0] == "She Mary a book gave".split() and out[1] == list("acdeb")


def test_non_projective_and_inverted_clauses_are_left_as_they_are():
    # John saw a dog yesterday which was barking: "dog"'s subtree is split by "yesterday" (not projective)
    tokens = "John saw a dog yesterday which was barking".split()
    heads, deprels = [2, 0, 4, 2, 2, 8, 8, 4], "nsubj root det obj obl:tmod nsubj aux acl:relcl".split()
    assert reorder(tokens, list(tokens), heads, deprels, "SOV") == (tokens, tokens, heads, deprels, False)
    # Has John eaten apples ?: the auxiliary stands before the subject (V and S overlap)
    tokens = "Has John eaten apples ?".split()
    heads, deprels = [3, 3, 0, 3, 3], "aux nsubj root obj punct".split()
    assert reorder(tokens, list(tokens), heads, deprels, "VSO")[4] is False


def test_reorder_dataset_counts_and_logs(caplog):
    import datasets
    rows = [{"id": "a", **SENTENCE}, {"id": "b", "tokens": ["Hi", "!"], "tags": ["INTJ", "PUNCT"], "heads": [0, 1],
                                      "deprels": ["root", "punct"]},
            {"id": "c", "tokens": ["x"], "tags": ["X"], "heads": None, "deprels": None}]
    with caplog.at_level("INFO", logger="utils.wordorder"):
        out = reorder_dataset(datasets.Dataset.from_list(rows), "SOV")
    assert out["tokens"] == ["Yesterday John the apples has eaten .".split(), ["Hi", "!"], ["x"]]
    assert out[0]["tags"] == "ADV PROPN DET NOUN AUX VERB PUNCT".split() and out[2]["heads"] is None
    assert "--word_order SOV: 1 of 3 training sentences reordered" in caplog.text


# ---------------------------------------------------------------- CoNLL-U heads
def conllu_columns(path):
    """Per sentence: [(HEAD, DEPREL)] of the word lines (integer ids), read straight from the file."""
    sentences, words = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if words:
                sentences.append(words)
            words = []
        elif not line.startswith("#"):
            cells = line.split("\t")
            if cells[0].isdigit():
                words.append((int(cells[6]), cells[7]))
    return sentences + ([words] if words else [])


def test_real_ewt_conllu_heads(shared_data, tmp_path):
    import prepare_data
    from utils.data import load_local
    source = shared_data / "udpos" / "en_ewt-ud-dev.conllu"
    rows = list(tagging.conllu(source))
    columns = conllu_columns(source)
    assert len(rows) == len(columns) == 2001
    assert [r["heads"] for r in rows] == [[h for h, _ in words] for words in columns]
    assert [r["deprels"] for r in rows] == [[d for _, d in words] for words in columns]
    assert sum(len(r["heads"]) for r in rows) == 25147  # the README's token count (word lines)
    prepare_data.main(["--from_raw", "conllu", "--input", str(source), "--task", "udpos", "--split", "train",
                       "--lang", "en", "--out", str(tmp_path)])
    written = load_local(tmp_path / "udpos" / "train-en.jsonl")
    assert written["heads"] == [r["heads"] for r in rows]
    # English SVO clauses reordered to SOV: every moved sentence still a tree with the same relations
    moved = [reorder(r["tokens"], r["tags"], r["heads"], r["deprels"], "SOV") for r in rows[:300]]
    assert 30 < sum(m[4] for m in moved) < 300
    for row, (tokens, tags, heads, deprels, _) in zip(rows, moved):
        assert sorted(zip(tokens, tags)) == sorted(zip(row["tokens"], row["tags"]))
        pairs = {(tokens[i], tokens[h - 1] if h else None, deprels[i]) for i, h in enumerate(heads)}
        assert pairs == {(row["tokens"][i], row["tokens"][h - 1] if h else None, row["deprels"][i])
                         for i, h in enumerate(row["heads"])}


@pytest.mark.parametrize("bad, message", [
    ({"heads": [0, 5]}, "head 5 of word 2: expected a word number 1-2 or 0"),
    ({"heads": [0, 2]}, "head 2 of word 2"),
    ({"heads": [0]}, "2 tokens but 1 heads"),
    ({"deprels": ["root"]}, "2 tokens but 1 deprels"),
])
def test_tagging_validation_of_parses(tmp_path, bad, message):
    from tasks import get_task
    from utils.data import load_local
    good = {"id": "a", "tokens": ["Hi", "!"], "tags": ["INTJ", "PUNCT"], "heads": [0, 1], "deprels": ["root", "punct"]}
    path = write_jsonl(tmp_path / "udpos" / "train-en.jsonl", [good, {**good, "id": "b", **bad}])
    with pytest.raises(ValueError, match=f"train-en.jsonl:2: {re.escape(message)}"):
        tagging.validate(get_task("udpos"), load_local(path), path)
    write_jsonl(path, [good, {"id": "c", "tokens": ["x"], "tags": ["X"]}])  # heads are optional
    tagging.validate(get_task("udpos"), load_local(path), path)


# ---------------------------------------------------------------- --augment wordorder / --augment_languages auto
def udpos_dir(shared_data, directory):
    rows = list(tagging.conllu(shared_data / "udpos" / "en_ewt-ud-dev.conllu"))
    write_jsonl(directory / "udpos" / "train-en.jsonl", rows[:40])
    write_jsonl(directory / "udpos" / "validation-en.jsonl", rows[40:48])
    return rows[:40]


def test_intermediate_udpos_wordorder_end_to_end(tiny_model_dir, shared_data, tmp_path, caplog):
    import run_intermediate
    train = udpos_dir(shared_data, tmp_path / "data")
    expected = sum(reorder(r["tokens"], r["tags"], r["heads"], r["deprels"], "SOV")[4] for r in train)
    out = tmp_path / "udpos_sov"
    with caplog.at_level("INFO", logger="utils.wordorder"):
        run_intermediate.main(["--task", "udpos", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                               str(out), "--data_dir", str(tmp_path / "data"), "--augment", "wordorder",
                               "--word_order", "auto", "--augment_target_languages", "ja,hi,de", *FAST])
    assert (out / "DONE").is_file() and (out / "encoder" / "config.json").is_file()
    assert f"--word_order SOV: {expected} of 40 training sentences reordered" in caplog.text and expected > 5
    arguments = json.loads((out / "run_config.json").read_text())["arguments"]
    assert arguments["augment"] == "wordorder" and arguments["word_order"] == "auto"
    assert arguments["augment_resolved"]["word_order"] == "SOV"
    assert arguments["augment_resolved"]["orders"] == {"ja": "SOV", "hi": "SOV", "de": None}


def test_wordorder_and_auto_errors(tiny_model_dir, tiny_data_dir, shared_data, tmp_path):
    import run_intermediate
    import run_target
    model = ["--model_name_or_path", str(tiny_model_dir)]
    with pytest.raises(InputError, match="task 'mnli' is classification"):
        run_target.prepare(["--task", "xnli", *model, "--output_dir", str(tmp_path / "a"), "--data_dir",
                            str(tiny_data_dir), "--languages", "de", "--augment", "wordorder", "--word_order", "SOV",
                            *FAST])
    with pytest.raises(InputError, match=r"the hub copy \(google/xtreme\) has no dependency parse"):
        run_intermediate.prepare(["--task", "udpos", *model, "--output_dir", str(tmp_path / "b"), "--augment",
                                  "wordorder", "--word_order", "SOV", *FAST])
    data = tmp_path / "data"
    rows = udpos_dir(shared_data, data)
    with pytest.raises(InputError, match="no evaluation languages to aim at; pass --augment_target_languages"):
        run_intermediate.prepare(["--task", "udpos", *model, "--output_dir", str(tmp_path / "c"), "--data_dir",
                                  str(data), "--augment", "wordorder", "--word_order", "auto", *FAST])
    with pytest.raises(InputError, match="--word_order is an option of --augment wordorder"):
        run_intermediate.prepare(["--task", "udpos", *model, "--output_dir", str(tmp_path / "d"), "--data_dir",
                                  str(data), "--word_order", "SOV", *FAST])
    with pytest.raises(InputError, match="--augment wordorder: --word_order is required"):
        run_intermediate.prepare(["--task", "udpos", *model, "--output_dir", str(tmp_path / "e"), "--data_dir",
                                  str(data), "--augment", "wordorder", *FAST])
    write_jsonl(data / "udpos" / "train-en.jsonl", [{k: r[k] for k in ("id", "tokens", "tags")} for r in rows])
    with pytest.raises(InputError, match="train-en of 'udpos' from --data_dir has no dependency parse"):
        run_intermediate.prepare(["--task", "udpos", *model, "--output_dir", str(tmp_path / "f"), "--data_dir",
                                  str(data), "--augment", "wordorder", "--word_order", "SOV", *FAST])


def write_dictionaries(directory, languages):
    directory.mkdir(parents=True, exist_ok=True)
    for lang in languages:
        (directory / f"en-{lang}.txt").write_text(f"cat {lang}cat\ndog {lang}dog\nthe {lang}the\n", encoding="utf-8")
    (directory / "en-xx.txt").write_text("cat xcat\n", encoding="utf-8")  # not a language URIEL knows: left out
    return directory


def test_auto_codeswitch_rule_by_hand(uriel, tmp_path):
    from engine.training_set import resolve_augment
    from utils.args import AugmentArguments
    directory = write_dictionaries(tmp_path / "dicts", ["de", "nl", "fi", "ja", "sw"])
    augment = AugmentArguments(augment="codeswitch", dictionaries=str(directory), augment_languages="auto",
                               augment_ratio=0.4, augment_auto_k=2, augment_target_languages="de,sw,en")
    resolved = resolve_augment(augment)
    candidates = ["de", "fi", "ja", "nl", "sw"]
    nearest = {target: sorted((database_distance(uriel, "syntactic", target, c), c) for c in candidates)[:2]
               for target in ("de", "sw")}
    assert nearest["de"][0] == (0.0, "de") and nearest["sw"][0] == (0.0, "sw")
    assert resolved["nearest"] == {t: [[c, d] for d, c in pairs] for t, pairs in nearest.items()}
    assert resolved["languages"] == sorted({c for pairs in nearest.values() for _, c in pairs})
    mean = (database_distance(uriel, "syntactic", "de", "en") + database_distance(uriel, "syntactic", "sw", "en")) / 2
    assert resolved["ratio"] == pytest.approx(0.4 * (0.5 + mean), abs=1e-4)
    assert resolved["evaluation_languages"] == ["de", "sw"]  # English left out


def test_target_run_with_auto_codeswitching(uriel, tiny_model_dir, tiny_data_dir, tmp_path):
    import run_target
    directory = write_dictionaries(tmp_path / "dicts", ["de", "nl", "fi", "ja"])
    out = tmp_path / "xnli"
    run_target.main(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                     "--data_dir", str(tiny_data_dir), "--languages", "de,fr", "--augment", "codeswitch",
                     "--dictionaries", str(directory), "--augment_languages", "auto", "--augment_auto_k", "1", *FAST])
    resolved = json.loads((out / "run_config.json").read_text())["arguments"]["augment_resolved"]
    fr = min(("de", "nl", "fi", "ja"), key=lambda c: (database_distance_fr(uriel, c), c))
    assert resolved["languages"] == sorted({"de", fr}) and (out / "DONE").is_file()
    with pytest.raises(InputError, match="no evaluation languages to aim at"):
        run_target.prepare(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--output_dir",
                            str(tmp_path / "en"), "--data_dir", str(tiny_data_dir), "--languages", "en", "--augment",
                            "codeswitch", "--dictionaries", str(directory), "--augment_languages", "auto", *FAST])


def database_distance_fr(uriel, other):
    return round(float(uriel.new_distance("syntactic", "fra", HAND_ISO[other])), 4)


# ---------------------------------------------------------------- the report's section
def test_report_correlation_by_hand(tmp_path):
    from reporting.render import save_plots
    from reporting.sections.typology import typology_section
    from reporting.stats import spearman
    distances = {lang: {kind: d for kind in typology.KINDS} for lang, d in
                 {"de": 0.1, "fi": 0.2, "sw": 0.3, "ja": 0.4}.items()}
    gains = {("xnli", "xlmr", "increasing"): {"en": 9.0, "de": 1.0, "fi": 2.0, "sw": 3.5, "ja": 7.0},
             ("xnli", "xlmr", "swapped"): {"de": 1.0, "fi": 3.0, "sw": 2.0, "ja": 4.0},
             ("panx", "xlmr", "flat"): {"de": 1.0, "fi": 1.0, "sw": 1.0}}
    section = typology_section(gains, distances)
    markdown, rows = section.markdown, section.tables["typology"]
    save_plots(tmp_path, section.plots)
    row = {(r["target"], r["variant"], r["distance"]): r for r in rows}
    increasing = row[("xnli", "increasing", "syntactic")]
    assert (increasing["rho"], increasing["low"], increasing["high"]) == pytest.approx((1.0, 1.0, 1.0))
    assert increasing["n_languages"] == 4
    swapped = row[("xnli", "swapped", "genetic")]  # ranks 1 3 2 4: 1 - 6 * (0 + 1 + 1 + 0) / (4 * 15) = 0.8
    assert swapped["rho"] == pytest.approx(0.8) and spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert -1 <= swapped["low"] <= 0.8 <= swapped["high"] <= 1 and 0 < swapped["resamples"] <= 1000
    assert row[("panx", "flat", "syntactic")]["rho"] is None  # constant gains: no correlation
    assert "1,000 resamples of the languages with replacement" in markdown and "| increasing | 4 | 1.00 [1.00, 1.00]" \
        in markdown
    assert (tmp_path / "typology_xnli.png").stat().st_size > 1000 and "![typology_xnli](typology_xnli.png)" in markdown
    assert typology_section(gains, distances).tables["typology"] == rows  # seeded: the same intervals again


def test_report_bootstrap_matches_an_independent_resampling():
    from reporting.stats import spearman, spearman_interval
    rng = random.Random(3)
    x, y = [rng.random() for _ in range(12)], [rng.random() for _ in range(12)]
    low, high, kept = spearman_interval(x, y)

    def rho(a, b):  # Pearson correlation of average ranks, by numpy alone
        ranks = [np.argsort(np.argsort(v)).astype(float) for v in (a, b)]  # no ties among distinct floats
        return float(np.corrcoef(*ranks)[0, 1])

    rhos = []
    for pick in np.random.default_rng(0).integers(0, 12, (1000, 12)):  # the report's resamples, seed 0
        a, b = np.asarray(x)[pick], np.asarray(y)[pick]
        ranks = [np.array([np.mean(np.flatnonzero(np.sort(v) == value)) for value in v]) for v in (a, b)]
        rhos.append(float(np.corrcoef(*ranks)[0, 1]))
    assert kept == 1000
    assert (low, high) == pytest.approx(tuple(np.percentile(rhos, [2.5, 97.5])))
    assert rho(x, y) == pytest.approx(spearman(x, y))


def test_report_with_the_databases_distances(uriel, tmp_path):
    from reporting.sections.typology import gains_from_rows, typology_section
    rows = [{"target": "xnli", "base_model": "m", "intermediate": "mnli", "language": lang,
             "delta": 10 * database_distance(uriel, "syntactic", lang, "en")} for lang in ("de", "fi", "sw", "ja")]
    rows.append({"target": "xnli", "base_model": "m", "intermediate": "none", "language": "de", "delta": None})
    gains = gains_from_rows(rows)
    assert list(gains) == [("xnli", "m", "mnli")]
    section = typology_section(gains)
    markdown, correlations = section.markdown, section.tables["typology"]
    assert f"| de | German | {database_distance(uriel, 'syntactic', 'de', 'en'):.3f} |" in markdown
    syntactic = next(r for r in correlations if r["distance"] == "syntactic")
    assert syntactic["rho"] == 1.0 and syntactic["n_languages"] == 4
