#!/usr/bin/env bash
# Create the virtualenv with a Python >= 3.12 and install the project with its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv}"

is_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local c
  for c in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && is_ok "$(command -v "$c")" && { command -v "$c"; return; }
  done
  # pyenv keeps interpreters it will not put on PATH while another version is global.
  local root
  root="$( (pyenv root 2>/dev/null) || echo "$HOME/.pyenv")"
  for c in "$root"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -x "$c" ] && is_ok "$c" && { echo "$c"; return; }
  done
  return 1
}

if [ -x "$VENV/bin/python" ] && is_ok "$VENV/bin/python"; then
  PY="$VENV/bin/python"
else
  if ! BASE="$(find_python)"; then
    echo "error: TCO Console needs Python 3.12 or newer, and none was found." >&2
    echo "       Install one (e.g. 'apt-get install python3.12' or 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
    exit 1
  fi
  echo "==> creating $VENV with $BASE ($("$BASE" --version))"
  rm -rf "$VENV"
  "$BASE" -m venv "$VENV"
  PY="$VENV/bin/python"
fi
echo "==> installing dependencies"
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
