"""One heatmap per base model (heatmap_<base>.png): intermediate task x target task, coloured by the difference to
the baseline (the paper's table)."""
from functools import partial

from reporting import render
from reporting.runs import BASELINE
from reporting.section import Section
from reporting.sections import paper


def heatmap(rows, base):
    """The figure of rows: the base model's paper-table rows with a difference to the baseline."""
    plt = render.pyplot()
    inters, targets = render.unique(r["intermediate"] for r in rows), render.unique(r["target"] for r in rows)
    grid = [[float("nan")] * len(targets) for _ in inters]
    for r in rows:
        grid[inters.index(r["intermediate"])][targets.index(r["target"])] = r["delta"]
    limit = max(abs(r["delta"]) for r in rows) or 1.0
    fig, ax = plt.subplots(figsize=(1.5 + 0.9 * len(targets), 1.0 + 0.5 * len(inters)))
    image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    for r in rows:
        ax.text(targets.index(r["target"]), inters.index(r["intermediate"]), f"{r['delta']:+.1f}",
                ha="center", va="center", fontsize=8, color="white" if abs(r["delta"]) > limit / 2 else "black")
    ax.set_xticks(range(len(targets)), targets, rotation=45, ha="right")
    ax.set_yticks(range(len(inters)), inters)
    ax.set_title(f"{base}: difference to the baseline")
    fig.colorbar(image, ax=ax)
    return fig


def build(context) -> Section:
    plots = {}
    for base, rows in render.by_base(context.shared(paper.rows)):
        rows = [r for r in rows if r["intermediate"] != BASELINE and r["delta"] is not None]
        if rows:
            plots[f"heatmap_{render.slug(base)}.png"] = partial(heatmap, rows, base)
    return Section("\n".join(f"![{name[:-4]}]({name})\n" for name in plots), plots=plots)
