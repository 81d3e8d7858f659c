#!/usr/bin/env bash
# Run the test suite (slow real-model tests included) in the project's .venv, installing it when missing.
# Arguments go to pytest, e.g.  bash scripts/test.sh -m "not slow"   or   bash scripts/test.sh tests/test_report.py
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$(bash "$root/scripts/setup.sh" | tail -1)"
export PATH="$(dirname "$python"):$PATH" TOKENIZERS_PARALLELISM=false
cd "$root"
marker=(-m "slow or not slow")
for arg in "$@"; do [ "$arg" = "-m" ] && marker=(); done
exec "$python" -m pytest "${marker[@]}" "$@"
