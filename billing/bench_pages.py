"""The bench's page timings (issue 16, target 2), in processes of their own.

`manage.py bench` loads each dataset into a database of its own, then runs this module
(`python -m billing.bench_pages`) once per dataset: fresh processes that set Django up, sign
the bench's users in and freeze what they have loaded, as a gunicorn worker starts
(tco_console/gunicorn_conf.py), then request every page in-process (Django's test client:
server time, no network): three warm-ups each (then what they built is frozen too, as a
worker's by its 100th request), then `repeat` rounds, each of which times every page once, in
turn, at one size and then at the other, the sizes taking turns to go first (p50, p95);
then one counted request each (queries), and for each admin summary page the hand-written
SQL computing the same numbers from the bill lines. In rounds, a change in the machine's
speed during the run (a shared 2-core machine's speed wandered by a third within minutes)
weighs on every page, on the floor and on both sizes alike, instead of on the pages or the
size timed while it lasted. Pages are not timed in the process that has just loaded the
dataset: measured there, the heavier pages took up to twice as long as the same pages in a
fresh process on the same data (member accounts 62–70 ms against 40–45, bill details 62–65
against 29–36; the framework floor the same), a state no reader of the console meets; its
cause was not found.

A child gets a JSON spec as its one argument ({"users": {role: username}, "fmt": {...}}),
prints READY once warm, times a round for each `round` line on its standard input (printing
DONE after each), and at `finish` prints a JSON list (one object a page) as its last line.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
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


READY, DONE = "bench_pages: ready", "bench_pages: round done"


def run(sizes: dict, *, repeat: int) -> dict:
    """Time every page at each size, each in a child process on its own database, in the
    same rounds: `sizes` maps a size to {"url": DATABASE_URL, "users": {role: username},
    "fmt": {...}}. Both children sign in and warm up, then each round every page is timed
    once at the first size, then once at the second, so a change in the machine's speed
    weighs on both sizes alike (timed one size after the other, minutes apart, the floor
    itself once came out 11 % slower at the large size, and with it every page's growth).
    Returns {size: {(label, role): {p50, p95, queries, sql_p50}}}. The children inherit the
    environment (the settings module, DEBUG, …)."""
    root = Path(__file__).resolve().parent.parent  # the project, wherever bench runs from
    children = {}
    with ExitStack() as files:
        try:
            return _rounds(sizes, repeat, root, children, files)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.kill()
                child.wait()
                child.stdin.close()
                child.stdout.close()


def _rounds(sizes, repeat, root, children, files: ExitStack) -> dict:
    """`run`'s children started (each warm before the next starts), their rounds and
    their results; `children` is filled as they start, for `run` to stop them."""
    for size, setup in sizes.items():  # one at a time: a warm-up is not timed beside one
        spec = json.dumps({"users": setup["users"], "fmt": setup["fmt"]})
        # its standard error to a file, not a pipe: what a child logs while the parent reads
        # only its standard output would fill a pipe and stop the child mid-round
        log = files.enter_context(tempfile.TemporaryFile("w+"))  # noqa: SIM115 (the stack closes it)
        children[size] = child = subprocess.Popen(
            [sys.executable, "-m", "billing.bench_pages", spec],
            cwd=root,
            env={**os.environ, "DATABASE_URL": setup["url"]},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        child.log = log
        _expect(child, READY)
    # the sizes take turns to go first (ABBA), so neither always follows the other's round:
    # with the small size always first, the framework floor's own p95 once came out 1.22
    # times as long at the large size, its p50 the same; with the large first (one run of
    # each), every page's growth was under 1.1
    ordered = list(children.values())
    for turn in range(repeat):
        for child in ordered if turn % 2 == 0 else reversed(ordered):
            child.stdin.write("round\n")
            child.stdin.flush()
            _expect(child, DONE)
    found = {}
    for size, child in children.items():
        out, _err = child.communicate("finish\n")
        if child.returncode != 0:
            raise RuntimeError(f"bench_pages failed ({child.returncode}):\n{_logged(child)}")
        rows = json.loads(out.strip().splitlines()[-1])
        found[size] = {(r["label"], r["role"]): r for r in rows}
    return found


def _expect(child, line: str) -> None:
    """Read the child's output up to `line` (anything else it printed is passed over)."""
    while True:
        got = child.stdout.readline()
        if not got:
            child.wait()
            raise RuntimeError(f"bench_pages stopped ({child.returncode}):\n{_logged(child)}")
        if got.rstrip("\n") == line:
            return


def _logged(child) -> str:
    """The end of what a child wrote to its standard error (its file)."""
    log = child.log
    log.seek(0)
    return log.read()[-4000:]


def _main(spec: dict) -> list[dict]:
    """Set up, sign in, warm up and time `spec["repeat"]` rounds in this process (what a
    child of `run` does, its rounds asked for one at a time on its standard input)."""
    timer = _setup(spec)
    try:
        for _ in range(spec["repeat"]):
            timer.round()
        return timer.finish()
    finally:
        timer.override.disable()


def _child(spec: dict) -> None:
    timer = _setup(spec)
    print(READY, flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        timer.round()
        print(DONE, flush=True)
    print(json.dumps(timer.finish()), flush=True)


def _setup(spec: dict) -> _Timer:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tco_console.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings

    # the test client's host; static URLs without a collectstatic manifest
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_STORAGE}}
    override = override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], STORAGES=storages
    )
    override.enable()
    try:
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
        return _Timer(clients, params, spec["fmt"], override)
    except BaseException:
        override.disable()
        raise


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


class _Timer:
    """Every page, timed once a round, in turn: `round()`; then `finish()`: p50, p95, one
    counted request each (queries) and the SQL yardsticks."""

    def __init__(self, clients, params, fmt, override):
        self.clients, self.params, self.override = clients, params, override
        self.pages = [
            (label, clients[role], url.format(**fmt)) for label, role, url, _sql in (FLOOR, *PAGES)
        ]
        for _label, client, url in self.pages:
            for _ in range(3):
                _get(client, url)
        # frozen again once warm, as a gunicorn worker is after its 100th request
        # (tco_console/gunicorn_conf.py: FREEZE_AFTER)
        gc.collect()
        gc.freeze()
        self.timed = [[] for _ in self.pages]

    def round(self) -> None:
        # one request not timed first, the round's last page: this process has just woken
        # from the other size's round, and the first page timed would pay for the switch
        # (with the floor first, it came out 14.5 ms against 10.9, flattering every ratio)
        _get(*self.pages[-1][1:])
        for times, (_label, client, url) in zip(self.timed, self.pages, strict=True):
            t0 = time.perf_counter()
            _get(client, url)
            times.append((time.perf_counter() - t0) * 1000)

    def finish(self) -> list[dict]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        out = []
        repeat = len(self.timed[0])
        for times, page, (label, role, _url, sql) in zip(
            self.timed, self.pages, (FLOOR, *PAGES), strict=True
        ):
            with CaptureQueriesContext(connection) as ctx:
                _get(page[1], page[2])
            sql_p50 = None
            if sql:
                sql_times = []
                with connection.cursor() as cursor:
                    for _ in range(max(5, repeat // 3)):
                        t0 = time.perf_counter()
                        cursor.execute(SQL[sql], self.params)
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
    _child(json.loads(sys.argv[1]))
