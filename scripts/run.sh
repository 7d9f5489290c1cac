#!/usr/bin/env bash
# make run: the demo console on SQLite (or DATABASE_URL) with a background worker and the tick.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG="${DEBUG:-1}"
PORT="${PORT:-8000}"

"$PY" manage.py migrate --noinput
"$PY" manage.py seed_demo

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

"$PY" manage.py worker --no-reload --interval 1 &  # survives database restarts
pids+=($!)
# The periodic tick: enqueue due tasks every minute (cron does this in production).
( while true; do "$PY" manage.py tick >/dev/null 2>&1 || true; sleep 60; done ) &
pids+=($!)

echo
echo "TCO Console: http://127.0.0.1:${PORT}/   (operators: http://127.0.0.1:${PORT}/admin/)"
"$PY" manage.py seed_demo --logins-only
echo
"$PY" manage.py runserver "127.0.0.1:${PORT}"
