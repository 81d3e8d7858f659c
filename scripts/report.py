#!/usr/bin/env python
"""Read every run under RUNS_DIR; write the paper's table, the XTREME and XTREME-R scores, per-language and
per-family results, significance, domain shift, typology, fairness, cost and data notes (Markdown and CSV) and PNG
plots.

    python scripts/report.py runs [--output_dir runs/report] [--split test] [--sections paper,significance]
                                  [--resamples 1000] [--seed 0]

A run is a folder holding DONE, metrics.json or run_config.json (DESIGN.md "Outputs"). Its base model,
intermediate task (or variant), target task and seed come from its run_config.json (reporting/runs.py). Runs
without DONE are listed as unfinished and unreadable ones as corrupted; neither is averaged in. Scores are the
split's average over languages of the task's metric; QA uses (EM + F1) / 2 ("avg" when the run wrote it).

The XTREME and XTREME-R scores take their tasks and categories from the registry (TaskSpec.benchmarks and
.category) and average each task over that benchmark's languages only (XTREME's: TaskSpec.languages; XTREME-R's:
tasks.resolve_languages(spec, "xtreme_r")). A run evaluated on fewer of them is marked ("partial: 2 of 15
languages"), and the tasks a category lacks are named; as in XTREME's evaluate.py, a category is the mean of its
tasks and the overall score the mean over the tasks (here: those present).

The sections are reporting/sections/ (SECTIONS, in report order); --sections builds only those named.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: reporting/, tasks/, utils/
from reporting import render  # noqa: E402
from reporting.runs import collect  # noqa: E402
from reporting.section import Context  # noqa: E402
from reporting.sections import SECTIONS  # noqa: E402
from reporting.stats import RESAMPLES  # noqa: E402

STATUSES = ("finished", "unfinished", "corrupted", "duplicate")


def section_names(text: str | None) -> list:
    """--sections: a comma list of SECTIONS' names (in report order whatever the order given); default: all."""
    if not text:
        return list(SECTIONS)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown section {', '.join(unknown) or '(none given)'}; expected a comma "
                                         f"list of: {', '.join(SECTIONS)}")
    return [name for name in SECTIONS if name in names]


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: expected a positive number")
    return value


def significance_summary(rows) -> list:
    """One line per difference to the baseline, or to zero-shot for a transfer setting "<intermediate> [<setting>]"
    (language average): its interval and whether it is significant."""
    lines = []
    for r in rows:
        if r["language"] == "avg" and r["difference"] is not None:
            verdict = "significant" if r["significant"] else "not significant (the interval includes 0)"
            reference = "zero-shot" if r["intermediate"].endswith("]") else "baseline"
            lines.append(f"  {r['target']}: {r['intermediate']} vs {reference} ({r['base_model']}): "
                         f"{r['difference']:+.1f} points, 95% interval [{r['low']:+.1f}, {r['high']:+.1f}]: {verdict}")
    return (["Differences to the baseline or zero-shot (paired bootstrap, report.md \"Significance\"):"] + lines) \
        if lines else []


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs_dir", help="folder holding the runs (searched recursively)")
    parser.add_argument("--output_dir", help="where the report goes (default: RUNS_DIR/report)")
    parser.add_argument("--split", default="test", help="split whose scores are reported (default: test)")
    parser.add_argument("--sections", type=section_names, default=list(SECTIONS),
                        help=f"comma list of the sections to build (default: all: {','.join(SECTIONS)})")
    parser.add_argument("--resamples", type=positive, default=RESAMPLES,
                        help=f"paired-bootstrap resamples of the significance intervals (default: {RESAMPLES})")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap (default: 0)")
    return parser.parse_args(argv)


def main(argv=None):
    """Write the report; returns its tables {name: rows}."""
    args = parse_args(argv)
    root = Path(args.runs_dir)
    if not root.is_dir():
        sys.exit(f"report.py: RUNS_DIR {root} is not a folder")
    out = Path(args.output_dir) if args.output_dir else root / "report"
    runs = collect(root, out, args.split)
    context = Context(root, runs, args.split, args.resamples, args.seed)
    sections = [SECTIONS[name].build(context) for name in args.sections]
    written = render.write_report(out, args.split, sections)
    counts = {status: sum(run.status == status for run in runs) for status in STATUSES}
    print(", ".join(f"{n} {status}" for status, n in counts.items()) + f" runs; wrote {len(written)} files "
          f"to {out} (start with {out / 'report.md'})")
    tables = {name: rows for section in sections for name, rows in section.tables.items()}
    for line in significance_summary(tables.get("significance", [])):
        print(line)
    return tables


if __name__ == "__main__":
    main()
