"""The cost view: the device-hours of a pipeline's or sweep's stages before they run, per stage and in total.

    bash run_pipeline.sh ... --estimate bench.json      (or --estimate runs/: finished runs' cost records)
    bash scripts/sweep.sh ... --estimate bench.json

From Python: estimate(stages, throughput) over pipeline.stages.Stage objects. Throughput (samples per second on
one device) comes from one of:

  --throughput FILE   (--estimate FILE; repeatable from Python, one per base model) the JSON
      benchmarks/bench_training.py writes:
        {"device": "NVIDIA H200" (torch.cuda.get_device_name) or "cpu", "model": "xlm-roberta-large",
         "rows": [{"shape": "pairs", "samples_per_s": 410.0, "eval_samples_per_s": 1300.0, "setting": "xstilts"},
                  ...]}
      shapes: pairs (classification pairs at 128 tokens; a multiple-choice example is one pair per choice),
      qa (384-token windows), tagging (128-token sentences), dual_encoder (query + candidate pairs), retrieval
      (sentences encoded, no training: eval_samples_per_s or samples_per_s), mlm (MLM-alone stages, a language
      adapter's: benchmarks/bench_mlm.py --out writes these rows; an MLM stage has no evaluation). eval_samples_per_s is optional; a row
      whose "setting" is given and is not "xstilts" (e.g. HF's defaults, measured beside ours) is not used. "model"
      is compared with a stage's base model by its last path component, without a trailing note in parentheses
      ("xlm-roberta-large (random weights)" measures xlm-roberta-large). A row's "method" (full, the default, or
      lora: bench_training.py --methods) is the training a stage's --peft asks for; a LoRA stage is estimated from
      LoRA rows only.
  --from_runs DIR     (--estimate DIR) finished runs' cost records (run_config.json "cost", utils/cost.py): per
      base model, task kind and training method (full or lora: run_config.json "peft"), the mean training samples/s
      per GPU; retrieval: sentences encoded per second of wall time.

Per stage: training samples = training examples x epochs (the recipe's, unless the stage passes --num_train_epochs;
--max_steps N: N x the effective batch), the examples being, per training language, the lines of the local
train-<lang>.jsonl (--data_dir) or the registry's TaskSpec.train_size (hub), each at most --max_train_samples.
Evaluation samples = the dev selection (every --eval_steps steps and at the end, its first --selection_examples
examples) + every evaluated split of every language, counted in local files (from the hub: the official sizes the
registry cites, TaskSpec.official_sizes; where none is cited the note says so and they are left out). Hours = training samples / samples_per_s + evaluation samples /
eval_samples_per_s (default 3 x samples_per_s: a forward pass costs a third of a training step, 2N vs 6N FLOPs per
token). Assumed: every epoch runs (no early stop), a QA example is one window (long contexts have more), GPUs scale
linearly (GPU-hours do not depend on how many share a stage).
"""
import argparse
import math
import os
import re
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from engine.plan import plan_run
from pipeline import layout
from tasks import INTERMEDIATE_TASKS, TASKS, get_task, mlm, resolve_languages
from tasks.kinds import KINDS, kind_of
from tasks.spec import Recipe
from utils.args import (DataArguments, DomainArguments, FewShotArguments, InputError, RunOptions, given_flags,
                        recipe_arguments, split_list)
from utils.data import iter_jsonl, local_path
from utils.results import TRANSLATE_TEST

EVAL_SPEEDUP = 3.0  # evaluation samples/s per training samples/s when not measured
DEFAULT_CHOICES = 4  # a multiple-choice task whose number of choices the registry does not say (HellaSwag's 4)
DEFAULT_MODEL = "xlm-roberta-large"  # ModelArguments' default


def shape_of(spec) -> str:
    """The benchmark shape whose throughput a task's examples run at (its kind's COST_SHAPE)."""
    return kind_of(spec).COST_SHAPE


def known_shapes() -> set:
    return {kind.COST_SHAPE for kind in KINDS.values()}


def name_of(model) -> str:
    """A model's name for matching: its last path component, a trailing note dropped ("m (random weights)": m)."""
    return Path(re.sub(r"\s*\(.*\)$", "", str(model)).rstrip("/")).name


@lru_cache(maxsize=None)
def count_lines(path) -> int | None:
    """Non-blank lines of a local file; None if it does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def capped(n, limit):
    return n if n is None or not limit else min(n, int(limit))


# ---- throughput --------------------------------------------------------------------------------------------------
class Throughput:
    """Samples/s on one device per (base model, key, method): key a shape (measurement files) or a task kind
    (runs); method full or lora (--peft)."""

    def __init__(self, train: dict, evaluation: dict, devices: set, gpu: bool, by_kind: bool):
        self.train, self.evaluation, self.devices, self.gpu, self.by_kind = train, evaluation, devices, gpu, by_kind

    @property
    def unit(self) -> str:
        return f"{'GPU' if self.gpu else 'device'}-hours ({', '.join(sorted(self.devices))})"

    def rates(self, model, spec, per_example=1, method="full"):
        """(training, evaluation) examples/s for a task of this kind trained so (method: full or lora), or None
        where not measured. per_example: the shape's samples in one example (a multiple-choice example: its
        choices)."""
        key = (name_of(model), spec.kind if self.by_kind else shape_of(spec), method)
        train, evaluation = self.train.get(key), self.evaluation.get(key)
        if self.by_kind:
            per_example = 1  # runs measure whole examples of their kind
        train = train / per_example if train else None
        evaluation = evaluation / per_example if evaluation else (train * EVAL_SPEEDUP if train else None)
        return train, evaluation


def from_files(paths) -> Throughput:
    import json
    train, evaluation, devices = {}, {}, set()
    for path in paths:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
            model, rows = name_of(doc["model"]), doc["rows"]
            devices.add(str(doc.get("device", "unknown")))
            for number, row in enumerate(rows):
                if row.get("setting", "xstilts") != "xstilts":
                    continue
                if row.get("shape") not in known_shapes():
                    raise ValueError(f"rows[{number}]: shape {row.get('shape')!r}, expected one of "
                                     f"{', '.join(sorted(known_shapes()))}")
                key = (model, row["shape"], row.get("method") or "full")
                if row.get("samples_per_s"):
                    train[key] = float(row["samples_per_s"])
                if row.get("eval_samples_per_s"):
                    evaluation[key] = float(row["eval_samples_per_s"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            problem = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            raise InputError(f"--throughput {path}: {problem}; expected {{\"device\", \"model\", \"rows\": "
                             "[{\"shape\", \"samples_per_s\"}]} (see pipeline/cost.py)") from None
    for (model, shape, method), rate in list(train.items()):  # retrieval encodes: its one rate is an evaluation rate
        if shape == "retrieval":
            evaluation.setdefault((model, shape, method), rate)
    gpu = all(not device.lower().startswith(("cpu", "unknown")) for device in devices)
    return Throughput(train, evaluation, devices, gpu, by_kind=False)


def from_runs(root) -> Throughput:
    from reporting.runs import collect
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"--from_runs {root}: not a folder of runs")
    train, evaluation, devices, types = defaultdict(list), defaultdict(list), set(), set()
    for run in collect(root, root / "report", "test"):
        cost = run.cost
        if run.status != "finished" or not cost or run.task not in TASKS:  # multi-task, custom runs: mixed kinds
            continue
        spec = TASKS[run.task]
        devices.add(str(cost.get("device")))
        types.add(cost.get("device_type"))
        gpus = max(int(cost.get("gpus") or 0), 1)
        if shape_of(spec) == "retrieval" and cost.get("eval_sequences") and cost.get("wall_s"):
            evaluation[run.base_model, spec.kind, run.training].append(cost["eval_sequences"] / cost["wall_s"] / gpus)
        elif (cost.get("train") or {}).get("samples_per_second"):
            train[run.base_model, spec.kind, run.training].append(cost["train"]["samples_per_second"] / gpus)
    if not train and not evaluation:
        raise InputError(f"--from_runs {root}: no finished run with a cost record (run_config.json \"cost\")")
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    return Throughput({(name_of(m), k, t): mean(v) for (m, k, t), v in train.items()},
                      {(name_of(m), k, t): mean(v) for (m, k, t), v in evaluation.items()}, devices, types == {"cuda"},
                      by_kind=True)


# ---- what a stage reads ------------------------------------------------------------------------------------------
def choices_of(spec, data_dir) -> tuple[int, str]:
    """(choices per example, note) of a multiple-choice task: the local training file's first row, else the
    registry's labels or choice columns, else DEFAULT_CHOICES."""
    path = local_path(data_dir, spec.data_task or spec.name, "train", "en") if data_dir else None
    if path and path.is_file():
        for _, row in iter_jsonl(path):
            return len(row.get("choices") or ()) or DEFAULT_CHOICES, ""
    columns = spec.hub_columns.get("choices")
    if spec.labels or isinstance(columns, list):
        return len(spec.labels or columns), ""
    return DEFAULT_CHOICES, f"{spec.name}: {DEFAULT_CHOICES} choices assumed"


def training_examples(spec, given) -> tuple[int | None, str]:
    """(training examples of the stage's training task, note): local lines or the registry's size, per language."""
    languages = split_list(given.get("train_languages"), ["en"])
    if languages == ["auto"]:
        return None, "--train_languages auto: the sources (one training each) are chosen when the stage runs"
    limit, data_dir = given.get("max_train_samples"), given.get("data_dir")
    if data_dir:
        counts = [capped(count_lines(local_path(data_dir, spec.data_task or spec.name, "train", lang)), limit)
                  for lang in languages]
        missing = [lang for lang, n in zip(languages, counts) if n is None]
        if missing:
            return None, f"{spec.name}: no local train-{missing[0]}.jsonl"
        return sum(counts), ""
    if spec.train_size is None:
        return None, f"{spec.name}: training-set size unknown (no TaskSpec.train_size; pass --data_dir)"
    return capped(spec.train_size, limit) * len(languages), ""


def eval_examples(spec, split, lang, given) -> int | None:
    """Examples one evaluation of a split and language reads: the local file's lines, or from the hub the official
    size the registry cites (TaskSpec.official_sizes; None where unknown)."""
    data_dir, limit = given.get("data_dir"), given.get("max_eval_samples")
    if not data_dir:
        return capped(spec.official_size(split, lang), limit)
    return capped(count_lines(local_path(data_dir, spec.data_task or spec.name, split, lang)), limit)


def stage_tasks(given) -> tuple[list, bool]:
    """([(spec, its training spec)], several) of a training stage's --task or --tasks."""
    names = given.get("tasks") or given.get("task")
    several = bool(given.get("tasks"))
    names = list(INTERMEDIATE_TASKS) if names == "all" else [n.strip() for n in str(names).split(",") if n.strip()]
    specs = [get_task(name) for name in names]
    return [(spec, get_task(spec.train_task) if spec.is_target else spec) for spec in specs], several


# ---- the estimate ------------------------------------------------------------------------------------------------
def training_stage(script, argv, model, throughput) -> dict:
    given = given_flags(argv)
    if mlm.alone(given) and given.get("mlm_corpus"):  # MLM alone: a language adapter's stage
        return mlm_stage(argv, given, model, throughput)
    if given.get("mlm_corpus") or "custom" in str(given.get("tasks") or given.get("task")):
        return {"note": "not estimated: custom task, or MLM beside other tasks"}
    tasks, several = stage_tasks(given)
    recipe = Recipe() if several else tasks[0][0].recipe
    epochs = float(given.get("num_train_epochs") or recipe.epochs)
    full_argv, record = recipe_arguments(recipe, argv, world_size=1)
    batch = record["effective_batch_size"]
    max_steps = int(given.get("max_steps") or -1)
    notes, parts = [], []  # parts: (task spec, training spec, examples, training rate, evaluation rate)
    for spec, train_spec in tasks:
        examples, note = training_examples(train_spec, given)
        per_example, choices_note = choices_of(train_spec, given.get("data_dir")) \
            if train_spec.kind == "multiple_choice" else (1, "")
        method = given.get("peft") or "full"
        rates = throughput.rates(model, train_spec, per_example, method)
        if examples is None:
            return {"note": f"not estimated: {note}"}
        if rates[0] is None:
            return {"note": f"not estimated: no throughput for {name_of(model)}, {train_spec.kind} "
                            f"(shape {shape_of(train_spec)}{', ' + method if method != 'full' else ''})"}
        notes += [text for text in (note, choices_note) if text]
        parts.append((spec, train_spec, examples, *rates))
    total_examples = sum(part[2] for part in parts)
    samples = max_steps * batch if max_steps > 0 else total_examples * epochs
    steps = max_steps if max_steps > 0 else math.ceil(samples / batch)
    scale = samples / total_examples
    hours = sum(examples * scale / train_rate for _, _, examples, train_rate, _ in parts) / 3600
    eval_samples, eval_hours, unknown = 0, 0.0, []
    evaluations = selections(given, recipe, steps, epochs)
    for spec, train_spec, _, train_rate, eval_rate in parts:
        target = script == "run_target"
        options = RunOptions(domain=stage_arguments(full_argv, DomainArguments),
                             few_shot=stage_arguments(full_argv, FewShotArguments)) if target else None
        plan = plan_run(spec, stage_arguments(full_argv, DataArguments), options, do_train=True, zero_shot=target,
                        selection=["en"] if several else None)
        for split, lang, count, times in evaluated_sets(plan, given, evaluations):
            if count is None:
                unknown.append(f"{split}-{lang}")
                continue
            eval_samples += count * times
            eval_hours += count * times / eval_rate / 3600
        if plan.few_shot:  # the few-shot runs: every shot set of every K and language
            shots, note = few_shot_samples(plan, spec, given)
            samples, hours = samples + shots, hours + shots / train_rate / 3600
            notes.append(note)
    if unknown:
        notes.append(f"evaluation sizes unknown (hub or no local file), left out: {len(unknown)} sets")
    return {"train_samples": samples, "eval_samples": eval_samples, "hours": hours + eval_hours,
            "note": "; ".join(notes)}


def mlm_stage(argv, given, model, throughput) -> dict:
    """MLM alone (run_intermediate.py --task mlm): --max_steps x the effective batch, else the corpus's non-blank
    lines (local files; each at most --max_train_samples in all) x epochs, at the mlm shape's rate; no evaluation."""
    method = given.get("peft") or "full"
    rate = throughput.rates(model, mlm.SPEC, 1, method)[0]
    if rate is None:
        lora = f", {method}" if method != "full" else ""
        return {"note": f"not estimated: no throughput for {name_of(model)}, mlm{lora} (benchmarks/bench_mlm.py --out)"}
    recipe = mlm.SPEC.recipe
    batch = recipe_arguments(recipe, argv, world_size=1)[1]["effective_batch_size"]
    if int(given.get("max_steps") or -1) > 0:
        samples = int(given["max_steps"]) * batch
    else:
        files = mlm.corpus_files(given["mlm_corpus"])
        if files is None:
            return {"note": f"not estimated: hub MLM corpus {given['mlm_corpus']} (its size is known once loaded)"}
        lines = capped(sum(count_lines(path) or 0 for path in files), given.get("max_train_samples"))
        samples = lines * float(given.get("num_train_epochs") or recipe.epochs)
    return {"train_samples": samples, "eval_samples": 0, "hours": samples / rate / 3600, "note": ""}


def few_shot_samples(plan, spec, given) -> tuple[int, str]:
    """(training samples of the few-shot runs, note): shots per set x epochs x sets x K x languages, the shots per
    set from the kind's unit (per_tag: K sentences per tag type, an upper bound); the epochs are the most the
    recipe trains (early stopping on the dev set ends many sooner). Their evaluations are the plan's reads."""
    few, unit = plan.few_shot, kind_of(spec).SHOTS
    classes = len(spec.labels or ()) if kind_of(spec).LABEL_FIELD else choices_of(spec, given.get("data_dir"))[0]
    per_k = {"per_class": classes, "per_tag": len(tag_types_of(spec)), "examples": 1}[unit]
    shots = sum(k * per_k for k in few.ks) * few.sets * len(few.languages)
    return round(shots * few.arguments.few_shot_epochs), (
        f"few-shot: {few.sets} sets x K {','.join(map(str, few.ks))} x {len(few.languages)} languages, "
        f"{few.arguments.few_shot_epochs:g} epochs at most")


def tag_types_of(spec) -> set:
    """The tag types a per_tag shot set covers (entity types of IOB labels, else the labels but O)."""
    labels = spec.labels or ()
    return {label[2:] for label in labels if label.startswith("B-")} or set(labels) - {"O"}


def selections(given, recipe, steps, epochs) -> int:
    """How often the dev set selecting the checkpoint is evaluated: every eval_steps steps and at the end."""
    strategy = given.get("eval_strategy") or "steps"
    if strategy == "no":
        return 0
    if strategy == "epoch":
        return math.ceil(epochs)
    every = float(given.get("eval_steps") or recipe.eval_steps)
    return math.ceil(steps / (math.ceil(every * steps) if every < 1 else every))  # < 1: a share of the steps


def stage_arguments(argv, group):
    """One argument group of a stage (DataArguments, DomainArguments), parsed from its argv with the recipe's flags
    filled in (the rest: other groups)."""
    from transformers import HfArgumentParser
    if isinstance(argv, dict):
        return HfArgumentParser(group).parse_dict(argv, allow_extra_keys=True)[0]
    return HfArgumentParser(group, allow_abbrev=False).parse_args_into_dataclasses(
        argv, return_remaining_strings=True)[0]


def evaluated_sets(plan, given, evaluations):
    """(split, language, examples or None, times evaluated) of a stage's run plan (engine/plan.py): its dev
    selection, then its splits."""
    for lang in plan.selection_languages:
        dev = eval_examples(plan.train_task, "validation", lang, given)
        yield "validation", f"{lang} (selection)", capped(dev, plan.selection_limit) if dev is not None \
            else plan.selection_limit, evaluations
    for lang in plan.languages:
        for split in plan.eval_splits:
            yield split, lang, eval_examples(plan.eval_task, split, lang, given), 1
    spec = plan.task
    few = plan.few_shot
    runs = few and few.sets * len(few.ks)  # few-shot runs per language: each evaluates the test set, and its dev set
    for lang in few.languages if few else ():  # every epoch (the most the recipe trains)
        yield "few-shot test", lang, eval_examples(plan.eval_task, "test", lang, given), runs
        if few.selection.get(lang):
            dev = eval_examples(plan.eval_task, few.selection[lang], lang, given)
            yield "few-shot dev", lang, capped(dev, plan.selection_limit), runs * math.ceil(few.arguments.few_shot_epochs)
    translated = [(TRANSLATE_TEST, *plan.translate_test)] if plan.translate_test else []
    for name, directory, languages in [*plan.extra_sets, *translated]:  # --extra_eval, --translate_test
        for lang in languages:
            path = Path(directory) / (spec.data_task or spec.name) / f"test-{lang}.jsonl"
            yield name, lang, capped(count_lines(path), given.get("max_eval_samples")), 1
    if plan.zero_shot and spec.kind == "dual_encoder":  # the candidate pool, encoded once for every language
        pool = Path(given["data_dir"]) / spec.name / "candidates.jsonl" if given.get("data_dir") else None
        yield "candidates", "pool", pool and count_lines(pool), 1


def retrieval_stage(argv, model, throughput) -> dict:
    given = given_flags(argv)
    spec = get_task(given.get("task"))
    rate = throughput.rates(model, spec)[1]
    data_dir, limit = given.get("data_dir"), given.get("max_eval_samples")
    if rate is None:
        return {"note": f"not estimated: no encoding throughput for {name_of(model)} (shape retrieval)"}
    if not data_dir:
        return {"note": "not estimated: hub sentence counts unknown (pass --data_dir)"}
    sentences = 0
    for lang in resolve_languages(spec, given.get("languages")):
        counts = [None if n is None else per_line * n for path, per_line, is_capped in
                  kind_of(spec).sentence_files(spec, data_dir, lang)
                  for n in [capped(count_lines(path), limit) if is_capped else count_lines(path)]]
        if None in counts:
            return {"note": f"not estimated: a local file of {spec.name} {lang} is missing"}
        sentences += sum(counts)
    return {"train_samples": 0, "eval_samples": sentences, "hours": sentences / rate / 3600, "note": ""}


def base_models(stages) -> list:
    """Each stage's base model: an encoder an earlier stage writes (<dir>/encoder) is that stage's base model; an
    existing encoder folder says its own (engine.runner.provenance); anything else is a base model."""
    from engine.runner import provenance
    written, models = {}, []
    for stage in stages:
        given = given_flags(stage.argv)
        model = str(given.get("model_name_or_path") or DEFAULT_MODEL)
        base = written.get(str(Path(model)))
        if base is None:
            base = provenance(model)["base_model"] if Path(model).is_dir() else model
        models.append(base)
        if given.get("output_dir"):
            written[str(layout.encoder_dir(given["output_dir"]))] = base
    return models


def describe(stage, root=None) -> str:
    given = given_flags(stage.argv)
    out = given.get("output_dir")
    out = Path(out).relative_to(root) if root and out else out
    flag = "tasks" if given.get("tasks") else "task"
    return f"{stage.script} --{flag} {given.get(flag)} ({out})"


def estimate(stages, throughput: Throughput) -> tuple[list, float, str | None]:
    """(one row per stage {"stage", "model", "train_samples", "eval_samples", "hours", "note"}, total hours, the
    folder the stages' output folders are shown relative to)."""
    outputs = [given_flags(stage.argv).get("output_dir") for stage in stages]
    root = os.path.commonpath(outputs) if len(outputs) > 1 and all(outputs) else None
    rows = []
    for stage, model in zip(stages, base_models(stages)):
        try:
            row = training_stage(stage.path.stem, stage.argv, model, throughput) if stage.trains else \
                retrieval_stage(stage.argv, model, throughput)
        except ValueError as error:  # a stage the pre-flight would reject (an unknown task, a batch that cannot split)
            row = {"note": f"not estimated: {' '.join(str(error).split())}"}
        rows.append({"stage": describe(stage, root), "model": name_of(model), "train_samples": None,
                     "eval_samples": None, "hours": None, **row})
    return rows, sum(row["hours"] for row in rows if row["hours"] is not None), root


def render(rows, total, unit, root=None) -> str:
    width = max([len(row["stage"]) for row in rows] + [5])
    fmt = lambda v: "n/a" if v is None else f"{v:,.0f}"  # noqa: E731
    lines = [f"output folders under {root}"] if root else []
    lines.append(f"{'stage':<{width}}  {'model':<20} {'train samples':>14} {'eval samples':>13} {'hours':>10}  note")
    for row in rows:
        hours = "n/a" if row["hours"] is None else f"{row['hours']:.3g}"
        lines.append(f"{row['stage']:<{width}}  {row['model']:<20} {fmt(row['train_samples']):>14} "
                     f"{fmt(row['eval_samples']):>13} {hours:>10}  {row['note']}")
    missing = sum(row["hours"] is None for row in rows)
    lines.append(f"total: {total:.3g} {unit} for {len(rows) - missing} of {len(rows)} stages"
                 + (f"; {missing} not estimated (see their notes)" if missing else ""))
    return "\n".join(lines)


def main(argv, stages):
    """Print the estimate of the stages; argv: --throughput FILE... or --from_runs DIR. Returns (rows, total)."""
    parser = argparse.ArgumentParser(prog="estimate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--throughput", action="append", default=[], metavar="FILE",
                        help="benchmarks/bench_training.py's JSON (repeatable: one per base model)")
    parser.add_argument("--from_runs", metavar="DIR", help="finished runs whose cost records give the throughput")
    args = parser.parse_args(argv)
    try:
        if not args.throughput and not args.from_runs:
            raise InputError("no throughput: pass --throughput FILE (the JSON benchmarks/bench_training.py writes) "
                             "or --from_runs DIR (finished runs with cost records)")
        throughput = from_files(args.throughput) if args.throughput else from_runs(args.from_runs)
        rows, total, root = estimate(stages, throughput)
    except InputError as error:
        print(f"estimate: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(render(rows, total, throughput.unit, root))
    return rows, total


def source_flags(source: str) -> list:
    """--estimate SOURCE as main()'s argv: a folder of finished runs, else measurement files (a comma list, e.g.
    bench_training.py's and bench_mlm.py's)."""
    if Path(source).is_dir():
        return ["--from_runs", source]
    return [flag for path in source.split(",") if path.strip() for flag in ("--throughput", path.strip())]
