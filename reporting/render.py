"""The report's one renderer: Markdown tables and cells, CSV and PNG (matplotlib, Agg backend), and the writing of
the sections into the report folder. All writes atomic."""
import csv
import io
import os
import re
from pathlib import Path

from reporting.runs import BASELINE
from reporting.section import REPORT
from utils.results import write_text_atomic


def fmt(value, signed=False, empty="–"):
    if value is None:
        return empty
    if isinstance(value, float):
        return f"{value:+.1f}" if signed else f"{value:.1f}"
    return str(value)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_.") or "model"


def unique(values):
    return list(dict.fromkeys(values))


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def csv_text(rows: list) -> str:
    buffer = io.StringIO()
    columns = unique(key for row in rows for key in row)
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (round(v, 4) if isinstance(v, float) else ("" if v is None else v))
                         for k, v in row.items()})
    return buffer.getvalue()


NOT_SIGNIFICANT = "≈"  # a difference whose 95% interval includes 0


def delta_text(row, digits=1) -> str:
    """'+1.2 [+0.4, +2.0]', or '-0.3 [-1.1, +0.5] ≈' when the interval includes 0; no interval: the difference."""
    text = f"{row['delta']:+.{digits}f}"
    if row.get("delta_low") is not None:
        text += f" [{row['delta_low']:+.{digits}f}, {row['delta_high']:+.{digits}f}]"
        text += "" if row["significant"] else f" {NOT_SIGNIFICANT}"
    return text


def score_cell(row) -> str:
    text = fmt(row["mean"])
    if row.get("std") is not None:
        text += f" ± {row['std']:.1f}"
    if row.get("delta") is not None and row["intermediate"] != BASELINE:
        text += f" ({delta_text(row)})"
    return text


def pivot(rows, column_key, cell=score_cell):
    """rows of one base model -> (columns, [[intermediate, cells...]]), one line per intermediate task."""
    columns = unique(row[column_key] for row in rows)
    lines = {}
    for row in rows:
        lines.setdefault(row["intermediate"], {})[row[column_key]] = cell(row)
    return columns, [[inter] + [cells.get(c, "–") for c in columns] for inter, cells in lines.items()]


def by_base(rows):
    bases = unique(row["base_model"] for row in rows)
    return [(base, [row for row in rows if row["base_model"] == base]) for base in bases]


# ---------------------------------------------------------------- plots
def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_png(fig, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    os.replace(tmp, path)
    pyplot().close(fig)
    return path


def save_plots(out: Path, plots: dict) -> list:
    """Draw each plot of plots {file name: function returning its figure} and save it as a PNG in out (one figure
    open at a time); returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    return [save_png(draw(), out / name) for name, draw in plots.items()]


def write_report(out: Path, split: str, sections) -> list:
    """Write the sections (reporting.section.Section, in order) into out: every table with rows as CSV, every
    plot as PNG, and the Markdown files, report.md first with a header linking the other files. Returns the paths
    written."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {name: rows for section in sections for name, rows in section.tables.items() if rows}
    for name, rows in tables.items():
        write_text_atomic(out / f"{name}.csv", csv_text(rows))
    written = [out / f"{name}.csv" for name in tables]
    written += save_plots(out, {name: draw for section in sections for name, draw in section.plots.items()})
    files = {REPORT: []}
    for section in sections:
        files.setdefault(section.file, []).extend([section.markdown] if section.markdown else [])
    links = [path.name for path in written] + [name for name in files if name != REPORT]
    files[REPORT] = ["# xstilts report\n", f"Split: `{split}`. Files: " + ", ".join(f"[{name}]({name})"
                                                                                   for name in links) + ".\n",
                     *files[REPORT]]
    for name, parts in files.items():
        write_text_atomic(out / name, "\n".join(parts))
        written.append(out / name)
    return written
