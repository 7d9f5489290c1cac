#!/usr/bin/env bash
# CI: start the console exactly as README's "Production-like start" says (migrate,
# collectstatic, gunicorn, DEBUG=0) against DATABASE_URL (a fresh database), check the
# deployment settings, load the demo logins, then sign in as each role through gunicorn
# (scripts/prod_smoke.py) and stop it. tests/test_production.py keeps these command lines
# and README's identical.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to a fresh PostgreSQL database}"
PY=.venv/bin/python

SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export SECRET_KEY PORT ALLOWED_HOSTS=127.0.0.1 DEBUG=0
unset DJANGO_SETTINGS_MODULE TCO_INSECURE_DEV_KEY TCO_PLAIN_STATIC

echo "==> manage.py check --deploy (production settings)"
"$PY" manage.py check --deploy --fail-level WARNING

echo "==> README's production start on port $PORT"
rm -rf staticfiles
.venv/bin/python manage.py compilemessages --ignore=.venv
.venv/bin/python manage.py migrate
.venv/bin/python manage.py load_catalog
.venv/bin/python manage.py collectstatic --noinput
.venv/bin/gunicorn tco_console.wsgi -c tco_console/gunicorn_conf.py --bind 0.0.0.0:${PORT:-8000} &
gunicorn_pid=$!
.venv/bin/python manage.py worker --no-reload &
worker_pid=$!
trap 'kill "$gunicorn_pid" "$worker_pid" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

echo "==> a fresh database has a catalog to buy from (load_catalog)"
"$PY" manage.py shell -c 'from billing.models import Spec; n = Spec.objects.count(); print(n, "specs"); assert n > 0'

echo "==> demo logins"
"$PY" manage.py seed_demo >/dev/null

kill -0 "$gunicorn_pid" 2>/dev/null || { echo "error: gunicorn exited" >&2; exit 1; }
kill -0 "$worker_pid" 2>/dev/null || { echo "error: the worker exited" >&2; exit 1; }

echo "==> signing in as each role through gunicorn"
"$PY" scripts/prod_smoke.py "http://127.0.0.1:$PORT"
