"""Writes report.py's tables as Markdown and CSV, and its PNG plots (matplotlib, Agg backend). All writes atomic."""
import csv
import io
import os
import re
from pathlib import Path

from report_runs import BASELINE
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


def paper_markdown(paper) -> str:
    text = ("## The paper's table\n\nMean ± standard deviation over seeds of the test average over the languages "
            "each run evaluated (QA: (EM + F1) / 2); in brackets the difference to the baseline. Averages over other "
            "languages than the task's (XTREME's) are listed below each table. The difference's 95% interval (a "
            f"paired bootstrap over test examples and seeds, \"Significance\" below) follows it; {NOT_SIGNIFICANT} marks "
            "one that includes 0.\n")
    for base, rows in by_base(paper):
        columns, lines = pivot(rows, "target")
        text += f"\n### Base model `{base}`\n\n" + markdown_table(["intermediate"] + columns, lines)
        notes = [f"- {r['target']}, {r['intermediate']}: {r['languages']}" for r in rows if r["languages"]]
        text += ("\nLanguages:\n\n" + "\n".join(notes) + "\n") if notes else ""
    return text


BENCHMARK_TITLES = {"xtreme": "XTREME", "xtreme_r": "XTREME-R"}


def partial_notes(row) -> dict:
    """row["partial"] ("xnli: 2 of 15 languages; ...") -> {task: "2 of 15 languages"}."""
    return dict(note.split(": ", 1) for note in row["partial"].split("; ")) if row["partial"] else {}


def benchmark_cell(row, key, partial, benchmark) -> str:
    text = delta_text(row, 2) if key == "delta" and row[key] is not None else fmt(row[key], signed=(key == "delta"))
    if row[key] is None:
        return text
    if key in partial:
        return f"{text} (partial: {partial[key]})"
    return f"{text} (partial)" if key == benchmark and partial else text


def benchmark_markdown(rows, benchmark) -> str:
    """The XTREME or XTREME-R score table; a task averaged over fewer than the benchmark's languages says so."""
    if not rows:
        return ""
    title = BENCHMARK_TITLES.get(benchmark, benchmark)
    keys = [k for k in rows[0] if k not in ("base_model", "intermediate", "missing", "partial", "delta_low",
                                           "delta_high", "significant")]
    lines = [[r["base_model"], r["intermediate"]] + [benchmark_cell(r, k, partial_notes(r), benchmark) for k in keys]
             + [r["missing"] or "–"] for r in rows]
    return (f"## {title} score\n\nPer task (the mean over {title}'s languages of the task), per category and "
            f"overall (the mean over the tasks present, n_tasks); delta: difference to the baseline's score on the "
            f"same tasks and languages. \"partial: k of n languages\": the runs had only k of the task's n {title} "
            f"languages; missing: the tasks each category lacks.\n\n"
            + markdown_table(["base model", "intermediate"] + keys + ["missing"], lines))


def base_models_markdown(rows) -> str:
    if not rows:
        return ""
    keys = [k for k in rows[0] if k not in ("intermediate", "target")]
    lines = [[r["intermediate"], r["target"]] + [fmt(r[k], signed=k.endswith("delta")) for k in keys] for r in rows]
    return "## Base models compared\n\n" + markdown_table(["intermediate", "target"] + keys, lines)


def runs_markdown(rows) -> str:
    problems = [[r["path"], r["status"], r["problem"]] for r in rows if r["status"] != "finished"]
    intermediate = [[r["base_model"], r["task"], fmt(r["seed"]), fmt(r["average"])] for r in rows
                    if r["status"] == "finished" and r["role"] == "intermediate"]
    text = ""
    if intermediate:
        text += "## Intermediate runs\n\n" + markdown_table(["base model", "task", "seed", "score"], intermediate)
    if problems:
        text += ("\n" if text else "") + ("## Runs left out (never averaged in)\n\n"
                 + markdown_table(["run", "status", "problem"], problems))
    return text


def languages_markdown(lang_rows) -> str:
    text = "# Per-language results\n\nMean ± std over seeds; in brackets the difference to the baseline.\n"
    for base, rows in by_base(lang_rows):
        for task in unique(row["target"] for row in rows):
            columns, lines = pivot([r for r in rows if r["target"] == task], "language")
            text += f"\n## `{base}`: {task}\n\n" + markdown_table(["intermediate"] + columns, lines)
    return text


def groups_markdown(group_rows) -> str:
    text = ("# Per language family, genus and script\n\nOver the group's languages: mean, mean difference to "
            "the baseline (Δ), worst language, best-worst gap, standard deviation.\n")
    header = ["group", "languages", "intermediate", "mean", "Δ", "worst", "gap", "std"]
    sections = unique((r["base_model"], r["target"], r["grouping"]) for r in group_rows)
    for base, task, grouping in sections:
        rows = [r for r in group_rows if (r["base_model"], r["target"], r["grouping"]) == (base, task, grouping)]
        lines = [[r["group"], r["languages"], r["intermediate"], fmt(r["mean"]), fmt(r["delta"], signed=True),
                  f"{r['worst_language']} {r['worst']:.1f}", fmt(r["gap"]), fmt(r["std"])] for r in rows]
        text += f"\n## `{base}`: {task} by {grouping}\n\n" + markdown_table(header, lines)
    return text


# ---------------------------------------------------------------- plots
def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_png(fig, path: Path):
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    os.replace(tmp, path)
    pyplot().close(fig)


def heatmap(rows, base, path: Path) -> bool:
    """Intermediate task x target task, coloured by the difference to the baseline."""
    rows = [r for r in rows if r["intermediate"] != BASELINE and r["delta"] is not None]
    if not rows:
        return False
    plt = pyplot()
    inters, targets = unique(r["intermediate"] for r in rows), unique(r["target"] for r in rows)
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
    save_png(fig, path)
    return True


def language_bars(rows, title, path: Path):
    """One bar per language and configuration (baseline and each intermediate task)."""
    plt = pyplot()
    configs, langs = unique(r["intermediate"] for r in rows), unique(r["language"] for r in rows)
    width = 0.8 / len(configs)
    fig, ax = plt.subplots(figsize=(2 + 0.35 * len(langs) * max(1, len(configs) / 2), 3.5))
    for i, config in enumerate(configs):
        scores = {r["language"]: r["mean"] for r in rows if r["intermediate"] == config}
        xs = [j + i * width for j, lang in enumerate(langs) if lang in scores]
        ax.bar(xs, [scores[lang] for lang in langs if lang in scores], width, label=config)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(langs))], langs)
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    save_png(fig, path)


def write_plots(out: Path, tables) -> list:
    written = []
    for base, rows in by_base(tables["paper_table"]):
        path = out / f"heatmap_{slug(base)}.png"
        if heatmap(rows, base, path):
            written.append(path)
    for base, rows in by_base(tables["per_language"]):
        for task in unique(row["target"] for row in rows):
            path = out / f"languages_{slug(base)}_{task}.png"
            language_bars([r for r in rows if r["target"] == task], f"{base}: {task}", path)
            written.append(path)
    return written


def write_report(out: Path, tables, split: str, sections=()) -> list:
    """Write every CSV, the Markdown files and the plots into out; returns the paths written. sections: more
    Markdown sections (report.py's analyses), after the score tables."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in tables.items():
        if rows:
            write_text_atomic(out / f"{name}.csv", csv_text(rows))
            written.append(out / f"{name}.csv")
    plots = write_plots(out, tables)
    parts = ["# xstilts report\n", f"Split: `{split}`. Files: " + ", ".join(f"[{p.name}]({p.name})"
             for p in written + plots) + ", [languages.md](languages.md), [groups.md](groups.md).\n",
             paper_markdown(tables["paper_table"]), benchmark_markdown(tables["xtreme_score"], "xtreme"),
             benchmark_markdown(tables["xtreme_r_score"], "xtreme_r"),
             base_models_markdown(tables["base_models"]), *sections, runs_markdown(tables["runs"])]
    parts += [f"![{p.stem}]({p.name})\n" for p in plots if p.name.startswith("heatmap")]
    for name, text in (("report.md", "\n".join(part for part in parts if part)), ("languages.md", languages_markdown(tables["per_language"])),
                       ("groups.md", groups_markdown(tables["per_group"]))):
        write_text_atomic(out / name, text)
        written.append(out / name)
    return written + plots
