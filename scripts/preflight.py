#!/usr/bin/env python
"""Check every stage of a pipeline or grid before the first one starts (run_pipeline.sh and scripts/sweep.sh call
this): each stage's arguments, recipe, languages, splits, model and local files, with the same checks the stage
runs itself (its script's prepare()), in one process.

Reads stdin, one record per line, fields separated by the ASCII unit separator (\\x1f):
    stage<US>SCRIPT<US>ARG<US>ARG...     a stage: run_intermediate.py, run_target.py or run_retrieval.py and its args
    planned<US>DIR                       an encoder an earlier stage will write (not an error that it is missing)
Prints one line per problem, `<script> --task T (--output_dir D): error: ...`, and exits with status 2 if any;
else `preflight: N stage(s) checked`.
"""
import sys
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the run_*.py scripts, tasks/ and utils/

from utils.args import InputError  # noqa: E402

SCRIPTS = ("run_intermediate", "run_target", "run_retrieval")
SEP = "\x1f"
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


def read_records(lines):
    """(stages [(script name, argv)], planned directories) from the input lines."""
    stages, planned = [], set()
    for number, line in enumerate(lines, 1):
        fields = line.rstrip("\n").split(SEP)
        if fields == [""]:
            continue
        if fields[0] == "planned" and len(fields) == 2:
            planned.add(fields[1])
        elif fields[0] == "stage" and len(fields) >= 2 and Path(fields[1]).stem in SCRIPTS:
            stages.append((Path(fields[1]).stem, fields[2:]))
        else:
            raise SystemExit(f"preflight: line {number}: expected 'stage<US>SCRIPT<US>ARGS...' or 'planned<US>DIR'")
    return stages, planned


def describe(script, argv):
    flag = lambda name: argv[argv.index(name) + 1] if name in argv[:-1] else "?"  # noqa: E731
    return f"{script}.py --task {flag('--task') if '--task' in argv else flag('--tasks')} " \
           f"(--output_dir {flag('--output_dir')})"


def main(lines=None):
    import datasets
    from engine import preflight
    datasets.disable_progress_bars()
    preflight.CHECK_HUB = False  # whether the hub answers is checked where each stage runs (a login node may reach it)
    stages, planned = read_records(sys.stdin if lines is None else lines)
    problems = 0
    for script, argv in stages:
        try:
            import_module(script).prepare(without_hardware_flags(argv), planned=planned)
        except InputError as error:
            problems += 1
            print(f"{describe(script, argv)}: error: {error}", file=sys.stderr)
        except SystemExit as error:  # argparse's own messages (e.g. an invalid choice) end in SystemExit(2)
            problems += 1
            print(f"{describe(script, argv)}: error: invalid arguments (exit status {error.code})", file=sys.stderr)
        except Exception as error:  # any other failure of one stage's check is reported, not a crash of all
            problems += 1
            print(f"{describe(script, argv)}: error: {type(error).__name__}: {error}", file=sys.stderr)
    if problems:
        print(f"preflight: {problems} of {len(stages)} stage(s) would fail; nothing was run", file=sys.stderr)
        raise SystemExit(2)
    print(f"preflight: {len(stages)} stage(s) checked")


if __name__ == "__main__":
    main()
