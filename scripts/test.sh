#!/usr/bin/env bash
# Run the test suite (slow real-model tests included) in the project's .venv, installing it when missing.
# Arguments go to pytest, e.g.  bash scripts/test.sh -m "not slow"   or   bash scripts/test.sh tests/test_report.py
# The tests run on one pytest-xdist worker per core (at most 4; each worker's torch gets cores/workers threads,
# tests/conftest.py), slow tests first and an idle worker taking a busy one's pending tests (--dist worksteal);
# -n 0 runs them in this one process, -n N on N workers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$(bash "$root/scripts/setup.sh" | tail -1)"
export PATH="$(dirname "$python"):$PATH" TOKENIZERS_PARALLELISM=false
cd "$root"
marker=(-m "slow or not slow")
workers=(-n auto --maxprocesses 4 --dist worksteal)
for arg in "$@"; do
  [ "$arg" = "-m" ] && marker=()
  case "$arg" in -n|-n[0-9]*|--numprocesses|--numprocesses=*) workers=() ;; esac
done
exec "$python" -m pytest "${marker[@]}" "${workers[@]}" "$@"
