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
- The rest of FLORES-200's 204 varieties (SIB-200's and Belebele's languages): name, code, ISO 639-3 code and
  script as the FLORES-200 list gives them (facebookresearch/flores flores200/README.md at a6c830c); family by the
  rule above (URIEL's Austroasiatic also written as WALS's Austro-Asiatic; URIEL puts a creole or pidgin under its
  lexifier's family, so Nigerian Pidgin is Indo-European where XTREME-R's Haitian Creole record says Creole); no
  genus and no CC-100 size (Table 6 has romanised and regional rows whose match to a FLORES variety is not given).
- N'Ko (nqo_Nkoo): SIB-200's one variety beyond that list (Adelani et al. 2024; Davlan/sib200's card lists nqo);
  Belebele's five romanised varieties beyond it (Bandarkar et al. 2024; facebook/belebele's configs), their
  language's family.
A fact not known from a source is None; `group_of` shows it as "Unknown".
"""
import difflib
import functools
from dataclasses import dataclass

SCRIPT_NAMES = {  # ISO 15924 code -> the name the report groups by (Han for both Chinese variants)
    "Arab": "Arabic", "Armn": "Armenian", "Beng": "Bengali", "Cyrl": "Cyrillic", "Deva": "Devanagari",
    "Ethi": "Ethiopic", "Geor": "Georgian", "Grek": "Greek", "Gujr": "Gujarati", "Guru": "Gurmukhi",
    "Hang": "Hangul", "Hans": "Han", "Hant": "Han", "Hebr": "Hebrew", "Jpan": "Japanese", "Khmr": "Khmer",
    "Knda": "Kannada", "Laoo": "Lao", "Latn": "Latin", "Mlym": "Malayalam", "Mymr": "Burmese", "Olck": "Ol Chiki",
    "Orya": "Oriya", "Sinh": "Sinhala", "Taml": "Tamil", "Telu": "Telugu", "Tfng": "Tifinagh", "Thai": "Thai",
    "Tibt": "Tibetan", "Nkoo": "N'Ko", "Zzzz": "Unknown",
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
        own = (self.key, self.alias, self.flores, self.laser, self.iso639_3, self.flores and self.flores[:3])
        return tuple(dict.fromkeys(code for code in own if code and _index().get(code) is self))


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
    # ---- the rest of FLORES-200 (SIB-200, Belebele) ----
    _L("Acehnese (Arabic script)", "ace", "Arab", _AN, flores="ace_Arab"),
    _L("Acehnese (Latin script)", "ace", "Latn", _AN, flores="ace_Latn"),
    _L("Mesopotamian Arabic", "acm", "Arab", "Afro-Asiatic", flores="acm_Arab"),
    _L("Ta’izzi-Adeni Arabic", "acq", "Arab", "Afro-Asiatic", flores="acq_Arab"),
    _L("Tunisian Arabic", "aeb", "Arab", "Afro-Asiatic", flores="aeb_Arab"),
    _L("South Levantine Arabic", "ajp", "Arab", "Afro-Asiatic", flores="ajp_Arab"),
    _L("Akan", "aka", "Latn", _NC, flores="aka_Latn"),
    _L("Amharic", "amh", "Ethi", "Afro-Asiatic", flores="amh_Ethi"),
    _L("North Levantine Arabic", "apc", "Arab", "Afro-Asiatic", flores="apc_Arab"),
    _L("Modern Standard Arabic (Romanized)", "arb", "Latn", "Afro-Asiatic", flores="arb_Latn"),
    _L("Najdi Arabic", "ars", "Arab", "Afro-Asiatic", flores="ars_Arab"),
    _L("Moroccan Arabic", "ary", "Arab", "Afro-Asiatic", flores="ary_Arab"),
    _L("Egyptian Arabic", "arz", "Arab", "Afro-Asiatic", flores="arz_Arab"),
    _L("Assamese", "asm", "Beng", _IE, flores="asm_Beng"),
    _L("Asturian", "ast", "Latn", _IE, flores="ast_Latn"),
    _L("Awadhi", "awa", "Deva", _IE, flores="awa_Deva"),
    _L("Central Aymara", "ayr", "Latn", "Aymara", flores="ayr_Latn"),
    _L("South Azerbaijani", "azb", "Arab", "Turkic", flores="azb_Arab"),
    _L("Bashkir", "bak", "Cyrl", "Turkic", flores="bak_Cyrl"),
    _L("Balinese", "ban", "Latn", _AN, flores="ban_Latn"),
    _L("Belarusian", "bel", "Cyrl", _IE, flores="bel_Cyrl"),
    _L("Bemba", "bem", "Latn", _NC, flores="bem_Latn"),
    _L("Bhojpuri", "bho", "Deva", _IE, flores="bho_Deva"),
    _L("Banjar (Arabic script)", "bjn", "Arab", _AN, flores="bjn_Arab"),
    _L("Banjar (Latin script)", "bjn", "Latn", _AN, flores="bjn_Latn"),
    _L("Standard Tibetan", "bod", "Tibt", "Sino-Tibetan", flores="bod_Tibt"),
    _L("Bosnian", "bos", "Latn", _IE, flores="bos_Latn"),
    _L("Buginese", "bug", "Latn", _AN, flores="bug_Latn"),
    _L("Catalan", "cat", "Latn", _IE, flores="cat_Latn"),
    _L("Cebuano", "ceb", "Latn", _AN, flores="ceb_Latn"),
    _L("Czech", "ces", "Latn", _IE, flores="ces_Latn"),
    _L("Chokwe", "cjk", "Latn", _NC, flores="cjk_Latn"),
    _L("Central Kurdish", "ckb", "Arab", _IE, flores="ckb_Arab"),
    _L("Crimean Tatar", "crh", "Latn", "Turkic", flores="crh_Latn"),
    _L("Welsh", "cym", "Latn", _IE, flores="cym_Latn"),
    _L("Danish", "dan", "Latn", _IE, flores="dan_Latn"),
    _L("Southwestern Dinka", "dik", "Latn", "Nilotic", flores="dik_Latn"),
    _L("Dyula", "dyu", "Latn", "Mande", flores="dyu_Latn"),
    _L("Dzongkha", "dzo", "Tibt", "Sino-Tibetan", flores="dzo_Tibt"),
    _L("Esperanto", "epo", "Latn", "Artificial Language", flores="epo_Latn"),
    _L("Faroese", "fao", "Latn", _IE, flores="fao_Latn"),
    _L("Fijian", "fij", "Latn", _AN, flores="fij_Latn"),
    _L("Friulian", "fur", "Latn", _IE, flores="fur_Latn"),
    _L("Nigerian Fulfulde", "fuv", "Latn", _NC, flores="fuv_Latn"),
    _L("Scottish Gaelic", "gla", "Latn", _IE, flores="gla_Latn"),
    _L("Irish", "gle", "Latn", _IE, flores="gle_Latn"),
    _L("Galician", "glg", "Latn", _IE, flores="glg_Latn"),
    _L("Chhattisgarhi", "hne", "Deva", _IE, flores="hne_Deva"),
    _L("Croatian", "hrv", "Latn", _IE, flores="hrv_Latn"),
    _L("Armenian", "hye", "Armn", _IE, flores="hye_Armn"),
    _L("Ilocano", "ilo", "Latn", _AN, flores="ilo_Latn"),
    _L("Icelandic", "isl", "Latn", _IE, flores="isl_Latn"),
    _L("Kabyle", "kab", "Latn", "Afro-Asiatic", flores="kab_Latn"),
    _L("Jingpho", "kac", "Latn", "Sino-Tibetan", flores="kac_Latn"),
    _L("Kamba", "kam", "Latn", _NC, flores="kam_Latn"),
    _L("Kannada", "kan", "Knda", _DR, flores="kan_Knda"),
    _L("Kashmiri (Arabic script)", "kas", "Arab", _IE, flores="kas_Arab"),
    _L("Kashmiri (Devanagari script)", "kas", "Deva", _IE, flores="kas_Deva"),
    _L("Central Kanuri (Arabic script)", "knc", "Arab", "Saharan", flores="knc_Arab"),
    _L("Central Kanuri (Latin script)", "knc", "Latn", "Saharan", flores="knc_Latn"),
    _L("Kabiyè", "kbp", "Latn", _NC, flores="kbp_Latn"),
    _L("Kabuverdianu", "kea", "Latn", _IE, flores="kea_Latn"),
    _L("Khmer", "khm", "Khmr", "Austro-Asiatic", flores="khm_Khmr"),
    _L("Kikuyu", "kik", "Latn", _NC, flores="kik_Latn"),
    _L("Kyrgyz", "kir", "Cyrl", "Turkic", flores="kir_Cyrl"),
    _L("Kimbundu", "kmb", "Latn", _NC, flores="kmb_Latn"),
    _L("Northern Kurdish", "kmr", "Latn", _IE, flores="kmr_Latn"),
    _L("Kikongo", "kon", "Latn", _NC, flores="kon_Latn"),
    _L("Lao", "lao", "Laoo", "Tai-Kadai", flores="lao_Laoo"),
    _L("Ligurian", "lij", "Latn", _IE, flores="lij_Latn"),
    _L("Limburgish", "lim", "Latn", _IE, flores="lim_Latn"),
    _L("Lingala", "lin", "Latn", _NC, flores="lin_Latn"),
    _L("Lombard", "lmo", "Latn", _IE, flores="lmo_Latn"),
    _L("Latgalian", "ltg", "Latn", flores="ltg_Latn"),
    _L("Luxembourgish", "ltz", "Latn", _IE, flores="ltz_Latn"),
    _L("Luba-Kasai", "lua", "Latn", _NC, flores="lua_Latn"),
    _L("Mizo", "lus", "Latn", "Sino-Tibetan", flores="lus_Latn"),
    _L("Standard Latvian", "lvs", "Latn", flores="lvs_Latn"),
    _L("Magahi", "mag", "Deva", _IE, flores="mag_Deva"),
    _L("Maithili", "mai", "Deva", _IE, flores="mai_Deva"),
    _L("Minangkabau (Arabic script)", "min", "Arab", _AN, flores="min_Arab"),
    _L("Minangkabau (Latin script)", "min", "Latn", _AN, flores="min_Latn"),
    _L("Macedonian", "mkd", "Cyrl", _IE, flores="mkd_Cyrl"),
    _L("Plateau Malagasy", "plt", "Latn", _AN, flores="plt_Latn"),
    _L("Maltese", "mlt", "Latn", "Afro-Asiatic", flores="mlt_Latn"),
    _L("Meitei (Bengali script)", "mni", "Beng", "Sino-Tibetan", flores="mni_Beng"),
    _L("Halh Mongolian", "khk", "Cyrl", "Mongolic", flores="khk_Cyrl"),
    _L("Maori", "mri", "Latn", _AN, flores="mri_Latn"),
    _L("Norwegian Nynorsk", "nno", "Latn", flores="nno_Latn"),
    _L("Norwegian Bokmål", "nob", "Latn", flores="nob_Latn"),
    _L("Nepali", "npi", "Deva", _IE, flores="npi_Deva"),
    _L("Northern Sotho", "nso", "Latn", _NC, flores="nso_Latn"),
    _L("Nuer", "nus", "Latn", "Nilotic", flores="nus_Latn"),
    _L("Occitan", "oci", "Latn", _IE, flores="oci_Latn"),
    _L("West Central Oromo", "gaz", "Latn", "Afro-Asiatic", flores="gaz_Latn"),
    _L("Odia", "ory", "Orya", _IE, flores="ory_Orya"),
    _L("Pangasinan", "pag", "Latn", _AN, flores="pag_Latn"),
    _L("Papiamento", "pap", "Latn", _IE, flores="pap_Latn"),
    _L("Dari", "prs", "Arab", _IE, flores="prs_Arab"),
    _L("Southern Pashto", "pbt", "Arab", _IE, flores="pbt_Arab"),
    _L("Rundi", "run", "Latn", _NC, flores="run_Latn"),
    _L("Sango", "sag", "Latn", _NC, flores="sag_Latn"),
    _L("Sanskrit", "san", "Deva", _IE, flores="san_Deva"),
    _L("Santali", "sat", "Olck", "Austro-Asiatic", flores="sat_Olck"),
    _L("Sicilian", "scn", "Latn", _IE, flores="scn_Latn"),
    _L("Shan", "shn", "Mymr", "Tai-Kadai", flores="shn_Mymr"),
    _L("Sinhala", "sin", "Sinh", _IE, flores="sin_Sinh"),
    _L("Slovak", "slk", "Latn", _IE, flores="slk_Latn"),
    _L("Slovenian", "slv", "Latn", _IE, flores="slv_Latn"),
    _L("Samoan", "smo", "Latn", _AN, flores="smo_Latn"),
    _L("Sindhi", "snd", "Arab", _IE, flores="snd_Arab"),
    _L("Somali", "som", "Latn", "Afro-Asiatic", flores="som_Latn"),
    _L("Southern Sotho", "sot", "Latn", _NC, flores="sot_Latn"),
    _L("Tosk Albanian", "als", "Latn", _IE, flores="als_Latn"),
    _L("Sardinian", "srd", "Latn", _IE, flores="srd_Latn"),
    _L("Serbian", "srp", "Cyrl", _IE, flores="srp_Cyrl"),
    _L("Swati", "ssw", "Latn", _NC, flores="ssw_Latn"),
    _L("Sundanese", "sun", "Latn", _AN, flores="sun_Latn"),
    _L("Swedish", "swe", "Latn", _IE, flores="swe_Latn"),
    _L("Silesian", "szl", "Latn", _IE, flores="szl_Latn"),
    _L("Tatar", "tat", "Cyrl", "Turkic", flores="tat_Cyrl"),
    _L("Tajik", "tgk", "Cyrl", _IE, flores="tgk_Cyrl"),
    _L("Tigrinya", "tir", "Ethi", "Afro-Asiatic", flores="tir_Ethi"),
    _L("Tamasheq (Latin script)", "taq", "Latn", "Afro-Asiatic", flores="taq_Latn"),
    _L("Tamasheq (Tifinagh script)", "taq", "Tfng", "Afro-Asiatic", flores="taq_Tfng"),
    _L("Tok Pisin", "tpi", "Latn", _IE, flores="tpi_Latn"),
    _L("Tsonga", "tso", "Latn", _NC, flores="tso_Latn"),
    _L("Turkmen", "tuk", "Latn", "Turkic", flores="tuk_Latn"),
    _L("Tumbuka", "tum", "Latn", _NC, flores="tum_Latn"),
    _L("Central Atlas Tamazight", "tzm", "Tfng", "Afro-Asiatic", flores="tzm_Tfng"),
    _L("Uyghur", "uig", "Arab", "Turkic", flores="uig_Arab"),
    _L("Umbundu", "umb", "Latn", _NC, flores="umb_Latn"),
    _L("Northern Uzbek", "uzn", "Latn", "Turkic", flores="uzn_Latn"),
    _L("Venetian", "vec", "Latn", _IE, flores="vec_Latn"),
    _L("Waray", "war", "Latn", _AN, flores="war_Latn"),
    _L("Eastern Yiddish", "ydd", "Hebr", _IE, flores="ydd_Hebr"),
    _L("Yue Chinese", "yue", "Hant", "Sino-Tibetan", flores="yue_Hant"),
    # SIB-200's 205th variety (Davlan/sib200's card lists nqo), beyond FLORES-200's list at a6c830c: no FLORES code
    # here; its key is SIB-200's code. URIEL has no tree for nqo: family unknown.
    _L("N'Ko", "nqo", "Nkoo"),
    # Belebele's five romanised varieties beyond FLORES-200 (its configs ben_Latn, hin_Latn, npi_Latn, sin_Latn,
    # urd_Latn): the language's family, no FLORES code
    _L("Bengali (Latin script)", "ben", "Latn", _IE),
    _L("Hindi (Latin script)", "hin", "Latn", _IE),
    _L("Nepali (Latin script)", "npi", "Latn", _IE),
    _L("Sinhala (Latin script)", "sin", "Latn", _IE),
    _L("Urdu (Latin script)", "urd", "Latn", _IE),
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
    alone (a record's own and its FLORES variety's: arb for Arabic), each naming the first record listed with it."""
    index = {}
    for field in ("key", "alias", "flores", "laser"):
        for record in RECORDS:
            code = getattr(record, field)
            if code and index.setdefault(code, record) is not record:
                raise ValueError(f"language code {code!r} names both {index[code].key} and {record.key}")
    for record in RECORDS:
        for code in (record.iso639_3, record.flores and record.flores.split("_")[0]):
            if code:
                index.setdefault(code, record)
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
