"""The command lines of run_pipeline.sh and scripts/sweep.sh (python -m pipeline run|sweep ARGS). The planner
checks the flags, plans the stages and jobs, and shows the views (dry run, pre-flight, cost estimate, status);
what is to run it writes as a launch plan, bash assignments the launcher sources (--launch_plan FILE)."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from pipeline import cost, layout, preflight
from pipeline.jobs import experiment_jobs, grid_jobs, status
from pipeline.stages import ROOT, Options, UsageError, planned, stages, world_size

RUN_USAGE = """\
Chain the method's phases for one intermediate task and a list of targets: intermediate training
(run_intermediate.py), then each target with the entry script its task's kind takes (run_target.py; run_retrieval.py
for the kinds that evaluate the encoder without training). `--intermediate none` is the baseline (targets start
from the base model).
Every stage leaves DONE in its folder: a rerun skips finished stages and resumes an interrupted one from its last
checkpoint. Flags after `--` go to every training stage (any TrainingArguments flag; each task's recipe fills in
the rest; --intermediate_flags/--target_flags/--flags_for come after them, so they win); retrieval stages (no
training) get --data_dir, --languages, --seed and --retrieval_flags. Every stage is given --variant (the run
folder's name), so run_config.json records it. Before the first stage, every stage is checked (arguments,
languages, files: pipeline/preflight.py); --dry_run only checks and prints the stages; --print_stages prints the
commands of the stages still to run, unchecked; --estimate FILE|DIR checks, then prints each stage's estimated
GPU-hours (pipeline/cost.py) and runs nothing.

  bash run_pipeline.sh --intermediate mnli --targets xnli,pawsx,tatoeba --model_name_or_path xlm-roberta-large \\
       --output_dir runs [--data_dir DIR] [--seed 1] [--languages de,fr] [--launcher "torchrun --nproc_per_node 4"] \\
       [--intermediate_flags "..."] [--target_flags "..."] [--retrieval_flags "--layer 8"] [--flags_for TASK "..."]
       [--name NAME] [--language_corpora en=FILE,de=FILE [--language_adapter_flags "..."]]
       [--dry_run | --print_stages | --estimate FILE|DIR] [-- Trainer flags]
--intermediate takes a task, a comma list or 'all' (multi-task: --tasks), or 'none'. --flags_for TASK adds flags
to that target's stage only (repeatable). --name NAME names the run folder (default: the intermediate task, or
baseline) and the variant every stage records (an experiment's variants). --language_corpora trains a language
adapter per language first (run_intermediate.py --task mlm --mlm_corpus FILE --mlm_language LANG --peft lora, with
--language_adapter_flags), and the trained targets compose them (--peft lora --language_adapters; MAD-X with LoRA).
Layout (pipeline/layout.py): <output_dir>/<variant>/ (encoder/ inside), <output_dir>/<variant>/<target>/ and
<output_dir>/<variant>/lang/<language>/."""

SWEEP_USAGE = """\
Run a grid of intermediate tasks x targets x seeds x base models with run_pipeline.sh. One job = one base model,
seed and intermediate task with all the targets (the intermediate checkpoint is trained once and reused by every
target). Job J writes <output_dir>/<model>/seed<S>/<intermediate>/<target>/ and logs to
<output_dir>/sweep_logs/<model>_seed<S>_<intermediate>.log (its exit status beside it, .rc).

  bash scripts/sweep.sh --intermediates none,mnli,squad --targets xnli,pawsx,tatoeba --output_dir runs \\
       [--models xlm-roberta-large,xlm-roberta-base] [--seeds 1,2,3] [--data_dir DIR] [--languages de,fr] \\
       [--mode local|gpus|slurm] [--gpus 0,1,2,3] [--max_parallel N] [--sbatch_option OPT]... \\
       [--pipeline PATH] [--dry_run | --status | --estimate FILE|DIR] [-- extra Trainer flags for every stage]
  bash scripts/sweep.sh --experiment experiments/q1_domain_shift.json --output_dir runs [--mini] [--mode ...]

--experiment FILE takes the variants (intermediate configurations), targets, models and seeds from an experiment
file (pipeline/experiment.py says what it holds) instead of --intermediates/--targets/--models/--seeds: one job per
model, seed and variant, in <output_dir>/<model>/seed<S>/<variant>/. --mini runs its miniature ("mini" section:
prints what it shrinks, prepares its data first).
Modes: local runs the jobs one after another; gpus runs one job per GPU (CUDA_VISIBLE_DEVICES) from a queue;
slurm writes <output_dir>/sweep_logs/sweep.sbatch (a job array, one GPU per job) and submits it with sbatch
(--sbatch_option adds '#SBATCH OPT' lines; --max_parallel caps running array jobs). --dry_run prints the
commands, or the sbatch file, and runs nothing; --status lists each job's state (done, failed, not run).
Before anything runs (also with --dry_run), every stage of every job is checked (pipeline/preflight.py).
--estimate then prints each stage's estimated GPU-hours and runs nothing (pipeline/cost.py; FILE:
benchmarks/bench_training.py's measurements; DIR: finished runs' cost records).
Idempotent: jobs whose targets all have DONE are skipped, and the pipeline skips finished stages and resumes
interrupted ones. A failed job does not stop the others; the failures are listed at the end with their logs
(exit status 1). 'none' (or 'baseline') is the baseline.
The pipeline is run_pipeline.sh beside scripts/, or --pipeline PATH, or $XSTILTS_PIPELINE (the pre-flight and the
estimate plan run_pipeline.sh's stages; another pipeline script checks its own)."""

DEFAULT_PIPELINE = ROOT / "run_pipeline.sh"


class Help(Exception):
    pass


def parse_flags(argv, arity: dict, repeatable=()) -> tuple[dict, list]:
    """({flag name: value}, the words after '--'): arity says how many values a flag takes (0: a switch)."""
    values, i = {}, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return values, list(argv[i + 1:])
        if arg in ("-h", "--help"):
            raise Help
        if arg not in arity:
            raise UsageError(f"unknown argument '{arg}' (Trainer flags go after '--'; see --help)")
        count = arity[arg]
        given = argv[i + 1:i + 1 + count]
        if len(given) < count or (count and not given[0]):
            raise UsageError(f"{arg} needs {count} value{'s' if count > 1 else ''}")
        value = True if count == 0 else given[0] if count == 1 else tuple(given)
        key = arg[2:]
        values[key] = values.get(key, []) + [value] if arg in repeatable else value
        i += 1 + count
    return values, []


def words(text) -> list:
    return shlex.split(text or "")


def write_launch_plan(path, **values):
    """Bash assignments (lists as arrays), each value quoted for the shell; printed when no file is given."""
    lines = [f"{name}=({' '.join(shlex.quote(str(v)) for v in value)})" if isinstance(value, list)
             else f"{name}={shlex.quote(str(value))}" for name, value in values.items()]
    if path:
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        print("\n".join(lines))


# ---- run_pipeline.sh ---------------------------------------------------------------------------------------------
RUN_FLAGS = {"--intermediate": 1, "--targets": 1, "--model_name_or_path": 1, "--output_dir": 1, "--data_dir": 1,
             "--seed": 1, "--languages": 1, "--launcher": 1, "--intermediate_flags": 1, "--target_flags": 1,
             "--retrieval_flags": 1, "--flags_for": 2, "--name": 1, "--dry_run": 0, "--print_stages": 0,
             "--estimate": 1, "--language_corpora": 1, "--language_adapter_flags": 1}


def pipeline_options(argv) -> tuple[Options, dict]:
    """(the pipeline's options, the view flags: dry_run, print_stages, estimate)."""
    given, trainer_flags = parse_flags(argv, RUN_FLAGS, repeatable=("--flags_for",))
    flags_for = {}
    for target, flags in given.get("flags_for", []):
        flags_for[target] = flags_for.get(target, []) + words(flags)
    options = Options(intermediate=given.get("intermediate"), targets=split(given.get("targets")),
                      output_dir=given.get("output_dir"), model=given.get("model_name_or_path", Options.model),
                      data_dir=given.get("data_dir"), seed=given.get("seed"), languages=given.get("languages"),
                      launcher=given.get("launcher"), intermediate_flags=words(given.get("intermediate_flags")),
                      target_flags=words(given.get("target_flags")),
                      retrieval_flags=words(given.get("retrieval_flags")), flags_for=flags_for,
                      name=given.get("name"), trainer_flags=trainer_flags,
                      language_corpora=language_corpora(given.get("language_corpora")),
                      language_adapter_flags=words(given.get("language_adapter_flags")))
    return options, {view: given.get(view) for view in ("dry_run", "print_stages", "estimate")}


def language_corpora(text) -> dict:
    """--language_corpora en=FILE,de=FILE -> {"en": FILE, "de": FILE}."""
    pairs = [item.partition("=") for item in split(text)]
    for lang, sign, path in pairs:
        if not (lang and sign and path):
            raise UsageError(f"--language_corpora: expected LANG=FILE,LANG=FILE (e.g. en=en.txt,de=de.txt), "
                             f"got '{lang}{sign}{path}'")
    return {lang: path for lang, _, path in pairs}


def split(text) -> list:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def run_pipeline(argv, launch_plan=None) -> int:
    options, views = pipeline_options(argv)
    python, plan = sys.executable, stages(options)
    todo = [stage for stage in plan if not stage.finished]
    if views["print_stages"]:
        for stage in todo:
            print(shlex.join(stage.command(python, options.launcher)))
        return 0
    if not preflight.check(todo, planned(options), world_size(options.launcher)):
        return 2
    if views["estimate"]:
        cost.main(cost.source_flags(views["estimate"]), todo)
        return 0
    if views["dry_run"]:
        for stage in plan:
            state = "finished" if stage.finished else "to run"
            print(f"[pipeline] {stage.name} ({state}): {shlex.join(stage.command(python, options.launcher))}")
        return 0
    write_launch_plan(launch_plan, run_dir=options.run_dir, names=[stage.name for stage in plan],
                      dirs=[stage.output_dir for stage in plan],
                      cmds=[shlex.join(stage.command(python, options.launcher)) for stage in plan])
    return 0


# ---- scripts/sweep.sh --------------------------------------------------------------------------------------------
SWEEP_FLAGS = {"--intermediates": 1, "--targets": 1, "--experiment": 1, "--mini": 0, "--output_dir": 1, "--models": 1,
               "--seeds": 1, "--data_dir": 1, "--languages": 1, "--mode": 1, "--gpus": 1, "--max_parallel": 1,
               "--sbatch_option": 1, "--pipeline": 1, "--estimate": 1, "--dry_run": 0, "--status": 0}
GRID_AXES = ("intermediates", "targets", "models", "seeds")


def sweep_jobs(given, extra, out) -> list:
    """The jobs of the grid flags or of the experiment file (its miniature's data prepared first)."""
    shared = {"data_dir": given.get("data_dir"), "languages": given.get("languages")}
    if not given.get("experiment"):
        for flag, example in (("intermediates", "none,mnli,squad; 'none' = the baseline"), ("targets", "xnli,pawsx")):
            if not given.get(flag):
                raise UsageError(f"--{flag} is required (e.g. {example})")
        seeds = given.get("seeds", "1")
        if not all(seed.isdigit() for seed in seeds.split(",")):
            raise UsageError(f"--seeds must be a comma list of integers, got '{seeds}'")
        return grid_jobs(out, split(given["intermediates"]), split(given["targets"]),
                         split(given.get("models", Options.model)), seeds.split(","), trainer_flags=extra, **shared)
    from pipeline import experiment
    try:
        loaded = experiment.load(given["experiment"], given.get("mini", False), out)
        jobs = experiment_jobs(loaded, out)
        print(experiment.describe(loaded, jobs, given.get("mini", False)), file=sys.stderr)
        if given.get("mini"):  # the sweep is about to check and run it: its data first
            experiment.prepare_data(loaded, out)
    except experiment.InputError as error:
        raise UsageError(f"{error}\nthe experiment {given['experiment']} cannot run; nothing was run") from None
    for job in jobs:  # the sweep's own flags win over the file's
        job.options.trainer_flags += extra
        job.options.data_dir = shared["data_dir"] or job.options.data_dir
        job.options.languages = shared["languages"] or job.options.languages
    return jobs


def check_sweep_flags(given):
    axes = [f"--{axis}" for axis in GRID_AXES if axis in given]
    if given.get("experiment") and axes:
        raise UsageError("--experiment takes its variants, targets, models and seeds from the file; "
                         f"drop {' '.join(axes)}")
    if given.get("mini") and not given.get("experiment"):
        raise UsageError("--mini needs --experiment FILE")
    if not given.get("output_dir"):
        raise UsageError("--output_dir is required")
    if given.get("mode", "local") not in ("local", "gpus", "slurm"):
        raise UsageError(f"--mode must be local, gpus or slurm, got '{given['mode']}'")
    if not re.fullmatch(r"[1-9][0-9]*", given.get("max_parallel", "1")):
        raise UsageError("--max_parallel must be a positive integer")


def gpu_list(given) -> list:
    found = given.get("gpus") or os.environ.get("CUDA_VISIBLE_DEVICES")
    if not found:
        try:
            found = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True,
                                   text=True).stdout.replace("\n", ",")
        except OSError:
            found = ""
    gpus = split(found)
    if not gpus:
        raise UsageError("--mode gpus: no GPU found (give --gpus 0,1,...)")
    return gpus


def sbatch_file(todo, pipeline, logdir, given) -> str:
    """The job array: array task k runs todo[k]."""
    lines = ["#!/usr/bin/env bash", "#SBATCH --job-name=xstilts-sweep",
             f"#SBATCH --array=0-{len(todo) - 1}" + (f"%{given['max_parallel']}" if given.get("max_parallel") else ""),
             "#SBATCH --gres=gpu:1", f"#SBATCH --output={logdir}/slurm-%A_%a.out",
             *(f"#SBATCH {option}" for option in given.get("sbatch_option", [])),
             'rc=0; case "${SLURM_ARRAY_TASK_ID:?run me with sbatch}" in',
             *(f"  {k}) log={shlex.quote(str(job.log))}; cmd=({shlex.join(job.command(pipeline))}) ;;"
               for k, job in enumerate(todo)),
             "esac", 'echo "=== $(date "+%F %T") ${cmd[*]}" >> "$log"', '"${cmd[@]}" >> "$log" 2>&1 || rc=$?',
             'echo "$rc" > "${log%.log}.rc"; exit "$rc"']
    return "\n".join(lines) + "\n"


def sweep(argv, launch_plan=None) -> int:
    given, extra = parse_flags(argv, SWEEP_FLAGS, repeatable=("--sbatch_option",))
    check_sweep_flags(given)
    pipeline = Path(given.get("pipeline") or os.environ.get("XSTILTS_PIPELINE") or DEFAULT_PIPELINE)
    if not pipeline.is_file():
        raise UsageError(f"pipeline script {pipeline} not found (--pipeline PATH or $XSTILTS_PIPELINE)")
    pipeline, out, mode = pipeline.resolve(), Path(given["output_dir"]).absolute(), given.get("mode", "local")
    jobs = sweep_jobs(given, extra, out)
    if given.get("status"):
        lines = status(jobs)
        print("\n".join(lines))
        return 1 if any(line.startswith("FAILED") for line in lines) else 0
    todo = []
    for job in jobs:
        if job.done:
            print(f"[sweep] skip (all targets DONE): {job.name}")
        else:
            todo.append(job)
    print(f"[sweep] {len(jobs)} jobs, {len(todo)} to run, mode {mode}")
    if not todo:
        return 0
    own = pipeline == DEFAULT_PIPELINE.resolve()  # another pipeline script plans (and checks) its own stages
    todo_stages = [stage for job in todo for stage in stages(job.options) if not stage.finished] if own else []
    encoders = set().union(*(planned(job.options) for job in todo))
    if own and not preflight.check(todo_stages, encoders):
        raise UsageError("the grid would fail (see above); nothing was run")
    if not own:
        print(f"preflight: left to {pipeline}")
    if given.get("estimate"):
        if not own:
            raise UsageError(f"--estimate: the stages of {pipeline} are its own; estimate with run_pipeline.sh's")
        cost.main(cost.source_flags(given["estimate"]), todo_stages)
        return 0
    logdir = layout.log_dir(out)
    if mode == "slurm":
        text = sbatch_file(todo, pipeline, logdir, given)
        if given.get("dry_run"):
            print(text + f"# dry run: would write {logdir}/sweep.sbatch and run: sbatch {logdir}/sweep.sbatch")
            return 0
        logdir.mkdir(parents=True, exist_ok=True)
        (logdir / "sweep.sbatch.tmp").write_text(text)
        (logdir / "sweep.sbatch.tmp").replace(logdir / "sweep.sbatch")
    gpus = gpu_list(given) if mode == "gpus" else []
    if given.get("dry_run"):  # gpus mode: the first round's GPUs; later jobs take whichever GPU frees first
        for k, job in enumerate(todo):
            prefix = f"CUDA_VISIBLE_DEVICES={gpus[k % len(gpus)]} " if gpus else ""
            print(f"{prefix}{shlex.join(job.command(pipeline))} >> {shlex.quote(str(job.log))} 2>&1")
        return 0
    logdir.mkdir(parents=True, exist_ok=True)
    for job in todo if mode != "slurm" else []:  # the array jobs write theirs when they end
        layout.exit_status_file(job.log).unlink(missing_ok=True)
    write_launch_plan(launch_plan, mode=mode, logdir=logdir, gpus=gpus, names=[job.name for job in todo],
                      logs=[job.log for job in todo], cmds=[shlex.join(job.command(pipeline)) for job in todo])
    return 0


def main(argv=None):
    """python -m pipeline (run|sweep) [--launch_plan FILE] ARGS..."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command, launch_plan = (argv or ["?"])[0], None
    if len(argv) > 2 and argv[1] == "--launch_plan":
        launch_plan, argv = argv[2], [command, *argv[3:]]
    programs = {"run": (run_pipeline, RUN_USAGE, "run_pipeline.sh"), "sweep": (sweep, SWEEP_USAGE, "sweep.sh")}
    if command not in programs:
        raise SystemExit("usage: python -m pipeline (run|sweep) [--launch_plan FILE] ARGS...")
    function, usage, program = programs[command]
    try:
        raise SystemExit(function(argv[1:], launch_plan))
    except Help:
        print(usage)
        raise SystemExit(0)
    except UsageError as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        raise SystemExit(2)
