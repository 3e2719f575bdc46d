#!/usr/bin/env bash
# One entry point for a fresh machine with only Python 3.10+ on it.
#   ./dev.sh demo [args]   set up .venv (the package only), then run the main job on the bundled data
#   ./dev.sh test [args]   set up .venv, then run every notebook and test file (pytest)
#   ./dev.sh setup         only set up .venv with the development extras (fast when it is already current)
#   ./dev.sh sync          export notebooks -> package, clean notebooks, regenerate the README
# TORCH_SPEC picks the torch build: the default pins the CPU wheel this project is tested with;
# on a GPU machine use e.g. TORCH_SPEC="torch" with your CUDA index.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}

setup() {  # $1 = dev: also the development extras (notebooks, tests, docs); the demo needs only the package
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  # reinstall only when pyproject.toml or the torch pin changed since the last install of that kind
  want="$(cat pyproject.toml; echo "$TORCH_SPEC")"
  want=$(printf '%s' "$want" | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
  [ "$(cat .venv/.dcdd-dev 2>/dev/null)" = "$want" ] && return 0          # a current dev install covers both
  if [ "${1:-}" != dev ] && [ "$(cat .venv/.dcdd-run 2>/dev/null)" = "$want" ]; then return 0; fi
  spec=. stamp=.venv/.dcdd-run
  if [ "${1:-}" = dev ]; then spec=".[dev]" stamp=.venv/.dcdd-dev; fi
  echo "dev.sh: installing dcdd_nb$([ "$spec" = . ] || echo '[dev]') and $TORCH_SPEC into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" "$TORCH_SPEC"
  echo "$want" > "$stamp"
}

export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
cmd=${1:-help}; shift || true
case "$cmd" in
  setup) setup dev ;;
  demo)  setup; exec .venv/bin/python -m dcdd_nb.cli demo "$@" ;;
  test)  setup dev; exec .venv/bin/python -m pytest "$@" ;;
  sync)  setup dev; .venv/bin/nbdev-export; .venv/bin/nbdev-clean; .venv/bin/python -m dcdd_nb.docs readme ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
