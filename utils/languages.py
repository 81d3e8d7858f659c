"""Every XTREME and XTREME-R language: name, family, genus and script, for the per-family analysis.

Families and genera follow WALS (Dryer & Haspelmath 2013) where it has the language, else Glottolog; the
language lists are those of XTREME (Hu et al. 2020, 40 languages) and XTREME-R (Ruder et al. 2021, 50).
"""
from typing import NamedTuple


class Language(NamedTuple):
    code: str       # XTREME's code (ISO 639-1 where one exists)
    name: str
    family: str
    genus: str
    script: str


_IE = "Indo-European"
_AN = "Austronesian"
_NC = "Niger-Congo"
_DR = "Dravidian"

LANGUAGES = {lang.code: lang for lang in [
    Language("af", "Afrikaans", _IE, "Germanic", "Latin"),
    Language("ar", "Arabic", "Afro-Asiatic", "Semitic", "Arabic"),
    Language("az", "Azerbaijani", "Turkic", "Turkic", "Latin"),
    Language("bg", "Bulgarian", _IE, "Slavic", "Cyrillic"),
    Language("bn", "Bengali", _IE, "Indic", "Bengali"),
    Language("de", "German", _IE, "Germanic", "Latin"),
    Language("el", "Greek", _IE, "Greek", "Greek"),
    Language("en", "English", _IE, "Germanic", "Latin"),
    Language("es", "Spanish", _IE, "Romance", "Latin"),
    Language("et", "Estonian", "Uralic", "Finnic", "Latin"),
    Language("eu", "Basque", "Basque", "Basque", "Latin"),
    Language("fa", "Persian", _IE, "Iranian", "Arabic"),
    Language("fi", "Finnish", "Uralic", "Finnic", "Latin"),
    Language("fr", "French", _IE, "Romance", "Latin"),
    Language("gu", "Gujarati", _IE, "Indic", "Gujarati"),
    Language("he", "Hebrew", "Afro-Asiatic", "Semitic", "Hebrew"),
    Language("hi", "Hindi", _IE, "Indic", "Devanagari"),
    Language("ht", "Haitian Creole", "Creole", "French-based creole", "Latin"),
    Language("hu", "Hungarian", "Uralic", "Ugric", "Latin"),
    Language("id", "Indonesian", _AN, "Malayo-Sumbawan", "Latin"),
    Language("it", "Italian", _IE, "Romance", "Latin"),
    Language("ja", "Japanese", "Japonic", "Japanese", "Japanese"),
    Language("jv", "Javanese", _AN, "Javanese", "Latin"),
    Language("ka", "Georgian", "Kartvelian", "Kartvelian", "Georgian"),
    Language("kk", "Kazakh", "Turkic", "Turkic", "Cyrillic"),
    Language("ko", "Korean", "Koreanic", "Korean", "Hangul"),
    Language("lt", "Lithuanian", _IE, "Baltic", "Latin"),
    Language("ml", "Malayalam", _DR, "Southern Dravidian", "Malayalam"),
    Language("mr", "Marathi", _IE, "Indic", "Devanagari"),
    Language("ms", "Malay", _AN, "Malayo-Sumbawan", "Latin"),
    Language("my", "Burmese", "Sino-Tibetan", "Burmese-Lolo", "Burmese"),
    Language("nl", "Dutch", _IE, "Germanic", "Latin"),
    Language("pa", "Punjabi", _IE, "Indic", "Gurmukhi"),
    Language("pl", "Polish", _IE, "Slavic", "Latin"),
    Language("pt", "Portuguese", _IE, "Romance", "Latin"),
    Language("qu", "Quechua", "Quechuan", "Quechuan", "Latin"),
    Language("ro", "Romanian", _IE, "Romance", "Latin"),
    Language("ru", "Russian", _IE, "Slavic", "Cyrillic"),
    Language("sw", "Swahili", _NC, "Bantoid", "Latin"),
    Language("ta", "Tamil", _DR, "Southern Dravidian", "Tamil"),
    Language("te", "Telugu", _DR, "South-Central Dravidian", "Telugu"),
    Language("th", "Thai", "Tai-Kadai", "Kam-Tai", "Thai"),
    Language("tl", "Tagalog", _AN, "Greater Central Philippine", "Latin"),
    Language("tr", "Turkish", "Turkic", "Turkic", "Latin"),
    Language("uk", "Ukrainian", _IE, "Slavic", "Cyrillic"),
    Language("ur", "Urdu", _IE, "Indic", "Arabic"),
    Language("vi", "Vietnamese", "Austro-Asiatic", "Viet-Muong", "Latin"),
    Language("wo", "Wolof", _NC, "Northern Atlantic", "Latin"),
    Language("yo", "Yoruba", _NC, "Defoid", "Latin"),
    Language("zh", "Chinese", "Sino-Tibetan", "Chinese", "Han"),
]}

XTREME_LANGUAGES = ("af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
                    "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru", "sw", "ta",
                    "te", "th", "tl", "tr", "ur", "vi", "yo", "zh")
XTREME_R_LANGUAGES = tuple(sorted(XTREME_LANGUAGES + ("az", "gu", "ht", "lt", "pa", "pl", "qu", "ro", "uk", "wo")))

GROUPINGS = ("family", "genus", "script")


def get_language(code: str) -> Language:
    """The record of a language code; a code outside the table gets 'Unknown' family, genus and script."""
    return LANGUAGES.get(code) or Language(code, code, "Unknown", "Unknown", "Unknown")


def group_of(code: str, grouping: str) -> str:
    """The language's family, genus or script."""
    if grouping not in GROUPINGS:
        raise ValueError(f"grouping must be one of {GROUPINGS}, got {grouping!r}")
    return getattr(get_language(code), grouping)


# XLM-R's pretraining data per language: CC-100 size in GiB (uncompressed), from Conneau et al. 2020, "Unsupervised
# Cross-lingual Representation Learning at Scale" (ACL; arXiv 1911.02116), Appendix A, Table 6 ("Languages and
# statistics of the CC-100 corpus"), as transcribed in github.com/mayhewsw/multilingual-data-stats cc-100/cc-100.csv.
# Only the XTREME / XTREME-R languages the table has; zh is its Simplified row (Traditional: 16.6 more), my its
# Unicode row (Zawgyi: 0.4 more); romanised rows are not counted. ht, qu, wo and yo are not among XLM-R's 100
# languages and are left out (not 0): an analysis says how many languages it could use.
CC100_GIB = {
    "af": 1.3, "ar": 28.0, "az": 6.5, "bg": 57.5, "bn": 8.4, "de": 66.6, "el": 46.9, "en": 300.8, "es": 53.3,
    "et": 6.1, "eu": 2.0, "fa": 111.6, "fi": 54.3, "fr": 56.8, "gu": 1.9, "he": 31.6, "hi": 20.2, "hu": 58.4,
    "id": 148.3, "it": 30.2, "ja": 69.3, "jv": 0.2, "ka": 9.1, "kk": 6.4, "ko": 54.2, "lt": 13.7, "ml": 7.6,
    "mr": 2.8, "ms": 8.5, "my": 1.6, "nl": 29.3, "pa": 0.8, "pl": 44.6, "pt": 49.1, "ro": 61.4, "ru": 278.0,
    "sw": 1.6, "ta": 12.2, "te": 4.7, "th": 71.7, "tl": 3.1, "tr": 20.9, "uk": 84.6, "ur": 5.7, "vi": 137.3,
    "zh": 46.9,
}
