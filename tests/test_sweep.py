"""scripts/sweep.sh: dry runs in every mode (the printed commands parsed), and real sweeps with a stub pipeline."""
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "scripts" / "sweep.sh"

# A stand-in for run_pipeline.sh: records its arguments and GPU, writes DONE per target, fails for 'bad'.
STUB = r"""#!/usr/bin/env bash
set -eu
while [ $# -gt 0 ]; do
  case "$1" in
    --intermediate) inter="$2"; shift 2 ;; --targets) targets="$2"; shift 2 ;;
    --output_dir) out="$2"; shift 2 ;; --) shift; echo "extra: $*"; break ;; --print_stages) exit 0 ;;
    --name) name="$2"; shift 2 ;; --flags_for) shift 3 ;;
    *) shift 2 ;;
  esac
done
echo "stub: $inter gpu=${CUDA_VISIBLE_DEVICES:-none}"
echo "$inter gpu=${CUDA_VISIBLE_DEVICES:-none}" >> "$(dirname "$0")/calls.txt"
[ "$inter" = bad ] && { echo "boom: training diverged" >&2; exit 3; }
[ "$inter" = none ] && inter=baseline
IFS=',' read -r -a list <<< "$targets"
for t in "${list[@]}"; do mkdir -p "$out/${name:-$inter}/$t"; touch "$out/${name:-$inter}/$t/DONE"; done
"""


def sweep(*args, env=None, check=False, timeout=600):  # against a hang; a loaded machine took 120 s for a dry run
    result = subprocess.run(["bash", str(SWEEP), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def planner(program, *args):
    """`python -m pipeline PROGRAM ARGS` in this process, as a finished subprocess would show it: the planner
    alone decides a dry run and an argument error (the launcher runs only a plan's jobs), so the tests of those
    skip the launcher's fresh interpreter; the launcher's own tests (real sweeps with a stub) still start it."""
    from pipeline.cli import main
    stdout, stderr, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            main([program, *map(str, args)])
        except SystemExit as end:  # as the interpreter ends: a message goes to stderr, exit status 1
            code = end.code or 0
            if not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
    return subprocess.CompletedProcess([program, *args], code, stdout.getvalue(), stderr.getvalue())


def plan(*args, check=False):
    """scripts/sweep.sh's dry run, status or argument check, in this process (planner)."""
    result = planner("sweep", *args)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def stub(tmp_path):
    path = tmp_path / "stub" / "pipeline.sh"
    path.parent.mkdir()
    path.write_text(STUB)
    return path


def commands(stdout):
    """The dry run's command lines, split into words (comments and [sweep] lines left out)."""
    return [shlex.split(line) for line in stdout.splitlines() if line and not line.startswith(("#", "[sweep]", "preflight:"))]


def option(words, name):
    return words[words.index(name) + 1]


def grid_data(tmp_path):
    """The local files a grid of mnli into xnli and tatoeba (German) reads."""
    from conftest import nli_rows, write_jsonl
    data = tmp_path / "d"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(6, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(3, 2))
    write_jsonl(data / "xnli" / "test-de.jsonl", nli_rows(3, 3))
    write_jsonl(data / "tatoeba" / "test-de.jsonl", [{"source": "Hallo", "target": "Hello"}])
    return data


def test_dry_run_local_grid(tmp_path):
    out, data = tmp_path / "runs", grid_data(tmp_path)
    result = plan("--intermediates", "none,mnli", "--targets", "xnli,tatoeba", "--models", "xlm-roberta-base,org/mbert",
                   "--seeds", "1,2", "--output_dir", out, "--data_dir", data, "--languages", "de", "--dry_run", "--",
                   "--num_train_epochs", "1", check=True)
    assert "preflight: 20 stage(s) checked" in result.stdout  # 8 jobs: 3 stages each with mnli, 2 for the baseline
    lines = commands(result.stdout)
    assert len(lines) == 2 * 2 * 2
    first = lines[0]
    assert first[:2] == ["bash", str((ROOT / "run_pipeline.sh").resolve())]
    assert (option(first, "--intermediate"), option(first, "--targets"), option(first, "--seed")) == ("none", "xnli,tatoeba", "1")
    assert option(first, "--output_dir") == str(out / "xlm-roberta-base" / "seed1")
    assert option(first, "--data_dir") == str(data)
    assert first[first.index("--") + 1:first.index(">>")] == ["--num_train_epochs", "1"]
    assert first[-2:] == [str(out / "sweep_logs" / "xlm-roberta-base_seed1_baseline.log"), "2>&1"]
    grid = {(option(w, "--model_name_or_path"), option(w, "--seed"), option(w, "--intermediate")) for w in lines}
    assert grid == {(m, s, i) for m in ("xlm-roberta-base", "org/mbert") for s in "12" for i in ("none", "mnli")}
    assert not out.exists()  # a dry run runs and writes nothing


def test_a_typo_anywhere_in_the_grid_stops_it_before_anything_runs(tmp_path):
    """A language no target has, a missing local file: named at once, in the dry run too, and nothing written."""
    import time
    out, data = tmp_path / "runs", grid_data(tmp_path)
    started = time.time()
    result = plan("--intermediates", "none,mnli", "--targets", "xnli,tatoeba", "--output_dir", out, "--data_dir", data,
                   "--languages", "de,xx", "--dry_run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--languages: xx not a language of task 'xnli'" in result.stderr
    assert "run_target.py --task xnli (--output_dir " in result.stderr and "nothing was run" in result.stderr
    (data / "mnli" / "validation-en.jsonl").unlink()
    result = plan("--intermediates", "mnli", "--targets", "xnli", "--output_dir", out, "--data_dir", data,
                   "--languages", "de")
    assert result.returncode == 2 and "mnli/validation-en.jsonl: no such file" in result.stderr
    assert not out.exists()
    print(f"typo to error: {time.time() - started:.1f} s for two sweeps")


def test_dry_run_multi_gpu_assigns_one_job_per_gpu(tmp_path):
    result = plan("--intermediates", "none,mnli,squad", "--targets", "xquad", "--output_dir", tmp_path / "runs",
                   "--mode", "gpus", "--gpus", "0,1", "--dry_run", check=True)
    lines = commands(result.stdout)
    assert [w[0] for w in lines] == ["CUDA_VISIBLE_DEVICES=0", "CUDA_VISIBLE_DEVICES=1", "CUDA_VISIBLE_DEVICES=0"]
    assert [option(w, "--intermediate") for w in lines] == ["none", "mnli", "squad"]


def test_dry_run_slurm_prints_job_array(tmp_path):
    out = tmp_path / "runs"
    result = plan("--intermediates", "none,mnli", "--targets", "xnli", "--seeds", "1,2,3", "--output_dir", out,
                   "--mode", "slurm", "--max_parallel", "4", "--sbatch_option", "--partition=gpu", "--dry_run", check=True)
    text = result.stdout
    assert "#SBATCH --array=0-5%4" in text and "#SBATCH --partition=gpu" in text and "#SBATCH --gres=gpu:1" in text
    cases = [line.split("cmd=(", 1)[1] for line in text.splitlines() if re.match(r"  \d+\) log=", line)]
    jobs = [shlex.split(case[:case.rindex(")")]) for case in cases]
    assert len(jobs) == 6 and {option(w, "--seed") for w in jobs} == {"1", "2", "3"}
    assert "would write" in text and not out.exists()


def test_failure_does_not_stop_the_rest_and_is_listed(tmp_path):
    pipeline = stub(tmp_path)
    out = tmp_path / "runs"
    result = sweep("--intermediates", "none,bad,mnli", "--targets", "xnli,pawsx", "--models", "m", "--output_dir", out,
                   "--pipeline", pipeline, "--", "--fp16")
    assert result.returncode == 1
    assert (pipeline.parent / "calls.txt").read_text().split("\n")[:3] == ["none gpu=none", "bad gpu=none", "mnli gpu=none"]
    for inter in ("baseline", "mnli"):
        assert (out / "m" / "seed1" / inter / "pawsx" / "DONE").is_file()
    bad_log = out / "sweep_logs" / "m_seed1_bad.log"
    assert "failed jobs:\n  m seed1 bad (exit 3): log " + str(bad_log) in result.stdout
    assert "boom: training diverged" in bad_log.read_text()
    assert "extra: --fp16" in (out / "sweep_logs" / "m_seed1_mnli.log").read_text()
    assert "3 jobs run, 2 finished, 1 failed" in result.stdout

    again = sweep("--intermediates", "none,bad,mnli", "--targets", "xnli,pawsx", "--models", "m", "--output_dir", out,
                  "--pipeline", pipeline)
    assert "skip (all targets DONE): m seed1 baseline" in again.stdout and "1 jobs run, 0 finished, 1 failed" in again.stdout
    status = plan("--intermediates", "none,bad,mnli,qqp", "--targets", "xnli,pawsx", "--models", "m",
                  "--output_dir", out, "--pipeline", pipeline, "--status")
    assert status.returncode == 1 and status.stdout.splitlines() == [
        "done: m seed1 baseline", f"FAILED (exit 3): m seed1 bad: log {bad_log}", "done: m seed1 mnli",
        "not run or running: m seed1 qqp"]


def test_multi_gpu_queue_runs_every_job_on_a_gpu(tmp_path):
    pipeline = stub(tmp_path)
    out = tmp_path / "runs"
    result = sweep("--intermediates", "none,mnli,squad,bad,qqp", "--targets", "xnli", "--output_dir", out,
                   "--mode", "gpus", "--gpus", "0,1", env={"XSTILTS_PIPELINE": str(pipeline)})
    assert result.returncode == 1 and "4 finished, 1 failed" in result.stdout
    calls = (pipeline.parent / "calls.txt").read_text().split()
    assert sorted(calls[0::2]) == ["bad", "mnli", "none", "qqp", "squad"]
    assert set(calls[1::2]) <= {"gpu=0", "gpu=1"}


def test_slurm_submits_with_sbatch_and_the_array_file_runs(tmp_path):
    pipeline = stub(tmp_path)
    out = tmp_path / "runs"
    fake = tmp_path / "bin" / "sbatch"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "Submitted batch job 7 ($1)"\n')
    fake.chmod(0o755)
    result = sweep("--intermediates", "none,mnli", "--targets", "xnli", "--output_dir", out, "--mode", "slurm",
                   "--pipeline", pipeline, env={"PATH": f"{fake.parent}:{os.environ['PATH']}"}, check=True)
    batch = out / "sweep_logs" / "sweep.sbatch"
    assert f"Submitted batch job 7 ({batch})" in result.stdout
    for task_id in ("0", "1"):  # what Slurm would do with the array
        subprocess.run(["bash", str(batch)], env={**os.environ, "SLURM_ARRAY_TASK_ID": task_id}, check=True)
    assert (out / "xlm-roberta-large" / "seed1" / "mnli" / "xnli" / "DONE").is_file()
    assert (out / "sweep_logs" / "xlm-roberta-large_seed1_mnli.rc").read_text().strip() == "0"


def test_bad_arguments_are_named(tmp_path):
    result = sweep("--targets", "xnli", "--output_dir", tmp_path)  # through the launcher: its exit status is the planner's
    assert result.returncode == 2 and "--intermediates is required" in result.stderr
    result = plan("--intermediates", "mnli", "--targets", "xnli", "--output_dir", tmp_path, "--mode", "cloud")
    assert result.returncode == 2 and "--mode must be local, gpus or slurm" in result.stderr
    result = plan("--intermediates", "mnli", "--targets", "xnli", "--output_dir", tmp_path, "--seeds", "a")
    assert "--seeds must be a comma list of integers" in result.stderr


@pytest.mark.slow
def test_real_pipeline_sweep_then_report(tiny_model_dir, tiny_data_dir, tmp_path):
    """The whole chain on a tiny model: sweep -> run_pipeline.sh -> runs -> report.py reads every run."""
    import sys
    from conftest import FAST
    sys.path.insert(0, str(ROOT / "scripts"))
    import report
    fast = [flag for i, flag in enumerate(FAST) if "--seed" not in FAST[max(i - 1, 0):i + 1]]
    out = tmp_path / "runs"
    result = sweep("--intermediates", "none,mnli", "--targets", "xnli", "--models", tiny_model_dir,
                   "--seeds", "3", "--output_dir", out, "--data_dir", tiny_data_dir, "--languages", "de", "--", *fast,
                   env={"PYTHON": sys.executable, "TOKENIZERS_PARALLELISM": "false"}, timeout=900)
    assert result.returncode == 0, result.stdout + (out / "sweep_logs" / "tiny_model_seed3_mnli.log").read_text()[-3000:]
    tables = report.main([str(out)])
    assert {r["status"] for r in tables["runs"]} == {"finished"} and len(tables["runs"]) == 3
    rows = {(r["intermediate"], r["target"]): r for r in tables["paper_table"]}
    assert set(rows) == {(i, t) for i in ("baseline", "mnli") for t in ("xnli",)}
    assert {r["base_model"] for r in tables["paper_table"]} == {tiny_model_dir.name}  # a local folder: its name
    assert rows[("mnli", "xnli")]["seeds"] == "3"
    assert rows[("mnli", "xnli")]["delta"] == pytest.approx(rows[("mnli", "xnli")]["mean"] - rows[("baseline", "xnli")]["mean"])
    score = {r["intermediate"]: r for r in tables["xtreme_score"]}["mnli"]
    assert score["classification"] == score["xtreme"] == rows[("mnli", "xnli")]["mean"]
    assert (out / "report" / "report.md").is_file() and list((out / "report").glob("heatmap_*.png"))
