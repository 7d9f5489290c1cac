#!/usr/bin/env bash
# make run: the demo console on SQLite (or DATABASE_URL) with a background worker and the tick.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG="${DEBUG:-1}"
PORT="${PORT:-8000}"

scripts/compile_messages.sh  # issue 17: the Chinese catalog (needs gettext's msgfmt)
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
cat <<SNIPPET

The TCO API answers here too (docs/api.md). List the members with the official SDK:
  .venv/bin/python -c 'from tencentcloud.common.credential import Credential as C; from tencentcloud.common.profile.client_profile import ClientProfile as P; from tencentcloud.common.profile.http_profile import HttpProfile as H; from tencentcloud.organization.v20210331 import models as m, organization_client as o; r = m.DescribeOrganizationMembersRequest(); r.Limit, r.Offset = 50, 0; print(o.OrganizationClient(C("AKIDDEMOADMIN00000000000000000000000", "tcodemo-admin-secret-key-2026"), "", P(httpProfile=H(endpoint="127.0.0.1:${PORT}", protocol="http"))).DescribeOrganizationMembers(r).to_json_string())'
and with tccli:
  .venv/bin/tccli organization DescribeOrganizationMembers --Limit 50 --Offset 0 --endpoint http://127.0.0.1:${PORT} --secretId AKIDDEMOADMIN00000000000000000000000 --secretKey tcodemo-admin-secret-key-2026
SNIPPET
echo
"$PY" manage.py runserver "127.0.0.1:${PORT}"
