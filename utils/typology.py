"""Typological distances between languages, from the URIEL knowledge base (Littell et al. 2017) as the package
urielplus (URIEL+, Khan et al. 2025) ships it, offline.

Why urielplus: its wheel carries URIEL's feature matrices and computes the distances itself (the angular distance
between two languages' feature vectors over the features both have values for, in [0, 1]); lang2vec 1.1.2, the
newest on PyPI, has no distance function (its GitHub version's reads a precomputed file the wheel lacks) and
imports pkg_resources, which current setuptools no longer has. URIEL's released data is used as urielplus loads
it, with its defaults (angular distance; a feature is 1 when any source says so); URIEL+'s extra databases
(`integrate_databases()`) are not merged: that takes over a minute and switches every code to Glottocodes.

Kinds (URIEL's): syntactic, phonological, inventory (phoneme inventories), genetic (shared family-tree nodes),
geographic (from coordinates) and featural (all typological features together).

Codes: any code the language registry (utils/languages.py) resolves (XTREME's de, FLORES's hau_Latn, ...) maps
to its record's ISO 639-3 code (for a macrolanguage the macrolanguage code: ar -> ara, zh -> zho, sw -> swa).
Another three-letter code is taken as ISO 639-3. A code outside both or unknown to URIEL is an error naming it; a
distance URIEL cannot compute for a kind (the two languages share no feature with a value, e.g. phonological for
Italian) is None, with a logged warning.
"""
import functools
import logging
from contextlib import contextmanager

from utils import languages

logger = logging.getLogger(__name__)

KINDS = ("syntactic", "phonological", "inventory", "genetic", "geographic", "featural")
ORDERS = ("SOV", "SVO", "VSO", "VOS", "OVS", "OSV")  # WALS 81A's orders, by how many of the world's languages have them
ORDER_SOURCES = ("WALS", "SSWL", "ETHNO")  # word order: the first of these URIEL sources that has a value


@contextmanager
def _quiet():
    """urielplus logs every call at INFO through the root logger, and it (or what it imports on first use) calls
    logging.basicConfig, which would take over the scripts' logging setup (utils/args.py setup_logging then adds
    nothing): INFO is silenced while it runs, and the root logger's handlers and level are put back as they were."""
    root = logging.getLogger()
    handlers, level, previous = list(root.handlers), root.level, logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)
        root.handlers[:] = handlers
        root.setLevel(level)


@functools.lru_cache(maxsize=1)
def database():
    """The URIEL+ object (loaded once, ~1.5 s)."""
    with _quiet():
        from urielplus.urielplus import URIELPlus
        return URIELPlus()


@functools.lru_cache(maxsize=1)
def _uriel_codes() -> frozenset:
    return frozenset(database().get_typological_languages_array().tolist())


def iso639_3(lang: str) -> str:
    """The ISO 639-3 code URIEL uses for a language code the registry knows (another three-letter code is returned
    as it is)."""
    code = languages.iso639_3(lang) or (lang if len(lang) == 3 and lang.isalpha() and lang.islower() else None)
    if code is None:
        raise ValueError(f"language {lang!r}: no ISO 639-3 code known for it (not in the language registry, "
                         f"utils/languages.py; or give an ISO 639-3 code)")
    if code not in _uriel_codes():
        raise ValueError(f"language {lang!r} (ISO 639-3 {code!r}) is not in the URIEL database")
    return code


@functools.lru_cache(maxsize=None)
def distance(lang: str, other: str, kind: str) -> float | None:
    """URIEL's `kind` distance between two languages (XTREME or ISO 639-3 codes), in [0, 1]; None (logged) when
    the database has no shared features of that kind for the two."""
    if kind not in KINDS:
        raise ValueError(f"distance kind {kind!r}: expected one of {', '.join(KINDS)}")
    a, b = iso639_3(lang), iso639_3(other)
    if a == b:
        return 0.0
    try:
        with _quiet():
            value = database().new_distance(kind, a, b)
    except ValueError as error:  # "No shared <kind> features between ..."
        logger.warning("URIEL has no %s distance between %s and %s (%s)", kind, lang, other,
                       str(error).splitlines()[0])
        return None
    return round(float(value), 4)  # the database's precision (float32 for genetic and geographic)


def distance_to(lang: str, reference: str = "en", kinds=KINDS) -> dict:
    """{kind: distance from lang to reference, or None where URIEL cannot compute it}."""
    return {kind: distance(lang, reference, kind) for kind in kinds}


TRANSFER_KINDS = ("syntactic", "genetic", "geographic")


def transfer_distance(lang: str, other: str) -> float | None:
    """The distance that chooses a language to transfer from (a source language, engine/sources.py; a language
    adapter standing in for a missing one, utils/language_adapters.py): the mean of the TRANSFER_KINDS' distances
    URIEL can compute for the pair, the three features Lin et al. 2019 ("Choosing Transfer Languages for
    Cross-Lingual Learning") found most predictive of transfer after dataset size; None where it computes none."""
    values = [value for kind in TRANSFER_KINDS if (value := distance(lang, other, kind)) is not None]
    return round(sum(values) / len(values), 4) if values else None


def closeness(lang: str, other: str, kind: str = "syntactic") -> float | None:
    """1 - distance: 1 for the same language, 0 for the most distant; None where the distance is unknown."""
    value = distance(lang, other, kind)
    return None if value is None else 1.0 - value


def closest(target: str, candidates, k: int = 1, kind: str = "syntactic") -> list[tuple[str, float]]:
    """The k candidates nearest to target by `kind` distance, as [(code, distance)], nearest first (ties: by
    code); candidates whose distance is unknown are left out."""
    known = [(code, distance(target, code, kind)) for code in candidates]
    ranked = sorted(((code, value) for code, value in known if value is not None), key=lambda c: (c[1], c[0]))
    return ranked[:k]


@functools.lru_cache(maxsize=None)
def word_orders(lang: str) -> tuple[str, ...]:
    """The dominant orders of subject, object and verb that URIEL records for a language (its features S_SOV,
    S_SVO, ...: WALS 81A where WALS has the language, else SSWL, else Ethnologue): one order, several (WALS's
    "no dominant order", e.g. German: SOV and SVO), or none (no data)."""
    uriel = database()
    features = uriel.get_typological_features_array().tolist()
    sources = uriel.get_typological_sources_array().tolist()
    row = uriel.get_typological_languages_array().tolist().index(iso639_3(lang))
    data = uriel.get_typological_data_array()[row]
    columns = [features.index(f"S_{order}") for order in ORDERS]
    for source in ORDER_SOURCES:
        values = [data[column, sources.index(source)] for column in columns]
        if any(value >= 0 for value in values):
            return tuple(order for order, value in zip(ORDERS, values) if value == 1)
    return ()


def word_order(lang: str) -> str | None:
    """The language's dominant order (SOV, SVO, VSO, VOS, OVS, OSV), or None when URIEL records none or several."""
    orders = word_orders(lang)
    return orders[0] if len(orders) == 1 else None


def most_frequent_order(languages) -> tuple[str, dict]:
    """The dominant order most of the languages have (those with exactly one), ties broken by ORDERS (the more
    frequent order among the world's languages first), and {lang: its order or None}."""
    orders = {lang: word_order(lang) for lang in languages}
    counts = {order: sum(value == order for value in orders.values()) for order in ORDERS}
    if not any(counts.values()):
        raise ValueError(f"--word_order auto: URIEL gives no single dominant order for any of "
                         f"{', '.join(languages)}; pass --word_order SOV|SVO|VSO|VOS|OVS|OSV")
    return max(ORDERS, key=lambda order: (counts[order], -ORDERS.index(order))), orders
