#!/usr/bin/env bash
# The paper in miniature, on real data: does English intermediate training on a syntactic task (UD POS tagging,
# standing in for the paper's CCG) change zero-shot cross-lingual transfer to another task (PAN-X NER in
# de, fr, nl, pt) and the encoder's sentence retrieval (Tatoeba, before and after)? Baseline vs intermediate,
# then the report's table of differences and its heatmap. About ten minutes on a 2-core CPU.
#
#   bash scripts/demo.sh [OUTPUT_DIR (default: demo_runs)]
#
# Offline (../shared beside the project, as on CI): the real multilingual-e5-small built by
# ../shared/tools/real-model and the original files in ../shared/data. Otherwise: the same model and the
# same tasks from the HuggingFace hub. Rerunning skips finished stages.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/demo_runs}" && cd "${1:-$root/demo_runs}" && pwd)"
shared="${XSTILTS_SHARED:-$root/../shared}"
python="$(bash "$root/scripts/setup.sh" | tail -1)"
export PATH="$(dirname "$python"):$PATH" TOKENIZERS_PARALLELISM=false PYTHON="$python"
languages=de,fr,nl,pt
start=$SECONDS
step() { echo; echo "=== [demo $1/5, $((SECONDS - start)) s] $2"; }

step 1 "model and data"
data_args=()
if [ -d "$shared/data" ] && [ -x "$shared/tools/real-model" ]; then
  model="$("$shared/tools/real-model" | tail -1)"
  data="$out/data"
  if [ ! -f "$data/READY" ]; then  # the original formats -> the local layout (DESIGN.md), in one process
    "$python" - "$root" "$shared/data" "$data" "$languages" <<'PY'
import sys
root, raw, out, languages = sys.argv[1:]
sys.path.insert(0, root)
import prepare_data
from tasks import TATOEBA_NAMES
jobs = [("conllu", "udpos/en_ewt-ud-train.conllu", "udpos", "train", "en"),
        ("conllu", "udpos/en_ewt-ud-dev.conllu", "udpos", "validation", "en"),
        ("wikiann", "panx/en/train", "panx", "train", "en"), ("wikiann", "panx/en/dev", "panx", "validation", "en")]
for lang in languages.split(","):
    code = TATOEBA_NAMES[lang]
    jobs += [("wikiann", f"panx/{lang}/test", "panx", "test", lang),
             ("tatoeba", f"tatoeba/tatoeba.{code}-eng.{code}", "tatoeba", "test", lang)]
for fmt, path, task, split, lang in jobs:
    prepare_data.main(["--from_raw", fmt, "--input", f"{raw}/{path}", "--task", task, "--split", split,
                       "--lang", lang, "--out", out])
PY
    touch "$data/READY"
  fi
  data_args=(--data_dir "$data")
  echo "model: $model (offline); data: $data (from $shared/data)"
else
  model=intfloat/multilingual-e5-small
  echo "model: $model; data: the HuggingFace hub (no ../shared found)"
fi

# Small but real: 2,000 training sentences per task, 500 evaluation sentences per language, one epoch.
train_flags=(--max_train_samples 2000 --max_eval_samples 500 --num_train_epochs 1 --learning_rate 5e-5
             --per_device_train_batch_size 16 --gradient_accumulation_steps 1 --per_device_eval_batch_size 64
             --logging_steps 25 --seed 1)
pipeline() {
  bash "$root/run_pipeline.sh" --intermediate "$1" --targets panx,tatoeba --model_name_or_path "$model" \
    --output_dir "$out/runs" --languages "$languages" "${data_args[@]}" \
    --retrieval_flags "--max_eval_samples 500" -- "${train_flags[@]}"
}
step 2 "baseline: PAN-X trained from the base model, Tatoeba with the base model"
pipeline none
step 3 "intermediate task: English UD POS tagging -> encoder"
step 4 "targets from the intermediate encoder: PAN-X zero-shot on $languages, Tatoeba"
pipeline udpos
step 5 "report"
summary="$("$python" "$root/scripts/report.py" "$out/runs" --output_dir "$out/report")"
echo
sed -n '1,22p' "$out/report/report.md"
echo
echo "$summary"
echo "(multilingual-e5-small is a contrastive sentence encoder, unlike the paper's MLM-only XLM-R: a token-level"
echo " intermediate task can only move it away from retrieval; README \"What to expect\".)"
echo "Finished in $((SECONDS - start)) s. Full report: $out/report/report.md; heatmap: $(ls "$out"/report/heatmap_*.png | head -1)"
