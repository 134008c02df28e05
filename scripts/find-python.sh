#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter that actually runs.
# Order: $REFORMABM_PYTHON, python3.13, python3.12 on PATH, then pyenv's versions.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
cands=()
[ -n "${REFORMABM_PYTHON:-}" ] && cands+=("$REFORMABM_PYTHON")
cands+=(python3.12 python3.13 python3)
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for v in $(ls "$root/versions" 2>/dev/null | sort -V | awk '/^3\.12/{a=a" "$0; next} {b=$0" "b} END{print a" "b}'); do cands+=("$root/versions/$v/bin/python3"); done
for c in "${cands[@]}"; do
  p=$(command -v "$c" 2>/dev/null) || continue
  if ok "$p"; then
    # resolve pyenv shims to the real interpreter
    "$p" -c 'import sys; print(sys.executable)'; exit 0
  fi
done
echo "reformabm needs Python >= 3.12 (Mesa 3.5). None found: tried ${cands[*]}." >&2
echo "Install one (e.g. 'pyenv install 3.12') or set REFORMABM_PYTHON=/path/to/python3.12." >&2
exit 1
