"""The run folder's lifecycle under every entry point (run_intermediate.py, run_target.py, multi-task,
run_retrieval.py); engine/lifecycle.py's Run calls these in the order every run follows.

    run_once(out, body, overwrite=..., main=...)   skip a finished run (DONE) and return its metrics; else hold
                                                  <out>/.lock, clear the old results when --overwrite, run body()
    resume_checkpoint(out, main)                  the last completely written checkpoint to resume from
    finish_run(out, document, config, started)    metrics.json and run_config.json (atomically; with meter=, its
                                                  "cost" record, utils/cost.py; "data": what loading did to each
                                                  set, utils/data.data_records), checkpoints removed unless kept,
                                                  DONE last
    destroy_process_group()                       at exit (registered): a torchrun process group torn down

Everything a run writes goes through utils/results.py's atomic writers, so a killed run never leaves a
half-written file; DONE is written last, so its presence means the run finished.
"""
import atexit
import logging
import shutil
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from utils.data import data_records, reset_data_records
from utils.results import (is_done, last_complete_checkpoint, mark_done, read_json, run_lock, DONE,
                           write_json_atomic)

logger = logging.getLogger(__name__)
RESULTS = (DONE, "metrics.json")                  # files of a finished run
RESULT_DIRS = ("predictions",)                    # folders of a finished run


@atexit.register
def destroy_process_group():
    """Under torchrun, tear the process group down while the interpreter is still whole. Left to interpreter
    shutdown, gloo's worker threads may still hold work whose tensors reference Python objects, and freeing them
    then aborts the process (SIGABRT, "terminate called without an active exception"): now and then a finished
    run's non-main process died at exit and torchrun failed the run."""
    dist = sys.modules.get("torch.distributed")  # never imports torch at exit
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def clear_results(out: Path):
    """Remove a run's results and checkpoints (--overwrite): the rerun starts from scratch."""
    for name in RESULTS:
        (out / name).unlink(missing_ok=True)
    for name in RESULT_DIRS:
        shutil.rmtree(out / name, ignore_errors=True)
    for checkpoint in out.glob("checkpoint-*"):
        shutil.rmtree(checkpoint, ignore_errors=True)


def run_once(out, body, *, overwrite=False, main=True):
    """body() under the run's lock; returns its metrics document. A finished run (DONE) is skipped, returning
    the metrics it wrote, unless overwrite, which clears its results first. Only the main process locks and
    clears (the others of a distributed run follow it)."""
    out = Path(out)
    if is_done(out) and not overwrite:
        logger.info("%s is finished (DONE); skipping it (pass --overwrite to rerun)", out)
        return read_json(out / "metrics.json")
    with run_lock(out) if main else nullcontext():
        if main:
            (out / DONE).unlink(missing_ok=True)
            if overwrite:
                clear_results(out)
        reset_data_records()  # run_config.json "data": what loading did to the sets this run reads
        return body()


def resume_checkpoint(out, main=True):
    """The last completely written checkpoint of an interrupted run (partial ones are removed), or None."""
    last = last_complete_checkpoint(out, remove_partial=main)
    if last:
        logger.info("Resuming the interrupted run from %s", last)
    return last


def finish_run(out, document, config, started, keep_checkpoints=False, main=True, meter=None):
    """Write metrics.json and the end time, delete the checkpoints (unless keep_checkpoints), then DONE.
    meter: the run's utils.cost.CostMeter; its record is run_config.json's "cost" (every process calls this: the
    record sums the processes' counts)."""
    duration = round(time.time() - started, 1)
    cost = {"cost": meter.record(duration)} if meter is not None else {}
    if not main:
        return
    out = Path(out)
    write_json_atomic(out / "metrics.json", document)
    write_json_atomic(out / "run_config.json", {**config, "end_time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                                "duration_s": duration, **cost, "data": data_records()})
    if not keep_checkpoints:
        for checkpoint in out.glob("checkpoint-*"):
            shutil.rmtree(checkpoint, ignore_errors=True)
    mark_done(out)
