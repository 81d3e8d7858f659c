"""Every run read: its status (finished, unfinished, corrupted, duplicate), role and score; the report lists the
intermediate runs and the runs left out (never averaged in)."""
from reporting import render
from reporting.section import Section


def rows(runs: list) -> list:
    return [{"path": run.path, "status": run.status, "base_model": run.base_model,
             "intermediate": run.intermediate if run.is_target else "", "task": run.task, "seed": run.seed,
             "role": "target" if run.is_target else "intermediate",
             "average": run.average if run.status == "finished" else None, "problem": run.problem}
            for run in runs]


def markdown(run_rows) -> str:
    problems = [[r["path"], r["status"], r["problem"]] for r in run_rows if r["status"] != "finished"]
    intermediate = [[r["base_model"], r["task"], render.fmt(r["seed"]), render.fmt(r["average"])] for r in run_rows
                    if r["status"] == "finished" and r["role"] == "intermediate"]
    text = ""
    if intermediate:
        text += "## Intermediate runs\n\n" + render.markdown_table(["base model", "task", "seed", "score"],
                                                                   intermediate)
    if problems:
        text += ("\n" if text else "") + ("## Runs left out (never averaged in)\n\n"
                                          + render.markdown_table(["run", "status", "problem"], problems))
    return text


def build(context) -> Section:
    run_rows = rows(context.runs)
    return Section(markdown(run_rows), {"runs": run_rows})
