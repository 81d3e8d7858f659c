"""The data section: the sets runs read that differ from the official data, as each run recorded them
(run_config.json "data", utils/data.record_load): hub copies whose size or content is not the official data's
(PAWS-X rows dropped by the loading script, udpos treebanks gathered by folder name) and QA answers re-aligned or
dropped, with the route to the official files. A number computed on such a set is not XTREME's."""
from reporting.render import markdown_table
from reporting.section import Section


def data_rows(runs) -> list:
    """One row per (run, set) whose record says it differs from the official data."""
    rows = []
    for run in runs:
        for record in run.data:
            rows.append({"run": run.path, "task": record.get("task"),
                         "set": f"{record.get('split')}-{record.get('lang')}", "source": record.get("source"),
                         "rows": record.get("rows"), "official_rows": record.get("official_rows"),
                         "differs": "; ".join(record.get("differs", [])),
                         "official_route": record.get("official_route") or ""})
    return rows


def data_section(runs) -> tuple[str, list]:
    """(Markdown, rows) of the data notes; ("", []) when every set a run read is the official data."""
    rows = data_rows(runs)
    if not rows:
        return "", []
    table = markdown_table(["Run", "Task", "Set", "Rows", "Official", "How it differs", "Official files"],
                           [[r["run"], r["task"], r["set"], r["rows"], "?" if r["official_rows"] is None
                             else r["official_rows"], r["differs"], r["official_route"]] for r in rows])
    return ("## Data that differs from the official sets\n\nThese runs read sets whose rows are not the official "
            "data's (run_config.json `data`); their scores are not comparable to XTREME's. The last column is "
            "the route to the official files.\n\n" + table + "\n"), rows


def build(context) -> Section:
    markdown, rows = data_section(context.runs)
    return Section(markdown, {"data_notes": rows})
