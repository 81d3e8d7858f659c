"""The report's typology section (issue 11, questions 3 and 4): each language's URIEL distances to English
(utils/typology.py), and how each variant's gain over the baseline follows them.

    from report_typology import gains_from_rows, typology_section
    markdown, rows = typology_section(gains_from_rows(tables["per_language"]), out)   # in scripts/report.py

gains: {(target, base_model, variant): {lang: gain in points}}. Per target, base model and variant, and per
distance kind: Spearman's rank correlation (scipy.stats.spearmanr) between the gain and the distance over the
languages (English left out; a language whose distance URIEL lacks is left out of that kind), with a 95%
percentile bootstrap interval over languages: 1,000 resamples of the languages with replacement (numpy
default_rng(0)), rho of each, their 2.5th and 97.5th percentiles; a resample in which the gains or the distances
are all equal has no rho and is dropped (the rows count the resamples kept). One scatter PNG per target: gain vs
syntactic distance, one colour per variant (matplotlib Agg, as scripts/report_render.py). rows: one dict per
(target, base model, variant, kind), for a CSV.
"""
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from utils.languages import get_language  # noqa: E402
from utils.typology import KINDS, distance_to  # noqa: E402

RESAMPLES, SEED, REFERENCE = 1000, 0, "en"


def gains_from_rows(language_rows) -> dict:
    """report.py's per-language rows -> {(target, base_model, variant): {lang: gain}} (rows with a difference)."""
    gains = {}
    for row in language_rows:
        if row.get("delta") is not None:
            key = (row["target"], row["base_model"], row["intermediate"])
            gains.setdefault(key, {})[row["language"]] = row["delta"]
    return gains


def spearman(x, y):
    """Spearman's rho, or None when there are fewer than 3 points or either variable is constant."""
    from scipy.stats import spearmanr
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return float(spearmanr(x, y).statistic)


def bootstrap_interval(x, y, resamples=RESAMPLES, seed=SEED):
    """(2.5th percentile, 97.5th percentile, resamples kept) of rho over resamples of the points (all resamples
    drawn at once; rho of each = the Pearson correlation of its average ranks, as spearmanr computes it)."""
    from scipy.stats import rankdata
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    pick = np.random.default_rng(seed).integers(0, len(x), (resamples, len(x)))
    ranks = [rankdata(values[pick], axis=1) for values in (x, y)]
    ranks = [r - r.mean(axis=1, keepdims=True) for r in ranks]
    spread = np.sqrt((ranks[0] ** 2).sum(axis=1) * (ranks[1] ** 2).sum(axis=1))
    kept = spread > 1e-12  # a resample whose gains or distances are all equal has no rho
    if not kept.any():
        return None, None, 0
    rhos = np.clip((ranks[0] * ranks[1]).sum(axis=1)[kept] / spread[kept], -1.0, 1.0)
    low, high = np.percentile(rhos, [2.5, 97.5])
    return float(low), float(high), int(kept.sum())


def correlation_rows(gains, distances) -> list:
    rows = []
    for (target, base, variant), per_language in gains.items():
        for kind in KINDS:
            langs = [lang for lang in per_language if lang != REFERENCE and distances[lang][kind] is not None]
            x, y = [distances[lang][kind] for lang in langs], [per_language[lang] for lang in langs]
            rho = spearman(x, y)
            low, high, kept = bootstrap_interval(x, y) if rho is not None else (None, None, 0)
            rows.append({"target": target, "base_model": base, "variant": variant, "distance": kind,
                         "n_languages": len(langs), "rho": rho, "low": low, "high": high, "resamples": kept})
    return rows


def _cell(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def _table(header, lines):
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(line) + " |" for line in lines]) + "\n"


def scatter(target, gains, distances, path: Path) -> bool:
    """Gain vs syntactic distance to English, one colour per (base model and) variant, points named."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    series = {key: per_language for key, per_language in gains.items() if key[0] == target}
    several_bases = len({base for _, base, _ in series}) > 1
    fig, ax = plt.subplots(figsize=(6, 4))
    plotted = False
    for (_, base, variant), per_language in series.items():
        points = [(distances[lang]["syntactic"], gain, lang) for lang, gain in per_language.items()
                  if lang != REFERENCE and distances[lang]["syntactic"] is not None]
        if not points:
            continue
        plotted = True
        dots = ax.scatter([p[0] for p in points], [p[1] for p in points],
                          label=f"{base}: {variant}" if several_bases else variant)
        for x, y, lang in points:
            ax.annotate(lang, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points",
                        color=dots.get_facecolor()[0])
    if plotted:
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_xlabel("syntactic distance to English (URIEL)")
        ax.set_ylabel("gain over the baseline (points)")
        ax.set_title(f"{target}: gain vs typological distance")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
        os.replace(tmp, path)
    plt.close(fig)
    return plotted


def typology_section(gains, out_dir, distances=None):
    """(Markdown of the section, correlation rows); writes typology_<target>.png into out_dir. distances:
    {lang: {kind: distance}} (default: utils.typology.distance_to for every language of gains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    languages = sorted({lang for per_language in gains.values() for lang in per_language} - {REFERENCE})
    distances = distances or {lang: distance_to(lang, REFERENCE) for lang in languages}
    rows = correlation_rows(gains, distances)
    text = ("## Typology: gains and distance to English\n\nEach language's URIEL distances to English "
            "(utils/typology.py: urielplus, angular distance between the languages' feature vectors, 0 = the same, "
            "1 = nothing shared; – where URIEL has no shared features of that kind):\n\n")
    text += _table(["language", "name", *KINDS],
                   [[lang, get_language(lang).name, *(_cell(distances[lang][kind], 3) for kind in KINDS)]
                    for lang in languages])
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
        text += f"\n### {target}, base model `{base}`\n\n" + _table(["variant", "n", *KINDS], lines)
    for target in dict.fromkeys(t for t, _, _ in gains):
        path = out_dir / f"typology_{target}.png"
        if scatter(target, gains, distances, path):
            text += f"\n![typology_{target}]({path.name})\n"
    return text, rows
