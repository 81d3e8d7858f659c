#!/usr/bin/env bash
# Chain the method's phases for one intermediate task and a list of targets:
#   intermediate training (run_intermediate.py) -> for each target: run_target.py, or run_retrieval.py for
#   bucc/tatoeba. `--intermediate none` is the baseline (targets start from the base model).
# Every stage leaves DONE in its folder: a rerun skips finished stages and resumes an interrupted one from its
# last checkpoint. Flags after `--` go to every training stage (any TrainingArguments flag; each task's recipe
# fills in the rest; --intermediate_flags/--target_flags/--flags_for come after them, so they win); retrieval
# stages (no training) get --data_dir, --languages and --retrieval_flags. Before the first stage, every stage is
# checked (arguments, languages, files: scripts/preflight.py); --dry_run only checks and prints the stages;
# --print_stages prints them for scripts/sweep.sh.
#
#   bash run_pipeline.sh --intermediate mnli --targets xnli,pawsx,tatoeba --model_name_or_path xlm-roberta-large \
#        --output_dir runs [--data_dir DIR] [--seed 1] [--languages de,fr] [--launcher "torchrun --nproc_per_node 4"] \
#        [--intermediate_flags "..."] [--target_flags "..."] [--retrieval_flags "--layer 8"] [--flags_for TASK "..."]
#        [--name NAME] [--dry_run] [-- Trainer flags]
# --intermediate takes a task, a comma list or 'all' (multi-task: --tasks), or 'none'. --flags_for TASK adds flags
# to that target's stage only (repeatable). --name NAME names the run folder (default: the intermediate task) and
# records NAME as every stage's --variant (scripts/experiment.py's variants).
# Layout: <output_dir>/<intermediate or NAME>/ (encoder/ inside) and <output_dir>/<intermediate or NAME>/<target>/;
#         the baseline's targets are in <output_dir>/baseline/<target>/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() { echo "run_pipeline.sh: error: $*" >&2; exit 2; }

intermediate="" targets="" model="xlm-roberta-large" out="" data_dir="" seed="" languages=""
python="${PYTHON:-$( [ -x "$here/.venv/bin/python" ] && echo "$here/.venv/bin/python" || echo python3)}"
launcher="$python" intermediate_flags="" target_flags="" retrieval_flags="" extra=() dry_run=0 print_stages=0
name="" flags_for=()  # flags_for: "TASK<US>FLAGS" entries
while [ $# -gt 0 ]; do
  case "$1" in
    --intermediate) intermediate="${2:?}"; shift 2 ;;
    --targets) targets="${2:?}"; shift 2 ;;
    --model_name_or_path) model="${2:?}"; shift 2 ;;
    --output_dir) out="${2:?}"; shift 2 ;;
    --data_dir) data_dir="${2:?}"; shift 2 ;;
    --seed) seed="${2:?}"; shift 2 ;;
    --languages) languages="${2:?}"; shift 2 ;;
    --launcher) launcher="${2:?}"; shift 2 ;;
    --intermediate_flags) intermediate_flags="${2:?}"; shift 2 ;;
    --target_flags) target_flags="${2:?}"; shift 2 ;;
    --retrieval_flags) retrieval_flags="${2:?}"; shift 2 ;;
    --flags_for) flags_for+=("${2:?}"$'\x1f'"${3?--flags_for TASK FLAGS}"); shift 3 ;;
    --name) name="${2:?}"; shift 2 ;;
    --dry_run) dry_run=1; shift ;;
    --print_stages) print_stages=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument '$1' (Trainer flags go after '--'; see --help)" ;;
  esac
done
[ -n "$intermediate" ] || die "--intermediate is required (a task such as mnli, or 'none' for the baseline)"
[ -n "$targets" ] || die "--targets is required (e.g. xnli,pawsx)"
[ -n "$out" ] || die "--output_dir is required"

[ -z "$name" ] || [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "--name must be a folder name (letters, digits, . _ + -), got '$name'"
data_args=()
[ -n "$data_dir" ] && data_args+=(--data_dir "$data_dir")
[ -n "$name" ] && data_args+=(--variant "$name")
train_args=("${data_args[@]}")
[ -n "$seed" ] && train_args+=(--seed "$seed")
train_args+=("${extra[@]}")

# ---- the stages: names[i], dirs[i], and stages[i] = script and arguments joined by the unit separator $US
US=$'\x1f' names=() dirs=() stages=()
add_stage() {  # add_stage NAME DIR SCRIPT ARGS...
  local name="$1" dir="$2" joined; shift 2
  printf -v joined "%s$US" "$@" --output_dir "$dir"
  names+=("$name"); dirs+=("$dir"); stages+=("${joined%"$US"}")
}

if [ "$intermediate" = "none" ] || [ "$intermediate" = "baseline" ]; then
  run_dir="$out/${name:-baseline}"; encoder="$model"
else
  run_dir="$out/${name:-$intermediate}"; encoder="$run_dir/encoder"
  task_flag=--task; case "$intermediate" in *,*|all) task_flag=--tasks ;; esac  # several: multi-task training
  # shellcheck disable=SC2086
  add_stage "intermediate $intermediate" "$run_dir" "$here/run_intermediate.py" \
    "$task_flag" "$intermediate" --model_name_or_path "$model" "${train_args[@]}" $intermediate_flags
fi
lang_args=()
[ -n "$languages" ] && lang_args+=(--languages "$languages")
IFS=',' read -r -a target_list <<< "$targets"
for target in "${target_list[@]}"; do
  case "$target" in  # retrieval uses the encoder as it is; every other target is trained
    bucc|tatoeba) script=("$here/run_retrieval.py" $retrieval_flags "${data_args[@]}") ;;  # one process
    *) script=("$here/run_target.py" "${train_args[@]}" $target_flags) ;;  # a stage's own flags win
  esac
  own=()  # --flags_for this target (last, so they win)
  for entry in "${flags_for[@]}"; do
    # shellcheck disable=SC2206
    [ "${entry%%$'\x1f'*}" = "$target" ] && own+=(${entry#*$'\x1f'})
  done
  add_stage "target $target" "$run_dir/$target" "${script[@]}" --task "$target" --model_name_or_path "$encoder" \
    "${lang_args[@]}" "${own[@]}"
done

records() {  # the preflight records of the stages still to run (finished ones are skipped anyway)
  [ "$encoder" != "$model" ] && printf 'planned%s%s\n' "$US" "$encoder"
  for i in "${!stages[@]}"; do [ -f "${dirs[i]}/DONE" ] || printf 'stage%s%s\n' "$US" "${stages[i]}"; done
}
if [ "$print_stages" = 1 ]; then records; exit 0; fi
# the stages' batches are split over the launcher's processes: the check uses their number
world="$(grep -oE -- '--nproc[_-]per[_-]node[= ]+[0-9]+' <<< "$launcher" | grep -oE '[0-9]+$' || true)"
records | env ${world:+WORLD_SIZE="$world"} "$python" "$here/scripts/preflight.py" || exit 2
if [ "$dry_run" = 1 ]; then
  for i in "${!stages[@]}"; do
    state="to run"; [ -f "${dirs[i]}/DONE" ] && state="finished"
    echo "[pipeline] ${names[i]} ($state): ${stages[i]//$US/ }"
  done
  exit 0
fi

stage() {  # stage INDEX: skip when its DONE exists, else run (resuming from checkpoints)
  local i="$1" args
  if [ -f "${dirs[i]}/DONE" ]; then echo "[pipeline] ${names[i]}: finished earlier (${dirs[i]}/DONE), skipped"; return 0; fi
  echo "[pipeline] ${names[i]}: running -> ${dirs[i]}"
  IFS="$US" read -r -a args <<< "${stages[i]}"
  case "${args[0]}" in  # retrieval encodes on one process; training stages use the launcher
    */run_retrieval.py) "$python" "${args[@]}" ;;
    # shellcheck disable=SC2086
    *) $launcher "${args[@]}" ;;
  esac
}

first=0
if [ "$encoder" != "$model" ]; then stage 0 || exit 1; first=1; fi
failed=()
for ((i = first; i < ${#stages[@]}; i++)); do
  stage "$i" || failed+=("${names[i]#target }")
done
if [ ${#failed[@]} -gt 0 ]; then  # one failed target does not stop the others
  echo "[pipeline] failed targets: ${failed[*]} (rerun the same command to retry them)" >&2; exit 1
fi
echo "[pipeline] done: $run_dir"
