#!/usr/bin/env bash
# Create .venv/ with a Python >= 3.12 and install reformabm with the given extras.
# Usage: scripts/setup.sh [EXTRAS]    (default extras: dev,viz,dask,sa,discovery,notebooks,calibration)
# Re-running is cheap: nothing is reinstalled unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev,viz,dask,sa,discovery,notebooks,calibration}"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  py=$(scripts/find-python.sh) || exit 1
  echo "setup: creating .venv with $py ($("$py" -V 2>&1))"
  rm -rf .venv
  "$py" -m venv .venv
fi
stamp=".venv/.reformabm-installed"
want="$(cat pyproject.toml | sha256sum | cut -c1-16) $extras"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setup: installing reformabm[$extras] into .venv (about a minute the first time)"
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q -e ".[$extras]" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import reformabm, mesa" || { echo "setup: installation failed" >&2; exit 1; }
echo "$want" > "$stamp"
echo "setup: done ($(.venv/bin/python -c 'import mesa, sys; print("Python", sys.version.split()[0], "Mesa", mesa.__version__)'))"
