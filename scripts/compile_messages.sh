#!/usr/bin/env bash
# Issue 17: compile the translation catalogs (locale/<lang>/LC_MESSAGES/django.po -> django.mo).
# The .mo files are built here, by `make run`, `make test` and CI, never committed (.gitignore).
# Needs GNU gettext's msgfmt; says how to get it when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v msgfmt >/dev/null 2>&1; then
  echo "error: msgfmt (GNU gettext) is missing, so the Chinese catalog cannot be compiled." >&2
  echo "       Install it: 'apt-get install gettext' (Debian, Ubuntu) or 'brew install gettext' (macOS)." >&2
  exit 1
fi
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-tco_console.settings_test}"
echo "==> compiling the translation catalogs (locale/)"
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=staticfiles --verbosity 0
