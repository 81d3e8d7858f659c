#!/usr/bin/env bash
# Run a grid of intermediate tasks x targets x seeds x base models with run_pipeline.sh. One job = one base
# model, seed and intermediate task with all the targets (the intermediate checkpoint is trained once and
# reused by every target). Job J writes <output_dir>/<model>/seed<S>/<intermediate>/<target>/ and logs to
# <output_dir>/sweep_logs/<model>_seed<S>_<intermediate>.log (its exit status beside it, .rc).
#
#   bash scripts/sweep.sh --intermediates none,mnli,squad --targets xnli,pawsx,tatoeba --output_dir runs \
#        [--models xlm-roberta-large,xlm-roberta-base] [--seeds 1,2,3] [--data_dir DIR] [--languages de,fr] \
#        [--mode local|gpus|slurm] [--gpus 0,1,2,3] [--max_parallel N] [--sbatch_option OPT]... \
#        [--pipeline PATH] [--dry_run | --status | --estimate FILE|DIR] [-- extra Trainer flags for every stage]
#   bash scripts/sweep.sh --experiment experiments/q1_domain_shift.json --output_dir runs [--mini] [--mode ...]
#
# --experiment FILE takes the variants (intermediate configurations), targets, models and seeds from an experiment
# file (scripts/experiment.py says what it holds) instead of --intermediates/--targets/--models/--seeds: one job per
# model, seed and variant, in <output_dir>/<model>/seed<S>/<variant>/. --mini runs its miniature ("mini" section:
# prints what it shrinks, prepares its data first).
# Modes: local runs the jobs one after another; gpus runs one job per GPU (CUDA_VISIBLE_DEVICES) from a queue;
# slurm writes <output_dir>/sweep_logs/sweep.sbatch (a job array, one GPU per job) and submits it with sbatch
# (--sbatch_option adds '#SBATCH OPT' lines; --max_parallel caps running array jobs). --dry_run prints the
# commands, or the sbatch file, and runs nothing; --status lists each job's state (done, failed, not run).
# Before anything runs (also with --dry_run), every stage of every job is checked (scripts/preflight.py).
# --estimate then prints each stage's estimated GPU-hours and runs nothing (scripts/estimate_cost.py; FILE:
# benchmarks/bench_training.py's measurements, --throughput; DIR: finished runs' cost records, --from_runs).
# Idempotent: jobs whose targets all have DONE are skipped, and the pipeline skips finished stages and resumes
# interrupted ones. A failed job does not stop the others; the failures are listed at the end with their logs
# (exit status 1). 'none' (or 'baseline') is the baseline.
# The pipeline is run_pipeline.sh beside scripts/, or --pipeline PATH, or $XSTILTS_PIPELINE.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '2,28s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() { echo "sweep.sh: error: $*" >&2; exit 2; }

intermediates="" targets="" out="" models="xlm-roberta-large" seeds="1" data_dir="" languages=""
mode="local" gpus="" max_parallel="" dry_run=0 status=0 sbatch_options=() extra=() experiment="" mini=0 axes=""
pipeline="${XSTILTS_PIPELINE:-$here/../run_pipeline.sh}" estimate=""
while [ $# -gt 0 ]; do
  case "$1" in
    --intermediates) intermediates="${2:?}"; axes="$axes $1"; shift 2 ;;
    --targets) targets="${2:?}"; axes="$axes $1"; shift 2 ;;
    --experiment) experiment="${2:?}"; shift 2 ;;
    --mini) mini=1; shift ;;
    --output_dir) out="${2:?}"; shift 2 ;;
    --models) models="${2:?}"; axes="$axes $1"; shift 2 ;;
    --seeds) seeds="${2:?}"; axes="$axes $1"; shift 2 ;;
    --data_dir) data_dir="${2:?}"; shift 2 ;;
    --languages) languages="${2:?}"; shift 2 ;;
    --mode) mode="${2:?}"; shift 2 ;;
    --gpus) gpus="${2:?}"; shift 2 ;;
    --max_parallel) max_parallel="${2:?}"; shift 2 ;;
    --sbatch_option) sbatch_options+=("${2:?}"); shift 2 ;;
    --pipeline) pipeline="${2:?}"; shift 2 ;;
    --estimate) estimate="${2:?}"; shift 2 ;;
    --dry_run) dry_run=1; shift ;;
    --status) status=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument '$1' (Trainer flags go after '--'; see --help)" ;;
  esac
done
if [ -n "$experiment" ]; then
  [ -z "$axes" ] || die "--experiment takes its variants, targets, models and seeds from the file; drop${axes}"
else
  [ "$mini" = 0 ] || die "--mini needs --experiment FILE"
  [ -n "$intermediates" ] || die "--intermediates is required (e.g. none,mnli,squad; 'none' = the baseline)"
  [ -n "$targets" ] || die "--targets is required (e.g. xnli,pawsx)"
fi
[ -n "$out" ] || die "--output_dir is required"
case "$mode" in local|gpus|slurm) ;; *) die "--mode must be local, gpus or slurm, got '$mode'" ;; esac
[ -f "$pipeline" ] || die "pipeline script $pipeline not found (--pipeline PATH or \$XSTILTS_PIPELINE)"
[[ "$seeds" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--seeds must be a comma list of integers, got '$seeds'"
[ -z "$max_parallel" ] || [[ "$max_parallel" =~ ^[1-9][0-9]*$ ]] || die "--max_parallel must be a positive integer"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
pipeline="$(cd "$(dirname "$pipeline")" && pwd)/$(basename "$pipeline")"
logdir="$out/sweep_logs"

# ---- the job list: cmds[i] (a shell-quoted command line), logs[i], names[i], dirs[i] (its run folder),
#      job_targets[i] (its targets, comma-separated)
cmds=() checks=() logs=() names=() dirs=() job_targets=() tags=""
python="${PYTHON:-$( [ -x "$here/../.venv/bin/python" ] && echo "$here/../.venv/bin/python" || echo python3)}"
if [ -n "$experiment" ]; then  # scripts/experiment.py: job<US>name<US>log<US>dir<US>targets<US>options...<US>--<US>flags...
  mini_flag=(); [ "$mini" = 1 ] && mini_flag=(--mini)
  records="$("$python" "$here/experiment.py" "$experiment" --output_dir "$out" "${mini_flag[@]}" --jobs)" \
    || die "the experiment $experiment cannot run (see above); nothing was run"
  while IFS=$'\x1f' read -r -a fields; do
    [ "${fields[0]:-}" = job ] || continue
    names+=("${fields[1]}"); logs+=("$logdir/${fields[2]}.log"); dirs+=("${fields[3]}"); job_targets+=("${fields[4]}")
    opts=() flags=() after=0
    for field in "${fields[@]:5}"; do
      if [ "$after" = 1 ]; then flags+=("$field"); elif [ "$field" = "--" ]; then after=1; else opts+=("$field"); fi
    done
    [ -n "$data_dir" ] && opts+=(--data_dir "$data_dir")
    [ -n "$languages" ] && opts+=(--languages "$languages")
    flags+=("${extra[@]}")
    args=(bash "$pipeline" "${opts[@]}") check=(bash "$pipeline" "${opts[@]}" --print_stages)
    [ ${#flags[@]} -gt 0 ] && args+=(-- "${flags[@]}") && check+=(-- "${flags[@]}")
    cmds+=("$(printf '%q ' "${args[@]}")"); checks+=("$(printf '%q ' "${check[@]}")")
  done <<< "$records"
  model_list=() seed_list=() inter_list=()
fi
[ -n "$experiment" ] || IFS=',' read -r -a model_list <<< "$models"
[ -n "$experiment" ] || IFS=',' read -r -a seed_list <<< "$seeds"
[ -n "$experiment" ] || IFS=',' read -r -a inter_list <<< "$intermediates"
for model in "${model_list[@]}"; do
  tag="$(basename "$model" | tr -c 'A-Za-z0-9._\n-' '_')"
  case " $tags " in *" $tag "*) die "two models in --models share the folder name '$tag'" ;; esac
  tags="$tags $tag"
  for seed in "${seed_list[@]}"; do
    for inter in "${inter_list[@]}"; do
      name="$inter"; [ "$inter" = "none" ] && name="baseline"
      args=(bash "$pipeline" --intermediate "$inter" --targets "$targets" --model_name_or_path "$model"
            --output_dir "$out/$tag/seed$seed" --seed "$seed")
      [ -n "$data_dir" ] && args+=(--data_dir "$data_dir")
      [ -n "$languages" ] && args+=(--languages "$languages")
      check=("${args[@]}" --print_stages)
      [ ${#extra[@]} -gt 0 ] && args+=(-- "${extra[@]}") && check+=(-- "${extra[@]}")
      cmds+=("$(printf '%q ' "${args[@]}")")
      checks+=("$(printf '%q ' "${check[@]}")")
      names+=("$tag seed$seed $name")
      logs+=("$logdir/${tag}_seed${seed}_${name}.log")
      dirs+=("$out/$tag/seed$seed/$name"); job_targets+=("$targets")
    done
  done
done

job_done() {  # every target of job $1 has its DONE marker
  local target target_list
  IFS=',' read -r -a target_list <<< "${job_targets[$1]}"
  for target in "${target_list[@]}"; do [ -f "${dirs[$1]}/$target/DONE" ] || return 1; done
}

run_job() {  # run_job INDEX [GPU]: run one job, its output appended to its log, its exit status in .rc
  local i="$1" gpu="${2:-}" rc=0
  echo "[sweep] start: ${names[i]}${gpu:+ on GPU $gpu} (log ${logs[i]})"
  echo "=== $(date '+%F %T') ${gpu:+CUDA_VISIBLE_DEVICES=$gpu }${cmds[i]}" >> "${logs[i]}"
  if [ -n "$gpu" ]; then
    (export CUDA_VISIBLE_DEVICES="$gpu"; eval "${cmds[i]}") >> "${logs[i]}" 2>&1 || rc=$?
  else
    (eval "${cmds[i]}") >> "${logs[i]}" 2>&1 || rc=$?
  fi
  echo "$rc" > "${logs[i]%.log}.rc"
  if [ "$rc" = 0 ]; then echo "[sweep] finished: ${names[i]}"; else echo "[sweep] FAILED (exit $rc): ${names[i]}"; fi
}

if [ "$status" = 1 ]; then  # done / failed (exit status, log) / not run or still running
  failed=0
  for i in "${!cmds[@]}"; do
    rc="$(cat "${logs[i]%.log}.rc" 2>/dev/null || echo "")"
    if job_done "$i"; then echo "done: ${names[i]}"
    elif [ -n "$rc" ] && [ "$rc" != 0 ]; then failed=$((failed + 1)); echo "FAILED (exit $rc): ${names[i]}: log ${logs[i]}"
    else echo "not run or running: ${names[i]}"; fi
  done
  [ "$failed" = 0 ]; exit
fi

# ---- which jobs still need to run
todo=()
for i in "${!cmds[@]}"; do
  if job_done "$i"; then echo "[sweep] skip (all targets DONE): ${names[i]}"; else todo+=("$i"); fi
done
echo "[sweep] ${#cmds[@]} jobs, ${#todo[@]} to run, mode $mode"
[ ${#todo[@]} -gt 0 ] || exit 0

# ---- every stage of every job still to run is checked (arguments, languages, files) before the first starts
for i in "${todo[@]}"; do eval "${checks[i]}" || die "could not list the stages of: ${names[i]}"; done \
  | "$python" "$here/preflight.py" || die "the grid would fail (see above); nothing was run"
if [ -n "$estimate" ]; then  # the cost model on the same stage records; nothing runs
  source_flag=--throughput; [ -d "$estimate" ] && source_flag=--from_runs
  for i in "${todo[@]}"; do eval "${checks[i]}"; done | "$python" "$here/estimate_cost.py" "$source_flag" "$estimate"
  exit
fi

gpu_list() {
  if [ -n "$gpus" ]; then echo "$gpus"
  elif [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then echo "$CUDA_VISIBLE_DEVICES"
  else nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | paste -sd, -; fi
}

sbatch_file() {  # the job array: array task k runs todo[k]
  local k i
  echo "#!/usr/bin/env bash"
  echo "#SBATCH --job-name=xstilts-sweep"
  echo "#SBATCH --array=0-$(( ${#todo[@]} - 1 ))${max_parallel:+%$max_parallel}"
  echo "#SBATCH --gres=gpu:1"
  echo "#SBATCH --output=$logdir/slurm-%A_%a.out"
  for opt in "${sbatch_options[@]}"; do echo "#SBATCH $opt"; done
  echo 'rc=0; case "${SLURM_ARRAY_TASK_ID:?run me with sbatch}" in'
  for k in "${!todo[@]}"; do
    i="${todo[k]}"
    echo "  $k) log=$(printf '%q' "${logs[i]}"); cmd=(${cmds[i]}) ;;"
  done
  echo 'esac'
  echo 'echo "=== $(date "+%F %T") ${cmd[*]}" >> "$log"'
  echo '"${cmd[@]}" >> "$log" 2>&1 || rc=$?'
  echo 'echo "$rc" > "${log%.log}.rc"; exit "$rc"'
}

if [ "$mode" = slurm ]; then
  if [ "$dry_run" = 1 ]; then sbatch_file; echo "# dry run: would write $logdir/sweep.sbatch and run: sbatch $logdir/sweep.sbatch"; exit 0; fi
  mkdir -p "$logdir"
  sbatch_file > "$logdir/sweep.sbatch.tmp" && mv "$logdir/sweep.sbatch.tmp" "$logdir/sweep.sbatch"
  ${SBATCH:-sbatch} "$logdir/sweep.sbatch" || die "sbatch $logdir/sweep.sbatch failed"
  echo "[sweep] submitted ${#todo[@]} array jobs; logs and exit statuses (.rc) in $logdir;" \
       "rerun this command after they end to resubmit only the unfinished ones"
  exit 0
fi

IFS=',' read -r -a gpu_array <<< "$( [ "$mode" = gpus ] && gpu_list )"
[ "$mode" != gpus ] || [ ${#gpu_array[@]} -gt 0 ] || die "--mode gpus: no GPU found (give --gpus 0,1,...)"
if [ "$dry_run" = 1 ]; then  # gpus mode: the first round's GPUs; later jobs take whichever GPU frees first
  for k in "${!todo[@]}"; do
    i="${todo[k]}"; prefix=""
    [ "$mode" = gpus ] && prefix="CUDA_VISIBLE_DEVICES=${gpu_array[k % ${#gpu_array[@]}]} "
    echo "$prefix${cmds[i]}>> $(printf '%q' "${logs[i]}") 2>&1"
  done
  exit 0
fi

mkdir -p "$logdir"
for i in "${todo[@]}"; do rm -f "${logs[i]%.log}.rc"; done
if [ "$mode" = local ]; then
  for i in "${todo[@]}"; do run_job "$i"; done
else  # one job per GPU: start the next job on the first free GPU
  slot_pids=()
  for i in "${todo[@]}"; do
    while :; do
      for s in "${!gpu_array[@]}"; do
        pid="${slot_pids[s]:-}"
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then break 2; fi
      done
      sleep 1
    done
    run_job "$i" "${gpu_array[s]}" &
    slot_pids[s]=$!
  done
  wait
fi

failed=0
for i in "${todo[@]}"; do
  rc="$(cat "${logs[i]%.log}.rc" 2>/dev/null || echo "?")"
  if [ "$rc" != 0 ]; then
    [ "$failed" = 0 ] && echo "[sweep] failed jobs:"
    failed=$((failed + 1)); echo "  ${names[i]} (exit $rc): log ${logs[i]}"
  fi
done
echo "[sweep] ${#todo[@]} jobs run, $((${#todo[@]} - failed)) finished, $failed failed"
[ "$failed" = 0 ]
