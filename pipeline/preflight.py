"""The pre-flight view: check every stage of a pipeline or sweep before the first one starts (each stage's
arguments, recipe, languages, splits, model and local files, with the checks the stage runs itself: its script's
prepare()), in one process. Reachability of the hub is left to each stage (a login node may not reach it)."""
import os
import sys
from importlib import import_module

from utils.args import InputError

HARDWARE_FLAGS = ("--bf16", "--fp16", "--tf32")  # checked against the GPU where the stage runs, not here


def without_hardware_flags(argv):
    """argv without the precision flags (TrainingArguments rejects --bf16 on a machine without a GPU, and the
    check may run on a CPU login node); a flag's explicit value (--bf16 true) goes with it."""
    kept, skip = [], False
    for arg in argv:
        if skip and not arg.startswith("--"):
            skip = False
            continue
        skip = arg in HARDWARE_FLAGS or arg.split("=")[0] in HARDWARE_FLAGS
        if not skip:
            kept.append(arg)
        skip = skip and "=" not in arg
    return kept


def describe(stage) -> str:
    argv = stage.argv
    flag = lambda name: argv[argv.index(name) + 1] if name in argv[:-1] else "?"  # noqa: E731
    return f"{stage.script} --task {flag('--task') if '--task' in argv else flag('--tasks')} " \
           f"(--output_dir {flag('--output_dir')})"


def check(stages, planned=(), world_size=None) -> bool:
    """Check every stage (planned: encoders earlier stages write; world_size: the launcher's processes, over which
    the batches are split). Prints one line per problem to stderr, `<script> --task T (--output_dir D): error: ...`,
    and a summary; True when every stage passes."""
    import datasets
    from engine import preflight
    datasets.disable_progress_bars()
    check_hub, preflight.CHECK_HUB = preflight.CHECK_HUB, False  # whether the hub answers: where each stage runs
    saved = os.environ.get("WORLD_SIZE")
    if world_size:
        os.environ["WORLD_SIZE"] = str(world_size)
    problems = 0
    try:
        for stage in stages:
            try:
                import_module(stage.path.stem).prepare(without_hardware_flags(stage.argv), planned=set(planned))
            except InputError as error:
                problems += 1
                print(f"{describe(stage)}: error: {error}", file=sys.stderr)
            except SystemExit as error:  # argparse's own messages (e.g. an invalid choice) end in SystemExit(2)
                problems += 1
                print(f"{describe(stage)}: error: invalid arguments (exit status {error.code})", file=sys.stderr)
            except Exception as error:  # any other failure of one stage's check is reported, not a crash of all
                problems += 1
                print(f"{describe(stage)}: error: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        preflight.CHECK_HUB = check_hub
        if world_size:
            os.environ.pop("WORLD_SIZE") if saved is None else os.environ.update(WORLD_SIZE=saved)
    if problems:
        print(f"preflight: {problems} of {len(stages)} stage(s) would fail; nothing was run", file=sys.stderr)
        return False
    print(f"preflight: {len(stages)} stage(s) checked")
    return True
