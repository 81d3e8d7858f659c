"""The language registry: one record per language variety, keyed by ISO 639-3 code plus ISO 15924 script as MTEB
keys them (`deu_Latn`, `zho_Hans`, `zho_Hant`), and `language(code)`, which resolves any code a benchmark names a
language by to its record: the key, XTREME's code (ISO 639-1 where there is one: `de`), the FLORES-200 code
(`deu_Latn`, `arb_Arab`), the LASER/Tatoeba code (`deu`, `cmn`) or the ISO 639-3 code alone (`deu`; for a language
with records in two scripts, the first listed). Tasks keep their benchmark's own codes; whatever reads a language's
facts (the report, the typology distances, the hub's config names) goes through `language`.

Sources:
- XTREME's 40 and XTREME-R's 50 languages (Hu et al. 2020; Ruder et al. 2021): family and genus from WALS (Dryer &
  Haspelmath 2013) where it has the language, else Glottolog; ISO 639-3 codes as the standard gives them (for a
  macrolanguage the macrolanguage: ar -> ara, zh -> zho, sw -> swa, fa -> fas, ms -> msa, et -> est, az -> aze,
  qu -> que; pycountry's ISO 639 data agrees), which is also the code URIEL knows them by (utils/typology.py).
- FLORES-200 codes: the NLLB/FLORES-200 language list (facebookresearch/flores, flores200/README.md); a macrolanguage
  record carries the variety FLORES translated (Arabic: arb_Arab, Persian: pes_Arab, Swahili: swh_Latn, Malay:
  zsm_Latn, Azerbaijani: azj_Latn). XTREME-R's Quechua (que) has none: FLORES has only Ayacucho Quechua (quy_Latn).
- LASER/Tatoeba codes: XTREME's Tatoeba languages and XTREME-R's five (XTREME's and XTREME-R's run_tatoeba.sh);
  LASER_TATOEBA is LASER's full list (facebookresearch/LASER data/tatoeba/v1: 112 languages paired with English).
- CC-100 size (XLM-R's pretraining data, GiB uncompressed): Conneau et al. 2020, "Unsupervised Cross-lingual
  Representation Learning at Scale" (ACL; arXiv 1911.02116), Appendix A, Table 6, as transcribed in
  github.com/mayhewsw/multilingual-data-stats cc-100/cc-100.csv; zh is its Simplified row (Traditional: 16.6 more),
  my its Unicode row (Zawgyi: 0.4 more); romanised rows are not counted. ht, qu, wo and yo are not among XLM-R's
  100 languages: None (not 0), so an analysis says how many languages it could use.
- AmericasNLI's 10 languages (Ebrahimi et al. 2022; the codes of its files, {dev,test}/<code>.tsv, and the names of
  the hub's card) and MasakhaNER 2.0's 20 (Adelani et al. 2022; the folders of masakhane-io/masakhane-ner
  MasakhaNER2.0/data and the names of its README; ISO 639-1 aliases from the hub card's language list). Their
  family is the top node of Glottolog's tree as URIEL ships it (urielplus's phylogeny features), with Glottolog's
  Atlantic-Congo written as WALS's Niger-Congo, the family name the XTREME-R records use; tests/test_languages.py
  checks it against the database. Their genus (WALS's) could not be checked here and is None, as is the family of
  Twi (URIEL has no tree for it) and of Nahuatl and Otomi: AmericasNLI names those two by ISO 639-2/5 collective
  codes (nah: Nahuatl languages, oto: Otomian languages), which are kept as their codes. All are written in Latin
  script (their FLORES codes; for the rest, URIEL's script features: a European alphabet with case).
A fact not known from a source is None; `group_of` shows it as "Unknown".
"""
import difflib
import functools
from dataclasses import dataclass

SCRIPT_NAMES = {  # ISO 15924 code -> the name the report groups by (Han for both Chinese variants)
    "Arab": "Arabic", "Beng": "Bengali", "Cyrl": "Cyrillic", "Deva": "Devanagari", "Geor": "Georgian",
    "Grek": "Greek", "Gujr": "Gujarati", "Guru": "Gurmukhi", "Hang": "Hangul", "Hans": "Han", "Hant": "Han",
    "Hebr": "Hebrew", "Jpan": "Japanese", "Latn": "Latin", "Mlym": "Malayalam", "Mymr": "Burmese", "Taml": "Tamil",
    "Telu": "Telugu", "Thai": "Thai", "Zzzz": "Unknown",
}
UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Language:
    name: str
    iso639_3: str
    script: str                        # ISO 15924 code: Latn, Hans
    family: str | None = None
    genus: str | None = None
    alias: str | None = None           # XTREME's code, ISO 639-1 where there is one: de
    flores: str | None = None          # FLORES-200: deu_Latn
    laser: str | None = None           # LASER/Tatoeba: deu
    cc100_gib: float | None = None     # XLM-R's CC-100 data in the language

    @property
    def key(self) -> str:
        return f"{self.iso639_3}_{self.script}"

    @property
    def script_name(self) -> str:
        return SCRIPT_NAMES[self.script]

    @property
    def codes(self) -> tuple:
        """Every code `language` resolves to this record (the ISO 639-3 code alone only for the first record listed
        with it)."""
        return tuple(dict.fromkeys(code for code in (self.key, self.alias, self.flores, self.laser, self.iso639_3)
                                   if code and _index().get(code) is self))


_L = Language
_IE = "Indo-European"
_AN = "Austronesian"
_NC = "Niger-Congo"
_DR = "Dravidian"
_UA = "Uto-Aztecan"

RECORDS = (
    # ---- XTREME-R's 50 (and Chinese in Traditional script, a FLORES-200 variety) ----
    _L("Afrikaans", "afr", "Latn", _IE, "Germanic", alias="af", flores="afr_Latn", laser="afr", cc100_gib=1.3),
    _L("Arabic", "ara", "Arab", "Afro-Asiatic", "Semitic", alias="ar", flores="arb_Arab", laser="ara", cc100_gib=28.0),
    _L("Azerbaijani", "aze", "Latn", "Turkic", "Turkic", alias="az", flores="azj_Latn", laser="aze", cc100_gib=6.5),
    _L("Bulgarian", "bul", "Cyrl", _IE, "Slavic", alias="bg", flores="bul_Cyrl", laser="bul", cc100_gib=57.5),
    _L("Bengali", "ben", "Beng", _IE, "Indic", alias="bn", flores="ben_Beng", laser="ben", cc100_gib=8.4),
    _L("German", "deu", "Latn", _IE, "Germanic", alias="de", flores="deu_Latn", laser="deu", cc100_gib=66.6),
    _L("Greek", "ell", "Grek", _IE, "Greek", alias="el", flores="ell_Grek", laser="ell", cc100_gib=46.9),
    _L("English", "eng", "Latn", _IE, "Germanic", alias="en", flores="eng_Latn", cc100_gib=300.8),
    _L("Spanish", "spa", "Latn", _IE, "Romance", alias="es", flores="spa_Latn", laser="spa", cc100_gib=53.3),
    _L("Estonian", "est", "Latn", "Uralic", "Finnic", alias="et", flores="est_Latn", laser="est", cc100_gib=6.1),
    _L("Basque", "eus", "Latn", "Basque", "Basque", alias="eu", flores="eus_Latn", laser="eus", cc100_gib=2.0),
    _L("Persian", "fas", "Arab", _IE, "Iranian", alias="fa", flores="pes_Arab", laser="pes", cc100_gib=111.6),
    _L("Finnish", "fin", "Latn", "Uralic", "Finnic", alias="fi", flores="fin_Latn", laser="fin", cc100_gib=54.3),
    _L("French", "fra", "Latn", _IE, "Romance", alias="fr", flores="fra_Latn", laser="fra", cc100_gib=56.8),
    _L("Gujarati", "guj", "Gujr", _IE, "Indic", alias="gu", flores="guj_Gujr", cc100_gib=1.9),
    _L("Hebrew", "heb", "Hebr", "Afro-Asiatic", "Semitic", alias="he", flores="heb_Hebr", laser="heb", cc100_gib=31.6),
    _L("Hindi", "hin", "Deva", _IE, "Indic", alias="hi", flores="hin_Deva", laser="hin", cc100_gib=20.2),
    _L("Haitian Creole", "hat", "Latn", "Creole", "French-based creole", alias="ht", flores="hat_Latn"),
    _L("Hungarian", "hun", "Latn", "Uralic", "Ugric", alias="hu", flores="hun_Latn", laser="hun", cc100_gib=58.4),
    _L("Indonesian", "ind", "Latn", _AN, "Malayo-Sumbawan", alias="id",
        flores="ind_Latn", laser="ind", cc100_gib=148.3),
    _L("Italian", "ita", "Latn", _IE, "Romance", alias="it", flores="ita_Latn", laser="ita", cc100_gib=30.2),
    _L("Japanese", "jpn", "Jpan", "Japonic", "Japanese", alias="ja", flores="jpn_Jpan", laser="jpn", cc100_gib=69.3),
    _L("Javanese", "jav", "Latn", _AN, "Javanese", alias="jv", flores="jav_Latn", laser="jav", cc100_gib=0.2),
    _L("Georgian", "kat", "Geor", "Kartvelian", "Kartvelian", alias="ka",
        flores="kat_Geor", laser="kat", cc100_gib=9.1),
    _L("Kazakh", "kaz", "Cyrl", "Turkic", "Turkic", alias="kk", flores="kaz_Cyrl", laser="kaz", cc100_gib=6.4),
    _L("Korean", "kor", "Hang", "Koreanic", "Korean", alias="ko", flores="kor_Hang", laser="kor", cc100_gib=54.2),
    _L("Lithuanian", "lit", "Latn", _IE, "Baltic", alias="lt", flores="lit_Latn", laser="lit", cc100_gib=13.7),
    _L("Malayalam", "mal", "Mlym", _DR, "Southern Dravidian", alias="ml",
        flores="mal_Mlym", laser="mal", cc100_gib=7.6),
    _L("Marathi", "mar", "Deva", _IE, "Indic", alias="mr", flores="mar_Deva", laser="mar", cc100_gib=2.8),
    _L("Malay", "msa", "Latn", _AN, "Malayo-Sumbawan", alias="ms", flores="zsm_Latn", cc100_gib=8.5),
    _L("Burmese", "mya", "Mymr", "Sino-Tibetan", "Burmese-Lolo", alias="my", flores="mya_Mymr", cc100_gib=1.6),
    _L("Dutch", "nld", "Latn", _IE, "Germanic", alias="nl", flores="nld_Latn", laser="nld", cc100_gib=29.3),
    _L("Punjabi", "pan", "Guru", _IE, "Indic", alias="pa", flores="pan_Guru", cc100_gib=0.8),
    _L("Polish", "pol", "Latn", _IE, "Slavic", alias="pl", flores="pol_Latn", laser="pol", cc100_gib=44.6),
    _L("Portuguese", "por", "Latn", _IE, "Romance", alias="pt", flores="por_Latn", laser="por", cc100_gib=49.1),
    _L("Quechua", "que", "Latn", "Quechuan", "Quechuan", alias="qu"),
    _L("Romanian", "ron", "Latn", _IE, "Romance", alias="ro", flores="ron_Latn", laser="ron", cc100_gib=61.4),
    _L("Russian", "rus", "Cyrl", _IE, "Slavic", alias="ru", flores="rus_Cyrl", laser="rus", cc100_gib=278.0),
    _L("Swahili", "swa", "Latn", _NC, "Bantoid", alias="sw", flores="swh_Latn", laser="swh", cc100_gib=1.6),
    _L("Tamil", "tam", "Taml", _DR, "Southern Dravidian", alias="ta", flores="tam_Taml", laser="tam", cc100_gib=12.2),
    _L("Telugu", "tel", "Telu", _DR, "South-Central Dravidian", alias="te",
        flores="tel_Telu", laser="tel", cc100_gib=4.7),
    _L("Thai", "tha", "Thai", "Tai-Kadai", "Kam-Tai", alias="th", flores="tha_Thai", laser="tha", cc100_gib=71.7),
    _L("Tagalog", "tgl", "Latn", _AN, "Greater Central Philippine", alias="tl",
        flores="tgl_Latn", laser="tgl", cc100_gib=3.1),
    _L("Turkish", "tur", "Latn", "Turkic", "Turkic", alias="tr", flores="tur_Latn", laser="tur", cc100_gib=20.9),
    _L("Ukrainian", "ukr", "Cyrl", _IE, "Slavic", alias="uk", flores="ukr_Cyrl", laser="ukr", cc100_gib=84.6),
    _L("Urdu", "urd", "Arab", _IE, "Indic", alias="ur", flores="urd_Arab", laser="urd", cc100_gib=5.7),
    _L("Vietnamese", "vie", "Latn", "Austro-Asiatic", "Viet-Muong", alias="vi",
        flores="vie_Latn", laser="vie", cc100_gib=137.3),
    _L("Wolof", "wol", "Latn", _NC, "Northern Atlantic", alias="wo", flores="wol_Latn"),
    _L("Yoruba", "yor", "Latn", _NC, "Defoid", alias="yo", flores="yor_Latn"),
    _L("Chinese", "zho", "Hans", "Sino-Tibetan", "Chinese", alias="zh", flores="zho_Hans", laser="cmn", cc100_gib=46.9),
    _L("Chinese (Traditional)", "zho", "Hant", "Sino-Tibetan", "Chinese", flores="zho_Hant"),
    # ---- AmericasNLI ----
    _L("Aymara", "aym", "Latn", "Aymara", alias="ay"),
    _L("Bribri", "bzd", "Latn", "Chibchan"),
    _L("Ashaninka", "cni", "Latn", "Arawakan"),
    _L("Guarani", "grn", "Latn", "Tupian", alias="gn", flores="grn_Latn"),
    _L("Wixarika", "hch", "Latn", _UA),
    _L("Nahuatl", "nah", "Latn"),
    _L("Otomi", "oto", "Latn"),
    _L("Ayacucho Quechua", "quy", "Latn", "Quechuan", flores="quy_Latn"),
    _L("Shipibo-Konibo", "shp", "Latn", "Panoan"),
    _L("Raramuri", "tar", "Latn", _UA),
    # ---- MasakhaNER 2.0 (Swahili, Wolof and Yoruba above) ----
    _L("Bambara", "bam", "Latn", "Mande", alias="bm", flores="bam_Latn"),
    _L("Ghomala", "bbj", "Latn", _NC),
    _L("Ewe", "ewe", "Latn", _NC, alias="ee", flores="ewe_Latn"),
    _L("Fon", "fon", "Latn", _NC, flores="fon_Latn"),
    _L("Hausa", "hau", "Latn", "Afro-Asiatic", alias="ha", flores="hau_Latn"),
    _L("Igbo", "ibo", "Latn", _NC, alias="ig", flores="ibo_Latn"),
    _L("Kinyarwanda", "kin", "Latn", _NC, alias="rw", flores="kin_Latn"),
    _L("Luganda", "lug", "Latn", _NC, alias="lg", flores="lug_Latn"),
    _L("Luo", "luo", "Latn", "Nilotic", flores="luo_Latn"),
    _L("Mossi", "mos", "Latn", _NC, flores="mos_Latn"),
    _L("Chichewa", "nya", "Latn", _NC, alias="ny", flores="nya_Latn"),
    _L("Nigerian Pidgin", "pcm", "Latn", _IE),
    _L("Shona", "sna", "Latn", _NC, alias="sn", flores="sna_Latn"),
    _L("Setswana", "tsn", "Latn", _NC, alias="tn", flores="tsn_Latn"),
    _L("Twi", "twi", "Latn", alias="tw", flores="twi_Latn"),
    _L("Xhosa", "xho", "Latn", _NC, alias="xh", flores="xho_Latn"),
    _L("Zulu", "zul", "Latn", _NC, alias="zu", flores="zul_Latn"),
)
LANGUAGES = {record.key: record for record in RECORDS}

XTREME_LANGUAGES = ("af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
                    "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru", "sw", "ta",
                    "te", "th", "tl", "tr", "ur", "vi", "yo", "zh")
XTREME_R_LANGUAGES = tuple(sorted(XTREME_LANGUAGES + ("az", "gu", "ht", "lt", "pa", "pl", "qu", "ro", "uk", "wo")))
LASER_TATOEBA = tuple("""afr amh ang ara arq arz ast awa aze bel ben ber bos bre bul cat cbk ceb ces cha cmn cor csb
cym dan deu dsb dtp ell epo est eus fao fin fra fry gla gle glg gsw heb hin hrv hsb hun hye ido ile ina ind isl ita
jav jpn kab kat kaz khm kor kur kzj lat lfn lit lvs mal mar max mhr mkd mon nds nld nno nob nov oci orv pam pes pms
pol por ron rus slk slv spa sqi srp swe swg swh tam tat tel tgl tha tuk tur tzl uig ukr urd uzb vie war wuu xho yid
yue zsm""".split())  # facebookresearch/LASER data/tatoeba/v1: the 112 languages paired with English

GROUPINGS = ("family", "genus", "script")


@functools.lru_cache(maxsize=1)
def _index() -> dict:
    """code -> record. Keys, aliases, FLORES and LASER codes first (each names one record), then the ISO 639-3 codes
    alone, which name the first record listed with them."""
    index = {}
    for field in ("key", "alias", "flores", "laser", "iso639_3"):
        for record in RECORDS:
            code = getattr(record, field)
            if code and index.setdefault(code, record) is not record and field != "iso639_3":
                raise ValueError(f"language code {code!r} names both {index[code].key} and {record.key}")
    return index


def language(code: str) -> Language:
    """The record a language code names (see the module's docstring for the codes accepted)."""
    record = _index().get(code)
    if record is None:
        close = difflib.get_close_matches(code, _index(), n=4, cutoff=0.6)
        raise ValueError(f"language {code!r} is not in the language registry (utils/languages.py)"
                         + (f"; did you mean {', '.join(close)}?" if close else ""))
    return record


def known(code: str) -> bool:
    return code in _index()


def same_language(code: str, other: str) -> bool:
    """Whether two codes name the same record (en and eng_Latn); a code outside the registry names only itself."""
    return code == other or (known(code) and known(other) and language(code) is language(other))


def get_language(code: str) -> Language:
    """The record of a language code; a code outside the registry (e.g. one of LASER's 112 that has no record) gets
    a record named by the code, with unknown facts (script Zzzz, ISO 15924's code for an unknown script)."""
    return _index().get(code) or Language(code, code, "Zzzz")


def group_of(code: str, grouping: str) -> str:
    """The language's family, genus or script name; "Unknown" where the registry does not know it."""
    if grouping not in GROUPINGS:
        raise ValueError(f"grouping must be one of {GROUPINGS}, got {grouping!r}")
    record = get_language(code)
    return (record.script_name if grouping == "script" else getattr(record, grouping)) or UNKNOWN


def cc100_gib(code: str) -> float | None:
    """The language's CC-100 size in GiB, or None (not in CC-100, or not in the registry)."""
    return get_language(code).cc100_gib


def iso639_3(code: str) -> str | None:
    """The record's ISO 639-3 code (the one URIEL uses), or None for a code outside the registry."""
    return _index()[code].iso639_3 if code in _index() else None
