"""The bench's page timings (issue 16, target 2), in a process of their own.

`manage.py bench` loads a dataset, then runs this module (`python -m billing.bench_pages`)
with the dataset's database: a fresh process that sets Django up, signs the bench's users in
and freezes what it has loaded, as a gunicorn worker starts (tco_console/gunicorn_conf.py),
then requests every page in-process (Django's test client: server time, no network): three
warm-ups each (then what they built is frozen too, as a worker's by its 100th request), then
`repeat` rounds that each time every page once, in turn (p50, p95), then
one counted request each (queries), and for each admin summary page the hand-written SQL
computing the same numbers from the bill lines. In rounds, a change in the machine's speed
during the run (a shared 2-core machine's speed wandered by a third within minutes) weighs on
every page and on the floor alike, instead of on the pages timed while it lasted. Pages are
not timed in the process that has just loaded the dataset: measured there, the heavier
pages took up to twice as long as the same pages in a fresh process on the same data
(member accounts 62–70 ms against 40–45, bill details 62–65 against 29–36; the framework
floor the same), a state no reader of the console meets; its cause was not found.

The parent passes a JSON spec as the one argument ({"users": {role: username}, "fmt": {...},
"repeat": n}) and reads a JSON list (one object a page) from the last line of the output.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from billing.bench_load import percentile

STATIC_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"
# The framework floor: the lightest authenticated console page (the layout, the sidebar, the
# session and the user's permissions, and one small table), measured in the same run.
FLOOR = ("Framework floor · API keys", "member", "/users/api-keys/", None)

COSTS = "/billing/cost-analysis/?preset=30d&group_by="
# (label, user, url, SQL name or None). Users: admin (the payer), member (pay-on-behalf),
# selfpay (pays for itself).
PAGES = (
    ("Overview", "admin", "/", "trend"),
    ("Member accounts", "admin", "/members/", None),
    ("Pay-on-behalf orders", "admin", "/pay-on-behalf/orders/", None),
    ("Bills · by member", "admin", "/pay-on-behalf/bills/?tab=members", "members"),
    ("Bills · by product", "admin", "/pay-on-behalf/bills/?tab=products", "products"),
    ("Bills · by department", "admin", "/pay-on-behalf/bills/?tab=departments", "departments"),
    ("Bills · by month", "admin", "/pay-on-behalf/bills/?tab=trend", "trend"),
    ("Bills · details", "admin", "/pay-on-behalf/bills/?tab=details", None),
    ("Billing Center · orders", "admin", "/billing/", None),
    ("Billing Center · transactions", "admin", "/billing/?tab=transactions", None),
    ("Invoices", "admin", "/billing/invoices/", "invoiceable"),
    ("Overview", "member", "/", None),
    ("Bills · by member", "member", "/pay-on-behalf/bills/?tab=members", "m_members"),
    ("Bills · by product", "member", "/pay-on-behalf/bills/?tab=products", "m_products"),
    ("Bills · by month", "member", "/pay-on-behalf/bills/?tab=trend", "m_trend"),
    ("Bills · details", "member", "/pay-on-behalf/bills/?tab=details", None),
    ("Billing Center · bills by month", "selfpay", "/billing/?tab=bills", "s_trend"),
    (
        "Billing Center · bills by product",
        "selfpay",
        "/billing/?tab=bills&view=product",
        "s_products",
    ),
    (
        "Billing Center · bills by resource",
        "selfpay",
        "/billing/?tab=bills&view=resource",
        "s_resources",
    ),
    ("Billing Center · transactions", "selfpay", "/billing/?tab=transactions", None),
    # F6 cost analysis, daily, last 30 days (from the daily rollup)
    ("Cost analysis · by member", "admin", f"{COSTS}member", "c_members"),
    ("Cost analysis · by department", "admin", f"{COSTS}department", "c_departments"),
    ("Cost analysis · by product", "member", f"{COSTS}product", "c_products"),
    # F3: the admin switched to a self-pay member in Billing Center
    ("Member view · bills by month", "admin", "/billing/?account={selfpay_uin}&tab=bills", None),
    (
        "Member view · transactions",
        "admin",
        "/billing/?account={selfpay_uin}&tab=transactions",
        None,
    ),
    # F4, F7: consolidated bills and budgets (budgets made by the bench, below)
    ("Consolidated bills", "admin", "/billing/exports/", None),
    ("Budgets", "admin", "/billing/budgets/", None),
    ("Budget · organization", "admin", "/billing/budgets/{budget}/", None),
    # F12: fund transfer, the members that grant 3 (a page of them) and one member's records
    ("Fund transfer", "admin", "/billing/transfers/", None),
    ("Fund transfer · member", "admin", "/billing/transfers/?account={selfpay_uin}", None),
    # F14, F16: credit limits of the members that grant 10; one member's invoices (5)
    ("Credit limits", "admin", "/billing/credit/", None),
    ("Invoices · member", "admin", "/billing/invoices/?account={selfpay_uin}", None),
)

SUMS = "SUM(cash_amount), SUM(voucher_amount), SUM(discount), SUM(list_cost), COUNT(*)"
LINES = "billing_billline"
# The same numbers as each summary page, from the line items (parameters: %(payer)s, …).
SQL = {
    "members": f"""SELECT owner_id, {SUMS} FROM {LINES}
        WHERE payer_id = %(payer)s AND owner_id <> payer_id AND bill_month = %(month)s
        GROUP BY owner_id ORDER BY 2 DESC, owner_id LIMIT 25""",
    "products": f"""SELECT product_id, {SUMS} FROM {LINES}
        WHERE payer_id = %(payer)s AND owner_id <> payer_id AND bill_month = %(month)s
        GROUP BY product_id""",
    "departments": f"""SELECT d.path, {SUMS} FROM {LINES} l
        JOIN organizations_membership m ON m.account_id = l.owner_id
        JOIN organizations_department d ON d.id = m.department_id
        WHERE l.payer_id = %(payer)s AND l.owner_id <> l.payer_id AND l.bill_month = %(month)s
        GROUP BY d.path""",
    "trend": f"""SELECT bill_month, {SUMS} FROM {LINES}
        WHERE payer_id = %(payer)s AND owner_id <> payer_id AND bill_month >= %(since)s
        GROUP BY bill_month""",
    "invoiceable": f"SELECT SUM(cash_amount) FROM {LINES} WHERE payer_id = %(payer)s",
    "m_members": f"""SELECT payer_id, {SUMS} FROM {LINES}
        WHERE owner_id = %(member)s AND payer_id <> owner_id AND bill_month = %(month)s
        GROUP BY payer_id""",
    "m_products": f"""SELECT product_id, {SUMS} FROM {LINES}
        WHERE owner_id = %(member)s AND payer_id <> owner_id AND bill_month = %(month)s
        GROUP BY product_id""",
    "m_trend": f"""SELECT bill_month, {SUMS} FROM {LINES}
        WHERE owner_id = %(member)s AND payer_id <> owner_id AND bill_month >= %(since)s
        GROUP BY bill_month""",
    "s_trend": f"""SELECT bill_month, {SUMS} FROM {LINES}
        WHERE payer_id = %(selfpay)s AND owner_id = payer_id AND bill_month >= %(since12)s
        GROUP BY bill_month""",
    "s_products": f"""SELECT product_id, {SUMS} FROM {LINES}
        WHERE payer_id = %(selfpay)s AND owner_id = payer_id AND bill_month = %(month)s
        GROUP BY product_id""",
    # F6: spend after discounts by day of the last 30 days, ranked by group
    "c_members": f"""SELECT owner_id, SUM(voucher_amount + cash_amount) FROM {LINES}
        WHERE payer_id = %(payer)s AND created_at >= %(since30)s
        GROUP BY owner_id ORDER BY 2 DESC LIMIT 11""",
    "c_departments": f"""SELECT m.department_id, SUM(l.voucher_amount + l.cash_amount)
        FROM {LINES} l LEFT JOIN organizations_membership m ON m.account_id = l.owner_id
        WHERE l.payer_id = %(payer)s AND l.created_at >= %(since30)s
        GROUP BY m.department_id ORDER BY 2 DESC LIMIT 11""",
    "c_products": f"""SELECT product_id, SUM(voucher_amount + cash_amount) FROM {LINES}
        WHERE owner_id = %(member)s AND created_at >= %(since30)s GROUP BY product_id""",
    "s_resources": f"""SELECT resource_id, {SUMS} FROM {LINES}
        WHERE payer_id = %(selfpay)s AND owner_id = payer_id AND bill_month = %(month)s
        GROUP BY resource_id ORDER BY 2 DESC LIMIT 25""",
}


def run(database_url: str, *, users: dict, fmt: dict, repeat: int) -> dict:
    """Time every page in a child process on `database_url`; {(label, role): {p50, p95,
    queries, sql_p50}}. The child inherits the environment (the settings module, DEBUG, …)."""
    spec = json.dumps({"users": users, "fmt": fmt, "repeat": repeat})
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "billing.bench_pages", spec],
        cwd=Path(__file__).resolve().parent.parent,  # the project, wherever bench runs from
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench_pages failed ({done.returncode}):\n{done.stderr[-4000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {(r["label"], r["role"]): r for r in found}


def _main(spec: dict) -> list[dict]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tco_console.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings

    # the test client's host; static URLs without a collectstatic manifest
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_STORAGE}}
    with override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], STORAGES=storages
    ):
        users = {
            role: get_user_model().objects.select_related("account").get(username=name)
            for role, name in spec["users"].items()
        }
        clients = {}
        for role, user in users.items():
            clients[role] = Client()
            clients[role].force_login(user)
        params = _params(users)
        gc.collect()
        gc.freeze()  # as a gunicorn worker starts (tco_console/gunicorn_conf.py)
        return _pages(clients, params, spec["fmt"], spec["repeat"])


def _params(users) -> dict:
    """The SQL's parameters: the bench's users and the months and days the pages show."""
    from django.utils import timezone

    from billing.bill_selectors import add_months

    month = timezone.localdate().replace(day=1)
    return {
        "payer": users["admin"].account_id,
        "member": users["member"].account_id,
        "selfpay": users["selfpay"].account_id,
        "month": month,
        "since": add_months(month, -6),
        "since12": add_months(month, -12),
        "since30": timezone.make_aware(
            datetime.combine(timezone.localdate() - timedelta(days=29), datetime.min.time())
        ),
    }


def _pages(clients, params, fmt, repeat) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = [
        (label, clients[role], url.format(**fmt)) for label, role, url, _sql in (FLOOR, *PAGES)
    ]
    for _label, client, url in pages:
        for _ in range(3):
            _get(client, url)
    # frozen again once warm, as a gunicorn worker is after its 100th request
    # (tco_console/gunicorn_conf.py: FREEZE_AFTER)
    gc.collect()
    gc.freeze()
    timed = [[] for _ in pages]
    for _ in range(repeat):  # rounds: every page once, in turn
        for times, (_label, client, url) in zip(timed, pages, strict=True):
            t0 = time.perf_counter()
            _get(client, url)
            times.append((time.perf_counter() - t0) * 1000)
    out = []
    for times, (label, role, url, sql) in zip(timed, (FLOOR, *PAGES), strict=True):
        url = url.format(**fmt)
        client = clients[role]
        with CaptureQueriesContext(connection) as ctx:
            _get(client, url)
        sql_p50 = None
        if sql:
            sql_times = []
            with connection.cursor() as cursor:
                for _ in range(max(5, repeat // 3)):
                    t0 = time.perf_counter()
                    cursor.execute(SQL[sql], params)
                    cursor.fetchall()
                    sql_times.append((time.perf_counter() - t0) * 1000)
            sql_p50 = statistics.median(sql_times)
        out.append(
            {
                "label": label,
                "role": role,
                "p50": statistics.median(times),
                "p95": percentile(times, 95),
                "queries": len(ctx.captured_queries),
                "sql_p50": sql_p50,
            }
        )
    return out


def _get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return response


if __name__ == "__main__":
    print(json.dumps(_main(json.loads(sys.argv[1]))))
