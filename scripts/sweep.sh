#!/usr/bin/env bash
# A grid of intermediate tasks (or an experiment file's variants) x targets x seeds x base models, one
# run_pipeline.sh job per base model, seed and variant. `bash scripts/sweep.sh --help` lists the flags. The planner
# (python -m pipeline sweep: pipeline/) lists the jobs, checks every stage of every job, prints the dry run, the
# status or the cost estimate, and hands the jobs to run to this launcher, which runs them one after another
# (--mode local), one per GPU from a queue (gpus) or submits the planner's job array to Slurm (slurm). Each job's
# output goes to its log, its exit status beside it (.rc); a failed job does not stop the others.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-$( [ -x "$here/../.venv/bin/python" ] && echo "$here/../.venv/bin/python" || echo python3)}"
plan="$(mktemp)"; trap 'rm -f "$plan"' EXIT
PYTHONSAFEPATH=1 PYTHONPATH="$here/..${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pipeline sweep --launch_plan "$plan" "$@" || exit $?
[ -s "$plan" ] || exit 0
mode="" logdir="" gpus=() names=() logs=() cmds=()
source "$plan"  # mode, logdir, gpus; names[i], logs[i] and cmds[i] (its command line) of every job to run

if [ "$mode" = slurm ]; then  # the planner wrote the job array
  ${SBATCH:-sbatch} "$logdir/sweep.sbatch" || { echo "sweep.sh: error: sbatch $logdir/sweep.sbatch failed" >&2; exit 2; }
  echo "[sweep] submitted ${#cmds[@]} array jobs; logs and exit statuses (.rc) in $logdir;" \
       "rerun this command after they end to resubmit only the unfinished ones"
  exit 0
fi

run_job() {  # run_job INDEX [GPU]: run one job, its output appended to its log, its exit status in .rc
  local i="$1" gpu="${2:-}" rc=0
  echo "[sweep] start: ${names[i]}${gpu:+ on GPU $gpu} (log ${logs[i]})"
  echo "=== $(date '+%F %T') ${gpu:+CUDA_VISIBLE_DEVICES=$gpu }${cmds[i]}" >> "${logs[i]}"
  (if [ -n "$gpu" ]; then export CUDA_VISIBLE_DEVICES="$gpu"; fi; eval "${cmds[i]}") >> "${logs[i]}" 2>&1 < /dev/null || rc=$?
  echo "$rc" > "${logs[i]%.log}.rc"
  if [ "$rc" = 0 ]; then echo "[sweep] finished: ${names[i]}"; else echo "[sweep] FAILED (exit $rc): ${names[i]}"; fi
}

if [ "$mode" = local ]; then
  for i in "${!cmds[@]}"; do run_job "$i"; done
else  # one job per GPU: start the next job on the first free GPU
  slot_pids=()
  for i in "${!cmds[@]}"; do
    while :; do
      for s in "${!gpus[@]}"; do
        pid="${slot_pids[s]:-}"
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then break 2; fi
      done
      sleep 1
    done
    run_job "$i" "${gpus[s]}" &
    slot_pids[s]=$!
  done
  wait
fi

failed=0
for i in "${!cmds[@]}"; do
  rc="$(cat "${logs[i]%.log}.rc" 2>/dev/null || echo "?")"
  if [ "$rc" != 0 ]; then
    [ "$failed" = 0 ] && echo "[sweep] failed jobs:"
    failed=$((failed + 1)); echo "  ${names[i]} (exit $rc): log ${logs[i]}"
  fi
done
echo "[sweep] ${#cmds[@]} jobs run, $((${#cmds[@]} - failed)) finished, $failed failed"
[ "$failed" = 0 ]
