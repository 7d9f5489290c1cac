"""Measure the console at two dataset sizes (issues 5 and 16).

For each size the scale dataset (`billing.scale`, skewed: the measured members own many
lines, so their pages are full at both sizes) is loaded into a database of its own
(`<NAME>_bench`, dropped afterwards unless --keep), then every page is requested in-process
(Django's test client: server time, no network) by the admin, a pay-on-behalf member and a
self-paying member: warm-ups, then `--repeat` timed requests (p50, p95) and one counted
request (queries). The framework floor is the lightest authenticated console page, measured
the same way; every page's p50 is compared with it. Each admin summary page is compared with
one hand-written SQL query computing the same numbers straight from the bill lines: what the
page would cost without rollups. Then, at the large size, `--load` drives gunicorn with 20
concurrent clients (`billing.bench_load`), and settlement is timed against its set-based
floor (`billing.bench_settle`).

The last line reads `bench: growth <worst large/small p95> floor <worst page/floor p50> sql
<worst admin page/SQL p50> queries <most queries on any page> settle <cycles/s>
settle-floor <settlement time / floor time>`.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from billing import scale
from billing.management.commands.seed_scale import progress_bar

FULL_SIZES = (1_000, 10_000_000)
QUICK_SIZES = (1_000, 100_000)
STATIC_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"
# issue 16: p50 ≤ 3× the framework floor, p95 ≤ 100 ms, growth ≤ 1.2, ≤ 15 queries, admin
# summary pages ≤ 0.2× the SQL over the lines
TARGETS = {"growth": 1.2, "floor": 3.0, "sql": 0.2, "queries": 15, "p95_ms": 100.0}
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


@dataclass
class Result:
    p50: float = 0.0
    p95: float = 0.0
    queries: int = 0
    sql_p50: float | None = None
    times: list = field(default_factory=list)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Command(BaseCommand):
    help = "Benchmark the list and summary pages at two dataset sizes (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="1,000 and 100,000 lines.")
        parser.add_argument("--sizes", help="Comma-separated line-item counts (two).")
        parser.add_argument("--members", type=int, default=10_000)
        parser.add_argument("--departments", type=int, default=1_000)
        parser.add_argument("--repeat", type=int, help="Timed requests per page.")
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="Use (and empty) the configured database instead of a database of its own.",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
        parser.add_argument(
            "--load",
            action="store_true",
            help="Also drive gunicorn (README's production start) at the large size with 20 "
            "concurrent clients reading the main pages (billing.bench_load).",
        )
        parser.add_argument("--load-seconds", type=float, default=30.0)
        parser.add_argument(
            "--settle-members",
            type=int,
            help="Members of the settlement backlog (5 hourly resources each; default 2,000).",
        )
        parser.add_argument("--settle-hours", type=int, help="Hours of backlog (default 4).")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench measures PostgreSQL: set DATABASE_URL.")
        if options["sizes"]:
            sizes = tuple(int(s.replace("_", "")) for s in options["sizes"].split(","))
        else:
            sizes = QUICK_SIZES if options["quick"] else FULL_SIZES
        if len(sizes) != 2 or min(sizes) < 1:
            raise CommandError("--sizes takes two positive line-item counts.")
        repeat = options["repeat"] or (15 if options["quick"] else 40)
        # the test client's host; static URLs without a collectstatic manifest
        storages = {**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_STORAGE}}
        with override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], STORAGES=storages
        ):
            self._run(sizes, repeat, options)

    def _run(self, sizes, repeat, options):
        created = None
        if not options["in_place"]:
            name = settings.DATABASES["default"]["NAME"]
            settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{name}_bench"
            created = connection.creation.create_test_db(
                verbosity=0, autoclobber=True, keepdb=False
            )
            self.stdout.write(f"bench database: {created}")
        try:
            results = {}
            for size in sizes:
                results[size] = self._measure(size, options, repeat)
            self._report(sizes, results)
            if options["load"]:  # the large dataset is the one loaded now
                self._load(options)
            settle = self._settlement(options)
        finally:
            if created and not options["keep"]:
                connection.creation.destroy_test_db(name, verbosity=0)
        worst = self.worst
        self.stdout.write(
            f"bench: growth {worst['growth']:.2f} floor {worst['floor']:.2f} sql "
            f"{worst['sql']:.2f} queries {worst['queries']} settle {settle['cycles_per_s']:.0f} "
            f"settle-floor {settle['floor_ratio']:.2f}"
        )

    def _measure(self, size: int, options, repeat: int) -> dict:
        began = time.monotonic()
        scale.reset()
        caches["costs"].clear()  # F6 entries of the previous size (the versions restart)
        data = scale.seed(
            members=options["members"],
            departments=options["departments"],
            line_items=size,
            progress=progress_bar(self.stderr._out),
        )
        self.stdout.write(f"{size:,} line items loaded in {time.monotonic() - began:.0f} s")
        users = {"admin": data.admin, "member": data.member, "selfpay": data.self_pay}
        clients = {}
        for role, user in users.items():
            clients[role] = Client()
            clients[role].force_login(user)
        month = timezone.localdate().replace(day=1)
        from billing.bill_selectors import add_months

        params = {
            "payer": data.admin.account_id,
            "member": data.member.account_id,
            "selfpay": data.self_pay.account_id,
            "month": month,
            "since": add_months(month, -6),
            "since12": add_months(month, -12),
            "since30": timezone.make_aware(
                datetime.combine(timezone.localdate() - timedelta(days=29), datetime.min.time())
            ),
        }
        fmt = {"selfpay_uin": data.self_pay.account.uin, "budget": self._budgets(data)}
        # what the load left behind is collected and the rest frozen, as a gunicorn worker
        # starts (tco_console/gunicorn_conf.py): pages are timed in a server's state, not
        # in a process that has just streamed millions of lines
        gc.collect()
        gc.freeze()
        try:
            return self._pages(clients, params, fmt, repeat)
        finally:
            gc.unfreeze()

    def _pages(self, clients, params, fmt, repeat) -> dict:
        out = {}
        for label, role, url, sql in (FLOOR, *PAGES):
            url = url.format(**fmt)
            client = clients[role]
            for _ in range(3):
                self._get(client, url)
            result = Result()
            for _ in range(repeat):
                t0 = time.perf_counter()
                self._get(client, url)
                result.times.append((time.perf_counter() - t0) * 1000)
            with CaptureQueriesContext(connection) as ctx:
                self._get(client, url)
            result.queries = len(ctx.captured_queries)
            result.p50 = statistics.median(result.times)
            result.p95 = _percentile(result.times, 95)
            if sql:
                times = []
                with connection.cursor() as cursor:
                    for _ in range(max(5, repeat // 3)):
                        t0 = time.perf_counter()
                        cursor.execute(SQL[sql], params)
                        cursor.fetchall()
                        times.append((time.perf_counter() - t0) * 1000)
                result.sql_p50 = statistics.median(times)
            out[label, role] = result
        return out

    def _load(self, options) -> None:
        """Issue 16, target 3: requests a second, p50/p95/p99 and errors through gunicorn."""
        from billing import bench_load

        users = {
            "admin": (scale.ADMIN_USERNAME, scale.PASSWORD),
            "member": (scale.MEMBER_USERNAME, scale.PASSWORD),
            "selfpay": (scale.SELF_PAY_USERNAME, scale.PASSWORD),
        }
        result = bench_load.run_load(
            self.stdout.write,
            database_url=bench_load.database_url(connection.settings_dict),
            users=users,
            urls=bench_load.MAIN_PAGES,
            clients=20,
            seconds=options["load_seconds"],
            warmup=5,
        )
        for line in bench_load.format_report(result):
            self.stdout.write(line)

    def _settlement(self, options) -> dict:
        """Issue 16, target 1: settlement's cycles a second against the set-based floor, on a
        fresh backlog beside the large dataset."""
        from billing.bench_settle import measure_settlement

        size = {"members": 200, "hours": 2} if options["quick"] else {}
        if options["settle_members"]:
            size["members"] = options["settle_members"]
        if options["settle_hours"]:
            size["hours"] = options["settle_hours"]
        result = measure_settlement(self.stdout.write, **size)
        return {
            "cycles_per_s": result["cycles_per_second"],
            "floor_ratio": result["settle_floor_ratio"] or 0.0,
        }

    def _budgets(self, data) -> int:
        """F7, F8: an organization budget, a department one and one on the self-pay member,
        then one evaluation of all three (timed: what the minute tick costs)."""
        from billing.finance.budget_services import budget_create, budgets_evaluate
        from organizations.models import Department

        month = timezone.localdate().replace(day=1)
        common = {
            "period": "month",
            "start": month,
            "end": None,
            "plan_type": "fixed",
            "amount": "100000",
            "planned_amounts": [],
            "products": [],
            "notify_member_owners": False,
            "block_orders": False,
            "thresholds": [{"basis": "actual", "kind": "percentage", "value": "80"}],
            "departments": [],
            "members": [],
        }
        department = Department.objects.filter(organization=data.organization, depth=1).first()
        budgets = [
            budget_create(
                organization=data.organization,
                acting_user=data.admin,
                **common | {"name": "Organization", "scope": "organization"},
            ),
            budget_create(
                organization=data.organization,
                acting_user=data.admin,
                **common
                | {"name": "Department", "scope": "departments"}
                | {"departments": [department]},
            ),
            budget_create(
                organization=data.organization,
                acting_user=data.admin,
                **common
                | {"name": "Self-pay member", "scope": "members"}
                | {"members": [data.self_pay.account]},
            ),
        ]
        t0 = time.perf_counter()
        budgets_evaluate()
        self.stdout.write(
            f"budget evaluation (F8, the minute tick): {len(budgets)} budgets in "
            f"{(time.perf_counter() - t0) * 1000:.0f} ms"
        )
        return budgets[0].pk

    def _get(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url}: HTTP {response.status_code}")
        return response

    def _report(self, sizes, results):
        small, large = sizes
        w = self.stdout.write
        floor = results[large][FLOOR[0], FLOOR[1]]
        header = (
            f"{'page':<36} {'user':<8} {'p50':>7} {'p95':>7} │ {'p50':>7} {'p95':>7} "
            f"{'growth':>6} {'×floor':>6} {'queries':>7} {'SQL p50':>8} {'page/SQL':>8}"
        )
        w(f"{'':<45} {f'{small:,} lines':>15} │ {f'{large:,} lines':>15}")
        w(header)
        w("─" * len(header))
        worst = {"growth": 0.0, "floor": 0.0, "sql": 0.0, "queries": 0, "p95_ms": 0.0}
        for label, role, _url, _sql in (FLOOR, *PAGES):
            a, b = results[small][label, role], results[large][label, role]
            growth = b.p95 / a.p95 if a.p95 else 0.0
            over_floor = b.p50 / floor.p50 if floor.p50 else 0.0
            ratio = b.p50 / b.sql_p50 if b.sql_p50 else None
            worst["growth"] = max(worst["growth"], growth)
            worst["floor"] = max(worst["floor"], over_floor)
            if role == "admin" and ratio is not None:  # member pages read ~80 lines: no yardstick
                worst["sql"] = max(worst["sql"], ratio)
            worst["queries"] = max(worst["queries"], a.queries, b.queries)
            worst["p95_ms"] = max(worst["p95_ms"], b.p95)
            w(
                f"{label:<36} {role:<8} {a.p50:7.1f} {a.p95:7.1f} │ {b.p50:7.1f} {b.p95:7.1f} "
                f"{growth:6.2f} {over_floor:6.2f} {b.queries:>7} "
                f"{'' if b.sql_p50 is None else f'{b.sql_p50:8.1f}':>8} "
                f"{'' if ratio is None else f'{ratio:8.2f}':>8}"
            )
        w("─" * len(header))
        w(
            "times in ms (server time, in-process); ×floor: p50 over the floor's p50; SQL: the "
            "same numbers from the line items (page/SQL counts for admin pages only)"
        )
        self.worst = worst
        missed = [k for k, limit in TARGETS.items() if worst[k] > limit]
        verdict = "met" if not missed else "NOT met: " + ", ".join(missed)
        w(
            f"targets: growth ≤ {TARGETS['growth']}, p50 ≤ {TARGETS['floor']}× floor, admin "
            f"page/SQL ≤ {TARGETS['sql']}, queries ≤ {TARGETS['queries']}, p95 ≤ "
            f"{TARGETS['p95_ms']:.0f} ms: {verdict}"
            f" (worst p95 {worst['p95_ms']:.1f} ms, floor p50 {floor.p50:.1f} ms)"
        )
