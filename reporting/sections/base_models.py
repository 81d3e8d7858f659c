"""The base models compared: per (intermediate, target), each base model's mean and difference to its baseline
(the paper's table side by side); nothing for one base model."""
from reporting import render
from reporting.runs import config_rank, task_rank
from reporting.section import Section
from reporting.sections import paper


def rows(paper_rows: list) -> list:
    """(intermediate, target) -> mean and difference to the baseline per base model; [] for one base model."""
    bases = sorted({row["base_model"] for row in paper_rows})
    if len(bases) < 2:
        return []
    out = {}
    for row in paper_rows:
        line = out.setdefault((row["intermediate"], row["target"]),
                              {"intermediate": row["intermediate"], "target": row["target"]})
        line[f"{row['base_model']} mean"], line[f"{row['base_model']} delta"] = row["mean"], row["delta"]
    order = sorted(out, key=lambda k: (task_rank(k[1]), config_rank(k[0])))
    columns = [f"{base} {what}" for base in bases for what in ("mean", "delta")]
    return [{**out[key], **{c: out[key].get(c) for c in columns}} for key in order]


def markdown(base_rows) -> str:
    if not base_rows:
        return ""
    keys = [k for k in base_rows[0] if k not in ("intermediate", "target")]
    lines = [[r["intermediate"], r["target"]] + [render.fmt(r[k], signed=k.endswith("delta")) for k in keys]
             for r in base_rows]
    return "## Base models compared\n\n" + render.markdown_table(["intermediate", "target"] + keys, lines)


def build(context) -> Section:
    base_rows = rows(context.shared(paper.rows))
    return Section(markdown(base_rows), {"base_models": base_rows})
