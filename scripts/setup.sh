#!/usr/bin/env bash
# Create .venv beside the project and install requirements.txt into it, when that is not done yet.
# Prints the virtual environment's python last. Idempotent: a complete .venv is left as it is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
need="import torch, transformers, datasets, accelerate, seqeval, sklearn, matplotlib, safetensors, pytest, xdist, sentencepiece, google.protobuf"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$need" 2>/dev/null \
   && [ "$venv/.requirements" -nt "$root/requirements.txt" ]; then
  echo "$venv/bin/python"; exit 0
fi
command -v python3 >/dev/null || { echo "setup: error: python3 (3.10 or newer) is not installed" >&2; exit 1; }
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "setup: error: python3 is $(python3 --version 2>&1); 3.10 or newer is needed" >&2; exit 1; }
echo "setup: installing requirements.txt into $venv (once; a few minutes)" >&2
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" || {
  echo "setup: error: 'python3 -m venv' failed; install your system's python3-venv package" >&2; exit 1; }
if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$root/requirements.txt" >&2; then
  echo "setup: error: pip could not install requirements.txt into $venv (no network or no package index?)." >&2
  echo "       Missing: $("$venv/bin/python" -c "$need" 2>&1 | tail -1)" >&2
  exit 1
fi
touch "$venv/.requirements"
echo "$venv/bin/python"
