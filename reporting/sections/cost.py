"""The report's cost section: what each variant's gain cost, from the runs' cost records (utils/cost.py).

    markdown, rows = cost_section(runs, root)    runs: reporting.runs.collect(...)'s Run list

Per base model and variant (Run.intermediate): the device-hours (wall time x GPUs: GPU-hours; a CPU run counts its
machine once and is named) of its intermediate run (and language adapters: every intermediate run of the variant on
that base model, whatever the targets' training method) and of its target runs, each the mean over its seeds; the mean
gain over the baseline per target (the difference of the seeds' mean Run.average, in points); and the hours per
point: (intermediate + target hours - the baseline's hours on the same targets) / the mean gain over those targets,
n/a when that gain is not positive. Then the grid's total over every finished run (all seeds).
"""
from collections import defaultdict

from reporting.runs import BASELINE, unmarked_base
from reporting.section import Section
from reporting.stats import mean

COLUMNS = ("base_model", "variant", "device", "seeds", "intermediate_hours", "target_hours", "baseline_target_hours",
           "extra_hours", "targets", "gains", "mean_gain", "hours_per_point", "note")


def variant_of(run) -> str:
    """The name the run was run under (its intermediate before reporting.runs.method_baselines)."""
    return run.variant or run.intermediate


def hours(run):
    return run.cost.get("device_hours") if run.cost else None


def per_seed(runs):
    """The runs' device-hours divided by their number of seeds (None if a run has no cost record or no runs)."""
    values = [hours(run) for run in runs]
    if not runs or None in values:
        return None
    return sum(values) / len({run.seed for run in runs})


def device_names(runs) -> str:
    names = sorted({f"{run.cost.get('device')} ({run.cost.get('device_type')})" for run in runs if run.cost})
    return ", ".join(names) or "unknown"


def unit(runs) -> str:
    types = {run.cost.get("device_type") for run in runs if run.cost}
    return "GPU-hours" if types == {"cuda"} else "device-hours"


def variant_row(base, variant, group, baseline) -> dict:
    """One row: group = the variant's finished runs, baseline = the baseline's (same base model)."""
    intermediate = [run for run in group if not run.is_target]
    targets = defaultdict(list)
    for run in group:
        if run.is_target:
            targets[run.task].append(run)
    base_targets = defaultdict(list)
    for run in baseline:
        if run.is_target:
            base_targets[run.task].append(run)
    compared = sorted(task for task in targets if task in base_targets and variant != BASELINE)
    gains = {task: mean(r.average for r in targets[task]) - mean(r.average for r in base_targets[task])
             for task in compared}
    inter_hours = per_seed(intermediate) if intermediate else 0.0
    target_hours = [per_seed(targets[task]) for task in sorted(targets)]
    own = [per_seed(targets[task]) for task in compared]
    theirs = [per_seed(base_targets[task]) for task in compared]
    row = {"base_model": base, "variant": variant, "device": device_names(group),
           "seeds": len({run.seed for run in group}),
           "intermediate_hours": inter_hours if intermediate else None,
           "target_hours": None if None in target_hours else sum(target_hours),
           "baseline_target_hours": None, "extra_hours": None, "targets": ",".join(compared),
           "gains": ";".join(f"{task}:{gain:+.2f}" for task, gain in gains.items()),
           "mean_gain": mean(gains.values()), "hours_per_point": None, "note": ""}
    if variant == BASELINE:
        return row
    if not compared:
        row["note"] = "no baseline runs of its targets" if targets else "no target runs"
        return row
    if None in (inter_hours, *own, *theirs):
        row["note"] = "n/a: a run has no cost record"
        return row
    row["baseline_target_hours"] = sum(theirs)
    row["extra_hours"] = inter_hours + sum(own) - sum(theirs)
    if row["mean_gain"] <= 0:
        row["note"] = "n/a: no gain over the baseline"
    else:
        row["hours_per_point"] = row["extra_hours"] / row["mean_gain"]
    if not intermediate:
        row["note"] = "; ".join(filter(None, ["no intermediate run found (not counted)", row["note"]]))
    return row


def cost_section(runs, root) -> tuple[str, list]:
    """(Markdown section, rows: one per base model and variant, then the grid total)."""
    finished = [run for run in runs if run.status == "finished"]
    groups = defaultdict(list)
    for run in finished:
        if run.is_target:
            groups[run.base_model, run.intermediate].append(run)
    targets = {key: (unmarked_base(group[0]), {variant_of(run) for run in group}) for key, group in groups.items()}
    for run in finished:  # an intermediate run (a language adapter too) counts for its variant's targets, trained
        if not run.is_target:  # fully or with LoRA
            homes = [key for key, (base, variants) in targets.items()
                     if base == unmarked_base(run) and variant_of(run) in variants]
            for key in homes or [(run.base_model, run.intermediate)]:
                groups[key].append(run)
    rows = [variant_row(base, variant, group, groups.get((base, BASELINE), []))
            for (base, variant), group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] != BASELINE,
                                                                                    item[0][1]))]
    costed = [run for run in finished if run.cost]
    total = sum(hours(run) or 0.0 for run in costed)
    missing = len(finished) - len(costed)
    rows.append({**dict.fromkeys(COLUMNS), "base_model": "all", "variant": "total", "device": device_names(costed),
                 "seeds": len({run.seed for run in finished}), "target_hours": total,
                 "note": f"{len(costed)} runs; {missing} without a cost record (not counted)" if missing else
                 f"{len(costed)} runs"})
    return render(rows, unit(costed), device_names(costed), root), rows


def number(value, signed=False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.2f}" if signed else f"{value:.3g}"


def render(rows, unit_name, devices, root) -> str:
    lines = [f"## Cost ({unit_name})", "",
             f"Runs under `{root}`, measured on {devices}. Hours are wall time x GPUs (a CPU run: x 1, "
             "device-hours), each the mean over the variant's seeds. Hours per point = (intermediate + target hours "
             "- the baseline's hours on the same targets) / the mean gain over those targets; n/a when the gain is "
             "not positive.", "",
             f"| base model | variant | intermediate | targets | baseline targets | extra | gain per target | "
             f"mean gain | {unit_name} per point | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows[:-1]:
        gains = ", ".join(f"{task} {gain}" for task, gain in
                          (item.split(":") for item in row["gains"].split(";") if item)) or "-"
        lines.append(f"| {row['base_model']} | {row['variant']} | {number(row['intermediate_hours'])} | "
                     f"{number(row['target_hours'])} | {number(row['baseline_target_hours'])} | "
                     f"{number(row['extra_hours'])} | {gains} | {number(row['mean_gain'], signed=True)} | "
                     f"{number(row['hours_per_point'])} | {row['note']} |")
    total = rows[-1]
    lines += ["", f"Grid total: {number(total['target_hours'])} {unit_name} over every finished run, all seeds "
                  f"({total['note']})."]
    return "\n".join(lines) + "\n"


def build(context) -> Section:
    markdown, rows = cost_section(context.runs, context.root)
    return Section(markdown, {"cost": rows})
