#!/usr/bin/env bash
# One intermediate task, then its targets: language adapters (if asked), intermediate training, then each target (the
# entry script from the task registry). `bash run_pipeline.sh --help` lists the flags. The planner (python -m pipeline
# run: pipeline/) checks every stage, prints the dry run, the commands or the cost estimate, and hands the stages to
# run to this launcher, which runs them in order: a finished stage (DONE) is skipped, a failed language adapter or
# intermediate stage stops the pipeline, a failed target does not stop the others.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-$( [ -x "$here/.venv/bin/python" ] && echo "$here/.venv/bin/python" || echo python3)}"
plan="$(mktemp)"; trap 'rm -f "$plan"' EXIT
PYTHONSAFEPATH=1 PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pipeline run --launch_plan "$plan" "$@" || exit $?
[ -s "$plan" ] || exit 0
names=() dirs=() cmds=() run_dir=""
source "$plan"  # run_dir; names[i], dirs[i] (its output folder) and cmds[i] (its command line) of every stage

failed=()
for i in "${!cmds[@]}"; do
  if [ -f "${dirs[i]}/DONE" ]; then echo "[pipeline] ${names[i]}: finished earlier (${dirs[i]}/DONE), skipped"; continue; fi
  echo "[pipeline] ${names[i]}: running -> ${dirs[i]}"
  eval "${cmds[i]}" < /dev/null && continue
  [ "${names[i]%% *}" = target ] || exit 1  # every target needs its encoder and language adapters
  failed+=("${names[i]#target }")
done
if [ ${#failed[@]} -gt 0 ]; then  # one failed target does not stop the others
  echo "[pipeline] failed targets: ${failed[*]} (rerun the same command to retry them)" >&2; exit 1
fi
echo "[pipeline] done: $run_dir"
