"""A large, realistic dataset for measuring the console (`seed_scale`, `bench`; PostgreSQL).

One organization, "Scale Corp": an admin account that pays for 90 % of its members (the rest
pay for themselves), `departments` departments three levels deep, `members` members spread
over them, and `line_items` bill lines over `months` months. Every line is backed by the
ledger: one settlement journal per (member, month) whose cash entry equals its lines, and a
top-up that keeps the payer's wallet positive, so `check_books` holds.

Spend is skewed, as in real organizations (issue 16: growth is measured on pages that are full
at both sizes): the two measured members (`member`, pay-on-behalf, and `self_pay`) own
`MEASURED_SHARE` of the lines each and 30 resources each, the others share the rest Zipf-like
(the k-th of them 1/k), and every month has `GROWTH` times the lines of the month before. So
at 1,000 lines each measured member has a full page of lines (25), of resources and every
product in the current month, and at 10 million lines every member has some lines.

Loading follows the bulk loaders' recipe: the lines are generated chunk by chunk and streamed
to COPY (never held in memory) with FREEZE into a table emptied in the same transaction and
stripped of its secondary indexes and foreign keys, which are then rebuilt in one pass each;
the ledger is written from per-(member, month) totals kept while streaming. F5's daily
rollup is summed while streaming too, a month at a time (a month's lines are consecutive), and
copied after each month: one pass in Python instead of a GROUP BY of every line on nine keys;
so is the first monthly rollup (`ResourceMonth`, by member and resource), and the others are
summed from it in the database (`rebuild_rollups`). One transaction holds the lines, the
daily and resource rollups and the ledger, so a failure leaves nothing.
`check_books` proves both rollups equal the lines.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, pairwise

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from billing.bill_selectors import add_months
from billing.catalog import ensure_catalog
from billing.models import (
    BillLine,
    BillSummary,
    DailyCost,
    Entry,
    Journal,
    PayerProductMonth,
    PobDepartmentMonth,
    PobMemberMonth,
    Product,
    Region,
    Resource,
    ResourceMonth,
    Spec,
    Wallet,
)
from billing.models.choices import (
    BillingMode,
    Book,
    JournalKind,
    ResourceStatus,
    TransactionType,
)
from billing.services.bills import rebuild_rollups
from organizations.models import (
    Account,
    Department,
    Membership,
    MembershipPeriod,
    Organization,
    User,
)

BATCH = 10_000  # COPY text lines per write
PASSWORD = "tco-scale-2026"
ADMIN_USERNAME = "scale-admin"
MEMBER_USERNAME = "scale-member"
SELF_PAY_USERNAME = "scale-selfpay"
SELF_PAY_EVERY = 10  # every 10th member pays for itself
APPS = ("organizations", "billing", "sessions", "django_tasks_db")
KEEP = {"billing_region", "billing_product", "billing_spec"}
MEASURED_SHARE = 0.3  # of all lines, for each of the two measured members
GROWTH = 1.1  # lines this month / lines last month
HEAVY_RESOURCES = 30  # resources of each measured member (others have 2)
PHI = (5**0.5 - 1) / 2  # the golden ratio's step spreads members evenly over the lines
LOAD_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "512MB"}


@dataclass
class Dataset:
    organization: Organization
    admin: User
    member: User  # pays on behalf: its items are paid by the admin
    self_pay: User  # a member that pays for itself (Billing Center bills)
    line_items: int


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("the scale dataset is loaded with COPY: set DATABASE_URL to PostgreSQL")


def reset() -> None:
    """Empty every console table (catalog, groups and permissions stay). TRUNCATE bypasses the
    ledger's append-only trigger, which guards rows, not the table."""
    require_postgresql()
    tables = [
        model._meta.db_table
        for label in APPS
        if _installed(label)
        for model in apps.get_app_config(label).get_models()
        if model._meta.db_table not in KEEP and not model._meta.proxy
    ]
    tables += [
        m2m.remote_field.through._meta.db_table
        for m2m in User._meta.many_to_many
        if m2m.remote_field.through._meta.auto_created
    ]
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(t) for t in sorted(set(tables)))
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


def _installed(label: str) -> bool:
    try:
        apps.get_app_config(label)
    except LookupError:
        return False
    return True


def _copy(model, columns: list[str], rows, *, freeze: bool = False) -> None:
    """COPY ready lines of COPY text into the model's table, in batches of `BATCH` lines.
    FREEZE (a table emptied in this transaction) writes the rows frozen and all-visible, so
    no vacuum has to rewrite them for index-only scans."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    if freeze:
        sql += " WITH (FREEZE)"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                copy.write("".join(batch))
                batch.clear()
        if batch:
            copy.write("".join(batch))


class _Clock:
    """Times the load's phases; `report(name, seconds, rows)` hears of each as it ends."""

    def __init__(self, report=None):
        self.report = report

    @contextmanager
    def phase(self, name: str, rows: int | None = None):
        began = time.monotonic()
        yield
        if self.report:
            self.report(name, time.monotonic() - began, rows)


def _load_settings() -> None:
    """Memory for this transaction's sorts, hashes and index builds (the server's defaults
    are sized for many small queries)."""
    with connection.cursor() as cursor:
        for name, value in LOAD_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


@contextmanager
def _bulk_load(models, clock: _Clock, label: str):
    """Load tables as bulk loaders do: without their secondary indexes and foreign keys, then
    rebuild each index in one pass and validate each foreign key with one join (inside the
    caller's transaction: a failure leaves the tables as they were). Constraint indexes
    (primary and unique keys) stay. Names and definitions come from PostgreSQL's catalog,
    none from input."""
    quote = connection.ops.quote_name
    dropped = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                "ORDER BY i.relname",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            dropped.append((table, foreign_keys, indexes))
    yield
    with connection.cursor() as cursor:
        with clock.phase(f"{label}: indexes"):
            for _table, _foreign_keys, indexes in dropped:
                for _name, definition in indexes:
                    cursor.execute(definition)
        with clock.phase(f"{label}: foreign keys"):
            for table, foreign_keys, _indexes in dropped:
                for name, definition in foreign_keys:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )


def _next_ids(model, n: int) -> int:
    """Reserve `n` ids of the model's sequence; returns the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "COALESCE((SELECT MAX(id) FROM " + connection.ops.quote_name(table) + "), 0) + %s)",
            [table, n],
        )
        last = cursor.fetchone()[0]
    return last - n + 1


def _departments(org: Organization, root: Department, n: int) -> list[Department]:
    """`n` departments below Root: 10 at level 1, up to 100 at level 2, the rest at level 3."""
    made = [root]
    level1 = [
        Department(organization=org, parent=root, name=f"Division {i + 1:02d}", depth=1)
        for i in range(min(10, n))
    ]
    made += _save_level(level1)
    remaining = n - len(level1)
    level2 = [
        Department(
            organization=org,
            parent=level1[i % len(level1)],
            name=f"Team {i + 1:03d}",
            depth=2,
        )
        for i in range(min(100, max(remaining, 0)))
    ]
    made += _save_level(level2)
    remaining -= len(level2)
    level3 = [
        Department(
            organization=org,
            parent=level2[i % len(level2)],
            name=f"Squad {i + 1:04d}",
            depth=3,
        )
        for i in range(max(remaining, 0))
    ]
    made += _save_level(level3)
    return made


def _save_level(departments: list[Department]) -> list[Department]:
    created = Department.objects.bulk_create(departments)
    for d in created:
        d.path = f"{d.parent.path}{d.pk}/"
    Department.objects.bulk_update(created, ["path"], batch_size=1000)
    return created


def seed(
    *,
    members: int = 10_000,
    departments: int = 1_000,
    line_items: int = 10_000_000,
    months: int = 12,
    seed: int = 2026,
    progress=None,
    phases=None,
) -> Dataset:
    """Load the dataset into an empty database (`reset()` first). `progress(total, desc)`
    returns a tqdm-like object with `update(n)` and `close()`; `phases(name, seconds, rows)`,
    if given, hears how long each phase took."""
    require_postgresql()
    clock = _Clock(phases)
    rng = random.Random(seed)
    now = timezone.now()
    start = add_months(timezone.localdate().replace(day=1), -(months - 1))
    with clock.phase("organization"), transaction.atomic():
        org, (admin, member, self_pay), accounts, resources = _organization(
            members=members, departments=departments, start=start, now=now
        )
    payer = admin.account
    region = _catalog()["region"]  # read now: the connection is busy while COPY runs
    month_starts = [add_months(start, i) for i in range(months)]
    # journal ids: one per (member, month), whether or not it has lines, then the top-ups
    first_journal = _next_ids(Journal, len(accounts) * months + len(accounts) + 1)
    lines = _Lines(
        rng,
        accounts=accounts,
        payer=payer,
        resources=resources,
        region=region,
        months=month_starts,
        first_journal=first_journal,
    )
    columns = [  # B11: the one field list, as columns (`owner` → `owner_id`)
        *(BillLine._meta.get_field(f).attname for f in BillLine.B11_FIELDS),
        "journal_id",
    ]
    with transaction.atomic():
        _load_settings()
        with _bulk_load([BillLine, DailyCost, ResourceMonth, Journal], clock, "lines"):
            with connection.cursor() as cursor:
                # emptied in this transaction, so COPY may write the rows frozen
                cursor.execute(
                    "TRUNCATE "
                    + ", ".join(
                        connection.ops.quote_name(m._meta.db_table)
                        for m in (BillLine, DailyCost, ResourceMonth)
                    )
                )
            bar = progress(line_items, "bill lines") if progress else None
            with clock.phase("lines, their daily and resource totals: COPY", line_items):
                first = 0
                for m, size in enumerate(month_sizes(line_items, months)):
                    daily, by_resource = {}, {}  # a month's sums, kept while streaming
                    month = lines.month(m, first, size, daily, by_resource, bar)
                    _copy(BillLine, columns, month, freeze=True)
                    _copy(DailyCost, DAILY_COLUMNS, lines.daily_rows(m, daily), freeze=True)
                    rows = lines.resource_rows(m, by_resource)
                    _copy(ResourceMonth, RESOURCE_COLUMNS, rows, freeze=True)
                    first += size
                if bar:
                    bar.update(line_items % BATCH)
                    bar.close()
            with clock.phase("ledger"):
                _ledger(accounts, payer, lines.totals, month_starts, first_journal, now)
        with clock.phase("ledger: deferred checks"), connection.cursor() as cursor:
            # each journal balances: the ledger's deferred trigger, timed here, not at commit
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    rollups = [BillSummary, PayerProductMonth, PobMemberMonth, PobDepartmentMonth]
    with transaction.atomic():
        _load_settings()
        with _bulk_load(rollups, clock, "rollups"), clock.phase("rollups"):
            rebuild_rollups(resource_months_loaded=True)  # the rest from ResourceMonth
    with clock.phase("vacuum, analyse"), connection.cursor() as cursor:
        # what autovacuum would do next, done now: statistics for the planner and a visibility
        # map for index-only scans (the lines are frozen already: this reads, not rewrites)
        cursor.execute("VACUUM (ANALYZE)")
    return Dataset(org, admin, member, self_pay, line_items)


def _catalog():
    ensure_catalog()
    products = list(Product.objects.order_by("position"))
    specs = {}
    for spec in Spec.objects.order_by("rank"):
        specs.setdefault(spec.product_id, spec)
    region = Region.objects.order_by("pk").first()
    return {"products": [p for p in products if p.pk in specs], "specs": specs, "region": region}


def _organization(*, members: int, departments: int, start: date, now: datetime):
    password = make_password(PASSWORD)
    admin_account = Account.objects.create(uin="300000000000", name="Scale Corp")
    admin = User.objects.create(
        username=ADMIN_USERNAME, password=password, account=admin_account, is_owner=True
    )
    org = Organization.objects.create(admin_account=admin_account, member_limit=members + 100)
    root = Department.objects.create(organization=org, name="Root", depth=0)
    root.path = f"{root.pk}/"
    root.save(update_fields=["path"])
    depts = _departments(org, root, departments)
    joined = timezone.make_aware(datetime(start.year, start.month, 1)) - timedelta(days=1)
    Membership.objects.create(
        organization=org,
        account=admin_account,
        member_type="admin",
        department=root,
        name="scale-admin",
        joined_at=joined,
    )
    accounts = Account.objects.bulk_create(
        [Account(uin=f"3{i + 1:011d}", name=f"scale-member-{i + 1}") for i in range(members)],
        batch_size=2000,
    )
    member = User.objects.create(
        username=MEMBER_USERNAME, password=password, account=accounts[0], is_owner=True
    )
    self_pay = User.objects.create(
        username=SELF_PAY_USERNAME,
        password=password,
        account=accounts[min(SELF_PAY_EVERY, members) - 1],
        is_owner=True,
    )
    _groups(admin, member, self_pay)
    Membership.objects.bulk_create(
        [
            Membership(
                organization=org,
                account=a,
                member_type="created",
                department=depts[i % len(depts)],
                name=f"member-{i + 1:05d}",
                payer=None if (i + 1) % SELF_PAY_EVERY == 0 else admin_account,
                # self-pay members grant bills, balance, consolidated bills, cost analysis and
                # budgets (F1), so the admin's finance pages reach them as a real org's would
                permissions=[1, 2, 3, 4, 5, 8, 9, 10]
                if (i + 1) % SELF_PAY_EVERY == 0
                else [1, 2, 7],
                joined_at=joined,
            )
            for i, a in enumerate(accounts)
        ],
        batch_size=2000,
    )
    MembershipPeriod.objects.bulk_create(
        [
            MembershipPeriod(
                account=a,
                organization=org,
                member_type="created",
                payer=None if (i + 1) % SELF_PAY_EVERY == 0 else admin_account,
                started_at=joined,
            )
            for i, a in enumerate(accounts)
        ],
        batch_size=2000,
    )
    catalog = _catalog()
    heavy = set(_measured(members))
    resources = Resource.objects.bulk_create(
        [
            Resource(
                instance_id=f"ins-s{i:07d}-{k:02d}",
                owner=a,
                product=(product := catalog["products"][(i + k) % len(catalog["products"])]),
                spec=catalog["specs"][product.pk],
                region=catalog["region"],
                billing_mode=BillingMode.SUBSCRIPTION,
                status=ResourceStatus.ACTIVE,
                period_start=joined,
                period_end=now + timedelta(days=365),
            )
            for i, a in enumerate(accounts)
            for k in range(HEAVY_RESOURCES if i in heavy else 2)
        ],
        batch_size=2000,
    )
    return org, (admin, member, self_pay), accounts, resources


def _groups(*users: User) -> None:
    from django.contrib.auth.models import Group

    owner = Group.objects.get(name="Account owner")
    for user in users:
        user.groups.add(owner)


def _money(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _measured(members: int) -> list[int]:
    """The indexes of the measured members: `member` and `self_pay`."""
    return sorted({0, min(SELF_PAY_EVERY, members) - 1})


def owner_shares(members: int) -> list[float]:
    """Each member's share of the lines: `MEASURED_SHARE` for each measured member, the rest
    Zipf-like over the others in order (the k-th of them ∝ 1/k)."""
    measured = _measured(members)
    others = [i for i in range(members) if i not in measured]
    if not others:
        return [1 / len(measured) if i in measured else 0.0 for i in range(members)]
    shares = [0.0] * members
    for i in measured:
        shares[i] = MEASURED_SHARE
    harmonic = sum(1 / k for k in range(1, len(others) + 1))
    rest = 1 - MEASURED_SHARE * len(measured)
    for k, i in enumerate(others, start=1):
        shares[i] = rest / (k * harmonic)
    return shares


def month_sizes(line_items: int, months: int) -> list[int]:
    """Lines per month, oldest first: each month `GROWTH` times the one before."""
    bounds = [0, *(round(line_items * c) for c in _fractions(months))]
    return [b - a for a, b in pairwise(bounds)]


def _fractions(months: int) -> list[float]:
    weights = list(accumulate(GROWTH**m for m in range(months)))
    return [w / weights[-1] for w in weights]


class _Lines:
    """The bill lines as COPY text rows (tab-separated; every value is a number, a date or a
    choice, so nothing needs escaping), month by month, and their F5 daily rollup. Line j's
    member is where the golden ratio's j-th step falls among the members' shares, so every
    stretch of lines (a month) splits between members in their shares; each member's lines go
    round its resources. Amounts are whole cents; `totals` sums each (member, month)'s cash."""

    def __init__(self, rng, *, accounts, payer, resources, region, months, first_journal):
        self.rng, self.months, self.first_journal = rng, months, first_journal
        self.n_accounts, self.n_months = len(accounts), len(months)
        self.cdf = list(accumulate(owner_shares(len(accounts))))
        self.cdf[-1] = 2.0  # every step falls below the last bound
        self.accounts = [a.pk for a in accounts]
        self.payers = [
            a.pk if (i + 1) % SELF_PAY_EVERY == 0 else payer.pk for i, a in enumerate(accounts)
        ]
        self.heads = [f"{a}\t{p}\t" for a, p in zip(self.accounts, self.payers, strict=True)]
        self.products = sorted({r.product_id for r in resources})
        self.region_id = region.pk
        owned = {}
        for res in resources:
            owned.setdefault(res.owner_id, []).append(res)
        self.kits = [  # per member: its resources' columns, and their products' indexes
            [f"{r.product_id}\t{r.pk}\t{region.pk}\t" for r in owned[a]] for a in self.accounts
        ]
        self.kit_products = [
            [self.products.index(r.product_id) for r in owned[a]] for a in self.accounts
        ]
        self.kit_resources = [  # per member: its resources' (resource, product) ids
            [(r.pk, r.product_id) for r in owned[a]] for a in self.accounts
        ]
        subscription, payg = BillingMode.SUBSCRIPTION.value, BillingMode.PAYG.value
        self.kinds = [
            (subscription, TransactionType.NEW.value),
            (subscription, TransactionType.RENEW.value),
            (payg, TransactionType.SETTLEMENT.value),
        ]
        self.kind_of = [0, 1, 2, 2, 2, 2, 2, 2, 2, 2]  # by j % 10
        self.money = [_money(c) for c in range(50_001)]
        self.seen = [0] * len(accounts)
        self.totals = [0] * (len(accounts) * len(months))  # cash in cents per (member, month)

    def month(self, m: int, first: int, size: int, daily: dict, by_resource: dict, bar):
        """Lines first … first + size - 1, all in month m; `daily` sums them by console day,
        member, product and kind (F5's key, the rest follows from the member and month),
        `by_resource` by member and resource (`ResourceMonth`'s key, likewise)."""
        start, n_accounts, n_months, n_products = (
            self.months[m],
            self.n_accounts,
            self.n_months,
            len(self.products),
        )
        prefix = f"{start.isoformat()}\t"
        # the line's time: day 1 + j % 28, hour j % 24, minute j % 60 (840 = their period)
        times = [
            datetime(start.year, start.month, 1 + t % 28, t % 24, t % 60, tzinfo=UTC)
            for t in range(840)
        ]
        stamps = [f"{t.isoformat()}\t" for t in times]
        days = [(timezone.localtime(t).date() - start).days for t in times]  # F5: console day
        kinds = [f"{mode}\t{kind}\t" for mode, kind in self.kinds]
        cdf, seen, kits, kit_products, heads = (
            self.cdf,
            self.seen,
            self.kits,
            self.kit_products,
            self.heads,
        )
        kind_of, money, totals = self.kind_of, self.money, self.totals
        random, step, where = self.rng.random, PHI, bisect_right
        journal = self.first_journal + m
        for j in range(first, first + size):
            owner = where(cdf, (j * step) % 1.0)
            k = seen[owner]
            seen[owner] = k + 1
            kit = kits[owner]
            r = k % len(kit)
            kind = kind_of[j % 10]
            t = j % 840
            cents = int(random() * 50_000) + 1
            discount = cents // 20 if j % 3 == 0 else 0
            cash = cents - discount
            totals[owner * n_months + m] += cash
            key = ((days[t] * n_accounts + owner) * n_products + kit_products[owner][r]) * 3 + kind
            sums = daily.get(key)
            if sums is None:
                daily[key] = [cents, discount, cash, 1]
            else:
                sums[0] += cents
                sums[1] += discount
                sums[2] += cash
                sums[3] += 1
            # the same four sums by member and resource, written out as above: a helper call
            # per line and rollup would cost seconds over 10 million lines
            key = owner * 64 + r  # r < HEAVY_RESOURCES < 64
            sums = by_resource.get(key)
            if sums is None:
                by_resource[key] = [cents, discount, cash, 1]
            else:
                sums[0] += cents
                sums[1] += discount
                sums[2] += cash
                sums[3] += 1
            yield (
                f"{prefix}{heads[owner]}{kit[r]}{kinds[kind]}{money[cents]}\t"
                f"{money[discount]}\t0.00\t{money[cash]}\t{stamps[t]}"
                f"{journal + owner * n_months}\n"
            )
            if bar and j % BATCH == BATCH - 1:
                bar.update(BATCH)

    def daily_rows(self, m: int, daily: dict):
        """Month m's F5 daily rollup rows (untagged), in its unique key's order."""
        start, n_accounts, n_products = self.months[m], self.n_accounts, len(self.products)
        rows = []
        for key, sums in daily.items():
            key, kind = divmod(key, 3)
            key, product = divmod(key, n_products)
            day, owner = divmod(key, n_accounts)
            rows.append((self.payers[owner], day, self.accounts[owner], product, kind, sums))
        rows.sort()  # the first five are the key: no two rows tie
        for payer, day, owner, product, kind, (list_cost, discount, cash, count) in rows:
            mode, transaction_type = self.kinds[kind]
            yield (
                f"{start + timedelta(days=day)}\t{start}\t{payer}\t{owner}\t"
                f"{self.products[product]}\t{self.region_id}\t{mode}\t{transaction_type}\t"
                f"{_money(list_cost)}\t{_money(discount)}\t0.00\t{_money(cash)}\t{count}\n"
            )

    def resource_rows(self, m: int, by_resource: dict):
        """Month m's `ResourceMonth` rows, in its unique key's order (what `ROLLUP_SQL` would
        sum from the month's lines)."""
        start, rows = self.months[m], []
        for key, sums in by_resource.items():
            owner, r = divmod(key, 64)
            resource, product = self.kit_resources[owner][r]
            rows.append((self.payers[owner], self.accounts[owner], resource, product, sums))
        rows.sort()
        for payer, owner, resource, product, (list_cost, discount, cash, count) in rows:
            yield (
                f"{start}\t{payer}\t{owner}\t{resource}\t{product}\t{_money(list_cost)}\t"
                f"{_money(discount)}\t0.00\t{_money(cash)}\t{count}\n"
            )


RESOURCE_COLUMNS = [
    "bill_month",
    "payer_id",
    "owner_id",
    "resource_id",
    "product_id",
    "list_cost",
    "discount",
    "voucher_amount",
    "cash_amount",
    "line_count",
]

DAILY_COLUMNS = [
    *(f for f in DailyCost.KEY if f != "tag_set_id"),  # untagged: the scale members have no tags
    "list_cost",
    "discount",
    "voucher_amount",
    "cash_amount",
    "line_count",
]


def _month_end(month: date) -> datetime:
    return datetime(month.year, month.month, 28, 12, tzinfo=UTC)


def _ledger(accounts, payer, totals, months, first_journal, now) -> None:
    """The settlement journals and their entries, each cash entry equal to its lines, after a
    top-up per paying account that leaves it 1,000,000.00 CNY when everything is paid; cash
    entries carry the running balance, as the services write it. Amounts in cents."""
    n_months = len(months)
    journals, entries = [], []
    cash: dict[int, list] = {}  # paying account → its cash movements, in time order
    ends = [_month_end(m) for m in months]
    for owner, account in enumerate(accounts):
        paid_by = account.pk if (owner + 1) % SELF_PAY_EVERY == 0 else payer.pk
        for month, start in enumerate(months):
            amount = totals[owner * n_months + month]
            if not amount:
                continue
            jid, at = first_journal + owner * n_months + month, ends[month]
            journals.append(_row(jid, JournalKind.SETTLEMENT, at, f"{account.uin} {start:%Y-%m}"))
            cash.setdefault(paid_by, []).append((at, jid, -amount, account.pk))
            entries.append(_row(jid, Book.REVENUE, None, _money(amount), None, account.pk, at))
    at = now - timedelta(days=400)
    first_top_up = first_journal + len(accounts) * n_months
    for i, account_id in enumerate(sorted(cash)):
        rows = sorted(cash[account_id])
        amount = -sum(r[2] for r in rows) + 100_000_000  # leaves 1,000,000.00
        jid = first_top_up + i
        journals.append(_row(jid, JournalKind.TOPUP, at, "scale opening balance"))
        entries.append(_row(jid, Book.CLEARING, None, _money(-amount), None, None, at))
        balance = amount
        entries.append(
            _row(jid, Book.CASH, account_id, _money(amount), _money(balance), account_id, at)
        )
        for when, settlement, moved, owner_id in rows:
            balance += moved
            entries.append(
                _row(
                    settlement,
                    Book.CASH,
                    account_id,
                    _money(moved),
                    _money(balance),
                    owner_id,
                    when,
                )
            )
    _copy(Journal, ["id", "kind", "created_at", "memo"], journals)
    _copy(
        Entry,
        ["journal_id", "book", "account_id", "amount", "balance_after", "owner_id", "created_at"],
        entries,
    )
    Wallet.objects.bulk_create(
        [Wallet(account_id=a, cash=Decimal("1000000.00")) for a in sorted(cash)],
        batch_size=2000,
    )


def _row(*values) -> str:
    """One line of COPY text; None is NULL. The values are numbers, dates, choices and memos
    made here (account numbers and months), none with a tab, newline or backslash."""
    return (
        "\t".join(
            r"\N" if v is None else v.isoformat() if isinstance(v, datetime) else str(v)
            for v in values
        )
        + "\n"
    )
