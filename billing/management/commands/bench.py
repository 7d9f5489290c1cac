"""Measure the console at two dataset sizes (issues 5 and 16).

For each size the scale dataset (`billing.scale`, skewed: the measured members own many
lines, so their pages are full at both sizes) is loaded into a database of its own
(`<NAME>_bench_small` and `<NAME>_bench`, dropped afterwards unless --keep), and a checkpoint
writes out what the load wrote; then every page is requested by the admin, a pay-on-behalf
member and a self-paying member, at each size in a process of its own started as a server
worker starts (`billing.bench_pages`; Django's test client: server time, no network):
warm-ups, then `--repeat` rounds (100; 15 with --quick) that time every page once at the
small size and once at the large (p50, p95), and one counted request (queries). The
framework floor is the lightest authenticated console page, measured
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

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from billing import bench_pages, scale
from billing.bench_load import database_url
from billing.bench_pages import FLOOR, PAGES
from billing.management.commands.seed_scale import progress_bar

FULL_SIZES = (1_000, 10_000_000)
QUICK_SIZES = (1_000, 100_000)
# issue 16: p50 ≤ 3× the framework floor, p95 ≤ 100 ms, growth ≤ 1.2, ≤ 15 queries, admin
# summary pages ≤ 0.2× the SQL over the lines
TARGETS = {"growth": 1.2, "floor": 3.0, "sql": 0.2, "queries": 15, "p95_ms": 100.0}


@dataclass
class Result:
    p50: float = 0.0
    p95: float = 0.0
    queries: int = 0
    sql_p50: float | None = None


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
            help="Use (and empty) the configured database for the large size instead of a "
            "database of its own (the small size still gets one).",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the bench databases.")
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
        # a p95 of 100 requests is their 95th (of 40, the 38th: two slow requests moved it)
        repeat = options["repeat"] or (15 if options["quick"] else 100)
        self._run(sizes, repeat, options)

    def _run(self, sizes, repeat, options):
        small, large = sizes
        default = settings.DATABASES["default"]
        name, test_name = default["NAME"], connection.settings_dict["TEST"].get("NAME")
        made = []  # the databases this run created (dropped at the end unless --keep)
        try:
            # each size in a database of its own, both kept until their pages are timed side
            # by side (bench_pages.run); with --in-place the large one is the configured one
            made.append(self._database(f"{name}_bench_small"))
            setups = {small: self._prepare(small, options)}
            if options["in_place"]:
                self._switch(name)
            else:
                made.append(self._database(f"{name}_bench"))
            setups[large] = self._prepare(large, options)
            timed = bench_pages.run(setups, repeat=repeat)
            results = {
                size: {
                    key: Result(r["p50"], r["p95"], r["queries"], r["sql_p50"])
                    for key, r in found.items()
                }
                for size, found in timed.items()
            }
            self._report(sizes, results)
            if options["load"]:  # the large dataset, the connection's database now
                self._load(options)
            settle = self._settlement(options)
        finally:
            if not options["keep"]:
                for database in made:
                    self._switch(database)
                    connection.creation.destroy_test_db(name, verbosity=0)
            self._switch(name)
            self._test_name(test_name)
        worst = self.worst
        self.stdout.write(
            f"bench: growth {worst['growth']:.2f} floor {worst['floor']:.2f} sql "
            f"{worst['sql']:.2f} queries {worst['queries']} settle {settle['cycles_per_s']:.0f} "
            f"settle-floor {settle['floor_ratio']:.2f}"
        )

    def _database(self, database: str) -> str:
        """Create and migrate `database`, and use it (Django's test database creation)."""
        self._test_name(database)
        created = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        self.stdout.write(f"bench database: {created}")
        return created

    def _test_name(self, database: str | None) -> None:
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = database
        connection.settings_dict["TEST"]["NAME"] = database

    def _switch(self, database: str) -> None:
        """Use `database` from the next query on."""
        connection.close()
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = database

    def _prepare(self, size: int, options) -> dict:
        """Load `size` lines into the connection's database: what its pages are timed with."""
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
        self._checkpoint()
        return {
            "url": database_url(connection.settings_dict),
            "users": {
                "admin": data.admin.username,
                "member": data.member.username,
                "selfpay": data.self_pay.username,
            },
            "fmt": {"selfpay_uin": data.self_pay.account.uin, "budget": self._budgets(data)},
        }

    def _checkpoint(self) -> None:
        """Write out what the load left to write (PostgreSQL's CHECKPOINT: its dirty buffers,
        and an fsync of every file it wrote) before any page is timed, as a quiet machine would
        have done by then. Ten million lines are gigabytes of table, index and WAL; flushed
        while the pages were timed, they weighed on the large size's pages and on its growth.
        Not counted in the load's time (its rows are durable at commit, through the WAL)."""
        began = time.monotonic()
        try:
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
        except DatabaseError as exc:  # a role without pg_checkpoint (PostgreSQL 15)
            self.stdout.write(f"no checkpoint after the load ({str(exc).strip()})")
            return
        self.stdout.write(f"checkpoint after the load: {time.monotonic() - began:.1f} s")

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
            "times in ms (server time, in a fresh process, every page once a round: "
            "billing.bench_pages); ×floor: p50 over the floor's p50; SQL: the same numbers from "
            "the line items (page/SQL counts for admin pages only)"
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
