#!/usr/bin/env bash
# One cell of every kind on the GPU (a few steps each, bf16, an XLM-R-large-shaped encoder with random weights built
# here, the kinds' real sequence lengths), multi-task training, BUCC mining and Tatoeba, and the training benchmark
# with MFU; one JSON summary (default gpu_check.json). At most 8 minutes on a GPU (GPU_CHECK_TIMEOUT seconds: 480).
#   bash scripts/gpu_check.sh [--out FILE] [--tokenizer DIR] [--steps N]
#   bash scripts/gpu_check.sh --cpu          # the same plan on the tiny model, on the CPU
# Offline: the tokenizer is XLM-R's from ../shared/tools/real-model, or --tokenizer DIR, else one trained here.
# Python: $PYTHON, else the project's .venv, else python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x "$root/.venv/bin/python" ]; then python="$root/.venv/bin/python"; else python="$(command -v python3)"; fi
fi
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}"  # nothing comes from the hub
cd "$root"
limit=480  # the GPU plan's budget; on a CPU the tiny model's plan runs without one unless GPU_CHECK_TIMEOUT says
for arg in "$@"; do [ "$arg" = "--cpu" ] && limit=0; done
exec timeout --signal=TERM --kill-after=20 "${GPU_CHECK_TIMEOUT:-$limit}" "$python" scripts/gpu_check.py "$@"
