"""The language registry (utils/languages.py): every language a task names has a record, every code of a record
resolves to it, benchmarks' own codes (XTREME, FLORES-200, AmericasNLI, MasakhaNER, LASER) resolve, and a target
whose languages are FLORES codes runs end to end into the report with one registry entry."""
import json
import sys

import pytest

from conftest import FAST, ROOT, nli_rows, write_jsonl
import tasks
from tasks import TASKS, TATOEBA_NAMES, UDPOS_NAMES, resolve_languages
from tasks.spec import TaskSpec
from utils import typology
from utils.languages import (LANGUAGES, LASER_TATOEBA, RECORDS, XTREME_LANGUAGES, XTREME_R_LANGUAGES, get_language,
                             group_of, language, same_language)

sys.path.insert(0, str(ROOT / "scripts"))

AMERICASNLI = ("aym", "bzd", "cni", "gn", "hch", "nah", "oto", "quy", "shp", "tar")  # its {dev,test}/<code>.tsv
MASAKHANER = ("bam", "bbj", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos", "nya", "pcm", "sna", "swa",
              "tsn", "twi", "wol", "xho", "yor", "zul")  # MasakhaNER2.0/data/<code>/


def test_every_language_a_task_names_has_a_record():
    named = {lang for spec in TASKS.values() for lang in spec.languages + spec.xtreme_r_languages}
    missing = [lang for lang in sorted(named) if get_language(lang).script == "Zzzz"]
    assert not missing, f"languages without a record in utils/languages.py: {missing}"
    assert len(XTREME_LANGUAGES) == 40 and len(XTREME_R_LANGUAGES) == 50
    for code in XTREME_R_LANGUAGES:  # XTREME-R's 50: every fact known
        record = language(code)
        assert record.alias == code and record.name and record.family and record.genus and record.script_name
    assert (language("sw").family, group_of("ur", "script"), language("eu").genus) == ("Niger-Congo", "Arabic",
                                                                                      "Basque")


def test_each_records_codes_resolve_to_it():
    assert len(LANGUAGES) == len(RECORDS)  # one record per key
    for record in RECORDS:
        assert language(record.key) is record and record.key == f"{record.iso639_3}_{record.script}"
        for code in (record.alias, record.flores, record.laser):
            assert code is None or language(code) is record, (code, record.key)
        for code in (record.iso639_3, record.flores and record.flores[:3]):  # alone: the first record listed
            assert code is None or language(code) is next(r for r in RECORDS if code in (r.iso639_3, r.flores and
                                                                                          r.flores[:3]))
        assert record.flores is None or record.flores.endswith("_" + record.script)
        assert record.laser is None or record.laser in LASER_TATOEBA
        assert all(language(code) is record for code in record.codes) and record.key in record.codes


def test_benchmark_codes():
    assert [language(code).key for code in ("de", "deu", "deu_Latn")] == ["deu_Latn"] * 3
    assert (language("zho_Hans"), language("zh"), language("cmn")) == (language("zho"),) * 3  # zho: first listed
    assert language("zho_Hant").key == "zho_Hant" and language("zho_Hant") is not language("zh")
    assert group_of("zho_Hant", "script") == group_of("zh", "script") == "Han"
    assert [language(c).key for c in ("arb_Arab", "pes_Arab", "swh_Latn", "zsm_Latn", "azj_Latn")] == \
        ["ara_Arab", "fas_Arab", "swa_Latn", "msa_Latn", "aze_Latn"]  # macrolanguage records, FLORES's variety
    assert language("qu").key == "que_Latn" and language("quy").key == "quy_Latn"  # XCOPA's and AmericasNLI's
    assert {language(code).key for code in AMERICASNLI} >= {"grn_Latn", "nah_Latn", "oto_Latn"}
    assert len({language(code).key for code in AMERICASNLI + MASAKHANER}) == 30
    assert sum(1 for record in RECORDS if record.flores) == 204  # every FLORES-200 variety (SIB-200, Belebele)
    assert (language("arb").key, language("arb_Latn").key, language("ace").key) == ("ara_Arab", "arb_Latn", "ace_Arab")
    assert [language(c).alias for c in ("swa", "wol", "yor")] == ["sw", "wo", "yo"]  # XTREME-R's records
    assert (TATOEBA_NAMES["fa"], TATOEBA_NAMES["zh"], TATOEBA_NAMES["sw"], len(TATOEBA_NAMES)) == \
        ("pes", "cmn", "swh", 41)
    assert (UDPOS_NAMES["fa"], UDPOS_NAMES["wo"], tasks.TYDIQA_NAMES["ko"]) == ("Persian", "Wolof", "korean")


def test_unknown_codes_are_one_line_with_close_matches():
    with pytest.raises(ValueError) as error:
        language("hau_Latm")
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("language 'hau_Latm' is not in the language registry")
    assert "did you mean hau_Latn" in str(error.value)
    assert get_language("ang").name == "ang" and group_of("ang", "family") == "Unknown"  # LASER's, no record
    assert group_of("gn", "genus") == "Unknown"  # a record whose genus is not known


def test_english_is_left_out_under_any_of_its_codes(tmp_path):
    """The fairness and typology sections leave English, the training language, out by record, not by code."""
    from reporting.runs import Run
    from reporting.sections import fairness as report_fairness
    from reporting.sections.typology import typology_section
    assert same_language("en", "eng_Latn") and same_language("ast", "ast") and not same_language("en", "ast")
    baseline = [Run("b", base_model="x", intermediate="baseline", task="t", seed=1,
                    scores={"eng_Latn": 80, "hau_Latn": 30, "deu_Latn": 50, "zho_Hant": 40})]
    variant = [Run("v", base_model="x", intermediate="mnli", task="t", seed=1,
                   scores={"eng_Latn": 90, "hau_Latn": 33, "deu_Latn": 51, "zho_Hant": 42})]
    gain = report_fairness.gains(variant, baseline)
    assert gain == {"deu_Latn": 1, "hau_Latn": 3, "zho_Hant": 2}
    distances = {lang: {kind: d for kind in typology.KINDS} for lang, d in
                 (("eng_Latn", 0.0), ("deu_Latn", 0.1), ("zho_Hant", 0.5), ("hau_Latn", 0.7))}
    section = typology_section({("t", "x", "mnli"): {"eng_Latn": 10.0, **gain}}, distances)
    assert {row["n_languages"] for row in section.tables["typology"]} == {3}


def test_resolve_languages_through_the_registry():
    assert resolve_languages(TASKS["xnli"], "deu_Latn,fr,zho") == ["de", "fr", "zh"]
    assert resolve_languages(TASKS["tatoeba"], "deu,ast") == ["de", "ast"]  # any of LASER's codes for Tatoeba
    with pytest.raises(ValueError, match="--languages: hau_Latn not a language of task 'xnli'"):
        resolve_languages(TASKS["xnli"], "hau_Latn")


def uriel_family(uriel, code):
    """The top node of the language's tree in URIEL (Glottolog), written as WALS names the family."""
    features = uriel.get_phylogeny_features_array().tolist()
    languages = uriel.get_phylogeny_languages_array().tolist()
    if code not in languages:
        return None
    row = uriel.get_phylogeny_data_array()[languages.index(code)]
    nodes = [features[i][2:] for i in range(len(features)) if (row[i] > 0).any()]
    names = {"Atlantic-Congo": "Niger-Congo", "Austroasiatic": "Austro-Asiatic"}  # WALS's names
    return names.get(nodes[0], nodes[0]) if nodes else None


def test_added_families_are_urieles():
    uriel = typology.database()
    added = [record for record in RECORDS if record.alias not in XTREME_R_LANGUAGES and record.key != "zho_Hant"]
    # AmericasNLI's 10, MasakhaNER 2.0's 17 not among XTREME-R's (sw, wo, yo are), 137 more FLORES-200 varieties,
    # SIB-200's N'Ko, Belebele's five romanised varieties
    assert len(added) == 10 + 17 + 137 + 1 + 5
    assert {record.key: record.family for record in added} == \
        {record.key: uriel_family(uriel, record.iso639_3) for record in added}
    assert all(record.genus is None for record in added)
    assert typology.iso639_3("hau_Latn") == "hau" and typology.iso639_3("gn") == "grn"
    with pytest.raises(ValueError, match=r"'nah' \(ISO 639-3 'nah'\) is not in the URIEL database"):
        typology.iso639_3("nah")


# ---------------------------------------------------------------- a FLORES-coded target, end to end
FLORES_LANGS = ("hau_Latn", "zho_Hant", "deu_Latn")


def test_flores_coded_target_end_to_end_into_the_report(monkeypatch, tiny_model_dir, tmp_path):
    """One registry entry (inserted here) with FLORES codes, trained on a tiny local English NLI task, evaluated
    zero-shot on local files; the report's per-language table and family/genus/script sections carry the
    registry's facts for those codes."""
    import report
    import run_target
    spec = TaskSpec("flores_nli", "classification", "accuracy", languages=FLORES_LANGS, train_task="mnli",
                    labels=tasks.NLI_LABELS, hub_path=None, category=tasks.CLS)
    monkeypatch.setitem(tasks.TASKS, "flores_nli", spec)
    data = tmp_path / "data"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(48, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(12, 2))
    for i, lang in enumerate(FLORES_LANGS):
        write_jsonl(data / "flores_nli" / f"test-{lang}.jsonl", nli_rows(9, 10 + i, prefix=f"{lang}-"))
    runs = tmp_path / "runs"
    out = runs / "tiny" / "seed1" / "baseline" / "flores_nli"
    run_target.main(["--task", "flores_nli", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(out),
                     "--data_dir", str(data), "--languages", "hau_Latn,zho_Hant,deu", *FAST])
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_language"]) == set(FLORES_LANGS)  # deu asked, deu_Latn (the task's code) evaluated

    tables = report.main([str(runs)])
    rows = {row["language"]: row for row in tables["per_language"] if row["target"] == "flores_nli"}
    assert {lang: row["name"] for lang, row in rows.items()} == \
        {"hau_Latn": "Hausa", "zho_Hant": "Chinese (Traditional)", "deu_Latn": "German"}
    groups = {(row["grouping"], row["group"]): row["languages"].split() for row in tables["per_group"]
              if row["target"] == "flores_nli"}
    assert groups == {("family", "Afro-Asiatic"): ["hau_Latn"], ("family", "Sino-Tibetan"): ["zho_Hant"],
                      ("family", "Indo-European"): ["deu_Latn"], ("genus", "Unknown"): ["hau_Latn"],
                      ("genus", "Chinese"): ["zho_Hant"], ("genus", "Germanic"): ["deu_Latn"],
                      ("script", "Latin"): ["hau_Latn", "deu_Latn"], ("script", "Han"): ["zho_Hant"]}
    per_language = (runs / "report" / "per_language.csv").read_text()
    assert "flores_nli,baseline,zho_Hant,Chinese (Traditional)," in per_language
    groups_md = (runs / "report" / "groups.md").read_text()
    for line in ("| Afro-Asiatic | hau_Latn | baseline |", "| Unknown | hau_Latn | baseline |",
                 "| Han | zho_Hant | baseline |", "| Latin | hau_Latn deu_Latn | baseline |"):
        assert line in groups_md
    assert "| hau_Latn | zho_Hant | deu_Latn |" in (runs / "report" / "languages.md").read_text()
