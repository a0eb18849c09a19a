#!/usr/bin/env bash
# Evaluation-only: build bench/.venv from PyPI and run the FAQ baselines.
# Usage: bench/run_baselines.sh [extra args for faq_baselines.py]
#   defaults: --kb kb/kb_seed.json --questions kb/dev_questions.json --json
#   (pass --kb/--questions yourself to override; any other flag is forwarded)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || [ "$here/requirements.txt" -nt "$venv/.installed" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
  touch "$venv/.installed"
fi
args=("$@")
user_n=$#
has() { local f; for f in "${args[@]+"${args[@]}"}"; do [ "$f" = "$1" ] && return 0; done; return 1; }
has --kb || args+=(--kb "$root/kb/kb_seed.json")
has --questions || args+=(--questions "$root/kb/dev_questions.json")
[ "$user_n" -gt 0 ] || args+=(--json)
exec "$venv/bin/python" "$here/faq_baselines.py" "${args[@]}"
