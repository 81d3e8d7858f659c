"""Domain shift (issue 11, question 1): is the drop from in-domain to out-of-domain test sets smaller after
(multilingual) intermediate training? Reads the target runs evaluated on more test sets (run_target.py
--extra_eval NAME=DIR, Run.extra of scripts/report_runs.py).

    from report_domain import domain_shift_table
    markdown, rows = domain_shift_table(runs)        # runs: report_runs.collect(root, exclude, split)

One row per target task, base model, variant (Run.intermediate), out-of-domain set and language: the in-domain
score (the report's split, Run.scores), the out-of-domain score, and the drop (in-domain minus out-of-domain), each
the mean over seeds with the sample standard deviation when there are several, and the variant's drop minus the
baseline variant's (negative: the variant loses less under the shift). The markdown is "" when no run has an extra
set.
"""
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_render import fmt, markdown_table  # noqa: E402
from report_runs import BASELINE, mean  # noqa: E402

HEADER = ["base model", "variant", "set", "language", "seeds", "in-domain", "out-of-domain", "drop",
          "drop vs baseline"]


def std(values):
    return statistics.stdev(values) if len(values) > 1 else None


def paired_scores(runs) -> dict:
    """(task, base model, variant, set, language) -> [(in-domain, out-of-domain)], one pair per finished run."""
    pairs = defaultdict(list)
    for run in runs:
        if run.status != "finished" or not run.is_target:
            continue
        for name, scores in run.extra.items():
            for lang, out_of_domain in scores.items():
                if lang in run.scores:
                    pairs[(run.task, run.base_model, run.intermediate, name, lang)].append(
                        (run.scores[lang], out_of_domain))
    return pairs


def order(key):
    task, base, variant, name, lang = key
    return task, base, variant != BASELINE, variant, name, lang


def domain_shift_rows(runs) -> list:
    pairs = paired_scores(runs)
    rows = []
    for key in sorted(pairs, key=order):
        in_domain, out_of_domain = zip(*pairs[key])
        drops = [a - b for a, b in pairs[key]]
        rows.append(dict(zip(("task", "base_model", "variant", "extra_set", "language"), key),
                         n_seeds=len(drops), in_domain=mean(in_domain), in_domain_std=std(in_domain),
                         out_of_domain=mean(out_of_domain), out_of_domain_std=std(out_of_domain),
                         drop=mean(drops), drop_std=std(drops), drop_vs_baseline=None))
    baseline = {(r["task"], r["base_model"], r["extra_set"], r["language"]): r["drop"] for r in rows
                if r["variant"] == BASELINE}
    for row in rows:
        reference = baseline.get((row["task"], row["base_model"], row["extra_set"], row["language"]))
        if row["variant"] != BASELINE and reference is not None:
            row["drop_vs_baseline"] = row["drop"] - reference
    return rows


def cell(value, spread=None):
    return fmt(value) + (f" ± {spread:.1f}" if spread is not None else "")


def domain_shift_table(runs) -> tuple:
    """(markdown, rows): question 1's table, one Markdown table per target task."""
    rows = domain_shift_rows(runs)
    if not rows:
        return "", []
    parts = ["## Domain shift: in-domain vs out-of-domain test sets\n",
             "Scores are each task's headline metric: in-domain on the report's split, out-of-domain on the "
             "`--extra_eval` sets; drop = in-domain - out-of-domain (mean ± std over seeds); drop vs baseline = the "
             "variant's drop - the baseline's (negative: more robust to the domain shift).\n"]
    for task in dict.fromkeys(row["task"] for row in rows):
        lines = [[r["base_model"], r["variant"], r["extra_set"], r["language"], r["n_seeds"],
                  cell(r["in_domain"], r["in_domain_std"]), cell(r["out_of_domain"], r["out_of_domain_std"]),
                  cell(r["drop"], r["drop_std"]), fmt(r["drop_vs_baseline"], signed=True)]
                 for r in rows if r["task"] == task]
        parts.append(f"### {task}\n\n" + markdown_table(HEADER, lines))
    return "\n".join(parts), rows
