"""Typology (README "Research questions as experiments", questions 3 and 4): each language's URIEL distances to
English (utils/typology.py), and how each variant's gain over the baseline follows them.

    section = typology_section(gains_from_rows(language_rows))       # build(context) does this

gains: {(target, base_model, variant): {lang: gain in points}}. Per target, base model and variant, and per
distance kind: Spearman's rank correlation (reporting.stats.spearman) between the gain and the distance over the
languages (English left out; a language whose distance URIEL lacks is left out of that kind, a language URIEL does
not have of every kind), with a 95%
percentile bootstrap interval over languages (reporting.stats.spearman_interval: 1,000 resamples of the languages
with replacement, numpy default_rng(0); a resample in which the gains or the distances are all equal has no rho and
is dropped, the rows count the resamples kept). One scatter plot per target (typology_<target>.png): gain vs
syntactic distance, one colour per variant. rows: one dict per (target, base model, variant, kind), for a CSV.
"""
from functools import partial

from reporting import render
from reporting.section import Section
from reporting.sections import languages
from reporting.stats import spearman, spearman_interval
from utils.languages import get_language, same_language
from utils.typology import KINDS, distance_to

RESAMPLES, SEED, REFERENCE = 1000, 0, "en"


def gains_from_rows(language_rows) -> dict:
    """The per-language rows (reporting/sections/languages.py) -> {(target, base_model, variant): {lang: gain}} (rows with a difference)."""
    gains = {}
    for row in language_rows:
        if row.get("delta") is not None:
            key = (row["target"], row["base_model"], row["intermediate"])
            gains.setdefault(key, {})[row["language"]] = row["delta"]
    return gains


def correlation_rows(gains, distances) -> list:
    rows = []
    for (target, base, variant), per_language in gains.items():
        for kind in KINDS:
            langs = [lang for lang in per_language
                     if not same_language(lang, REFERENCE) and distances[lang][kind] is not None]
            x, y = [distances[lang][kind] for lang in langs], [per_language[lang] for lang in langs]
            rho = spearman(x, y)
            low, high, kept = spearman_interval(x, y, RESAMPLES, SEED) if rho is not None else (None, None, 0)
            rows.append({"target": target, "base_model": base, "variant": variant, "distance": kind,
                         "n_languages": len(langs), "rho": rho, "low": low, "high": high, "resamples": kept})
    return rows


def _cell(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def scatter_points(target, gains, distances) -> dict:
    """{(base model, variant): [(syntactic distance, gain, language)]} of the target's languages with a distance."""
    series = {}
    for (task, base, variant), per_language in gains.items():
        points = [(distances[lang]["syntactic"], gain, lang) for lang, gain in per_language.items()
                  if task == target and not same_language(lang, REFERENCE)
                  and distances[lang]["syntactic"] is not None]
        if points:
            series[(base, variant)] = points
    return series


def scatter(target, series):
    """Gain vs syntactic distance to English, one colour per (base model and) variant, points named."""
    plt = render.pyplot()
    several_bases = len({base for base, _ in series}) > 1
    fig, ax = plt.subplots(figsize=(6, 4))
    for (base, variant), points in series.items():
        dots = ax.scatter([p[0] for p in points], [p[1] for p in points],
                          label=f"{base}: {variant}" if several_bases else variant)
        for x, y, lang in points:
            ax.annotate(lang, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points",
                        color=dots.get_facecolor()[0])
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("syntactic distance to English (URIEL)")
    ax.set_ylabel("gain over the baseline (points)")
    ax.set_title(f"{target}: gain vs typological distance")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def distances_or_unknown(lang) -> dict:
    """The language's distances to English; all unknown (None) where URIEL does not have the language (AmericasNLI
    names Nahuatl and Otomi by collective codes, nah and oto, that URIEL lacks): it is left out of every kind."""
    try:
        return distance_to(lang, REFERENCE)
    except ValueError:
        return {kind: None for kind in KINDS}


def typology_section(gains, distances=None) -> Section:
    """The section for gains: its Markdown, the correlation rows ("typology") and one scatter plot per target.
    distances: {lang: {kind: distance}} (default: utils.typology.distance_to for every language of gains)."""
    languages_of = sorted({lang for per_language in gains.values() for lang in per_language
                           if not same_language(lang, REFERENCE)})
    distances = distances or {lang: distances_or_unknown(lang) for lang in languages_of}
    rows = correlation_rows(gains, distances)
    text = ("## Typology: gains and distance to English\n\nEach language's URIEL distances to English "
            "(utils/typology.py: urielplus, angular distance between the languages' feature vectors, 0 = the same, "
            "1 = nothing shared; – where URIEL has no shared features of that kind):\n\n")
    text += render.markdown_table(["language", "name", *KINDS],
                                  [[lang, get_language(lang).name, *(_cell(distances[lang][kind], 3) for kind in KINDS)]
                                   for lang in languages_of])
    text += (f"\nSpearman's ρ between each variant's gain over the baseline (points) and each distance, over the "
             f"target's languages (English left out, and any language whose distance is unknown), with a 95% "
             f"bootstrap interval: {RESAMPLES:,} resamples of the languages with replacement (seed {SEED}), the "
             f"2.5th and 97.5th percentiles of their ρ (resamples in which a variable is constant dropped). "
             f"ρ > 0: the variant helps distant languages more. n: languages.\n")
    for target, base in dict.fromkeys((t, b) for t, b, _ in gains):
        lines = []
        for variant in dict.fromkeys(v for t, b, v in gains if (t, b) == (target, base)):
            cells = {r["distance"]: r for r in rows
                     if (r["target"], r["base_model"], r["variant"]) == (target, base, variant)}
            lines.append([variant, str(max(r["n_languages"] for r in cells.values())),
                          *(f"{_cell(cells[k]['rho'])} [{_cell(cells[k]['low'])}, {_cell(cells[k]['high'])}]"
                            if cells[k]["rho"] is not None else "–" for k in KINDS)])
        text += f"\n### {target}, base model `{base}`\n\n" + render.markdown_table(["variant", "n", *KINDS], lines)
    plots = {}
    for target in dict.fromkeys(t for t, _, _ in gains):
        series = scatter_points(target, gains, distances)
        if series:
            plots[f"typology_{target}.png"] = partial(scatter, target, series)
            text += f"\n![typology_{target}](typology_{target}.png)\n"
    return Section(text, {"typology": rows}, plots)


def build(context) -> Section:
    gains = gains_from_rows(context.shared(languages.rows))
    return typology_section(gains) if gains else Section()
