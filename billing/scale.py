"""A large, realistic dataset for measuring the console (`seed_scale`, `bench`; PostgreSQL).

One organization, "Scale Corp": an admin account that pays for 90 % of its members (the rest
pay for themselves), `departments` departments three levels deep, `members` members spread
over them, two resources each, and `line_items` bill lines over `months` months. Every line
is backed by the ledger: one settlement journal per (member, month) whose cash entry equals
its lines, and a top-up that keeps the payer's wallet positive, so `check_books` holds.

Rows go in with PostgreSQL's COPY in transactions of `CHUNK` lines (a 10-million-line load
must not queue 10 million deferred foreign-key checks in one transaction); the rollups are
then computed from the lines with `rebuild_rollups` and the tables analysed.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from billing.bill_selectors import add_months
from billing.catalog import ensure_catalog
from billing.models import BillLine, Entry, Journal, Product, Region, Resource, Spec, Wallet
from billing.models.choices import (
    BillingMode,
    Book,
    JournalKind,
    ResourceStatus,
    TransactionType,
)
from billing.services.bills import rebuild_daily_costs, rebuild_rollups
from organizations.models import (
    Account,
    Department,
    Membership,
    MembershipPeriod,
    Organization,
    User,
)

CHUNK = 250_000
PASSWORD = "tco-scale-2026"
ADMIN_USERNAME = "scale-admin"
MEMBER_USERNAME = "scale-member"
SELF_PAY_USERNAME = "scale-selfpay"
SELF_PAY_EVERY = 10  # every 10th member pays for itself
APPS = ("organizations", "billing", "sessions", "django_tasks_db")
KEEP = {"billing_region", "billing_product", "billing_spec"}


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


def _copy(model, columns: list[str], rows) -> None:
    """COPY rows into the model's table: tuples, or ready lines of COPY text (sent in
    batches of 10,000 lines)."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        batch = []
        for row in rows:
            if not isinstance(row, str):
                copy.write_row(row)
                continue
            batch.append(row)
            if len(batch) == 10_000:
                copy.write("".join(batch))
                batch.clear()
        if batch:
            copy.write("".join(batch))


@contextmanager
def _bulk_load(model):
    """Load a table as bulk loaders do: without its secondary indexes and foreign keys, then
    rebuild each index in one pass and validate each foreign key with one join. Names and
    definitions come from PostgreSQL's catalog, none from input."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
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
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
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
) -> Dataset:
    """Load the dataset into an empty database (`reset()` first). `progress(total, desc)`
    returns a tqdm-like object with `update(n)` and `close()`."""
    require_postgresql()
    rng = random.Random(seed)
    now = timezone.now()
    start = add_months(timezone.localdate().replace(day=1), -(months - 1))
    with transaction.atomic():
        org, (admin, member, self_pay), accounts, resources = _organization(
            members=members, departments=departments, start=start, now=now
        )
    payer = admin.account
    catalog = _catalog()
    month_starts = [add_months(start, i) for i in range(months)]
    # One settlement journal per (member, month) that has lines, written before the lines.
    pairs = sorted(
        {((j * 7919) % len(accounts), j * months // line_items) for j in range(line_items)}
    )
    first_journal = _next_ids(Journal, len(pairs))
    ids = {pair: first_journal + i for i, pair in enumerate(pairs)}
    with transaction.atomic():
        _copy(
            Journal,
            ["id", "kind", "created_at", "memo"],
            (
                (
                    ids[owner, month],
                    JournalKind.SETTLEMENT,
                    _month_end(month_starts[month]),
                    f"{accounts[owner].uin} {month_starts[month]:%Y-%m}",
                )
                for owner, month in pairs
            ),
        )

    def journal_id(owner: int, month: int) -> int:
        return ids[owner, month]

    totals = [[0] * months for _ in accounts]  # cents
    counts = [[0] * months for _ in accounts]
    bar = progress(line_items, "bill lines") if progress else None
    written = 0
    with _bulk_load(BillLine):
        while written < line_items:
            n = min(CHUNK, line_items - written)
            with transaction.atomic():
                _copy(
                    BillLine,
                    [  # B11: the one field list, as columns (`owner` → `owner_id`)
                        *(BillLine._meta.get_field(f).attname for f in BillLine.B11_FIELDS),
                        "journal_id",
                    ],
                    _lines(
                        rng,
                        range(written, written + n),
                        line_items=line_items,
                        accounts=accounts,
                        payer=payer,
                        resources=resources,
                        catalog=catalog,
                        months=month_starts,
                        journal_id=journal_id,
                        totals=totals,
                        counts=counts,
                    ),
                )
            written += n
            if bar:
                bar.update(n)
    if bar:
        bar.close()
    with transaction.atomic():
        _ledger(accounts, payer, totals, counts, month_starts, journal_id, now)
    with transaction.atomic():
        rebuild_rollups()
        rebuild_daily_costs()
    with connection.cursor() as cursor:
        # what autovacuum would do next, done now: statistics for the planner and a visibility
        # map for index-only scans (and no vacuum competing with whatever runs next)
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
    resources = Resource.objects.bulk_create(
        [
            Resource(
                instance_id=f"ins-s{i:07d}{k}",
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
            for k in range(2)
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
    return f"{cents // 100}.{cents % 100:02d}"


def _lines(
    rng,
    indexes,
    *,
    line_items,
    accounts,
    payer,
    resources,
    catalog,
    months,
    journal_id,
    totals,
    counts,
):
    """Bill lines spread evenly over months and members, as COPY text rows (tab-separated;
    every value is a number, a date or a choice, so nothing needs escaping). Amounts are
    whole cents; `totals` sums each (member, month)'s cash in cents."""
    n_accounts = len(accounts)
    n_months = len(months)
    region_id = catalog["region"].pk
    payer_id = payer.pk
    subscription, payg = BillingMode.SUBSCRIPTION.value, BillingMode.PAYG.value
    kinds = [TransactionType.NEW.value, TransactionType.RENEW.value]
    kinds += [TransactionType.SETTLEMENT.value] * 8
    randint = rng.randint
    for j in indexes:
        month = j * n_months // line_items
        owner = (j * 7919) % n_accounts
        account_id = accounts[owner].pk
        res = resources[owner * 2 + (j & 1)]
        cents = randint(1, 50_000)
        discount = cents // 20 if j % 3 == 0 else 0
        cash = cents - discount
        kind = j % 10
        start = months[month]
        totals[owner][month] += cash
        counts[owner][month] += 1
        yield (
            f"{start.isoformat()}\t{account_id}\t"
            f"{account_id if (owner + 1) % SELF_PAY_EVERY == 0 else payer_id}\t"
            f"{res.product_id}\t{res.pk}\t{region_id}\t"
            f"{subscription if kind < 2 else payg}\t{kinds[kind]}\t"
            f"{_money(cents)}\t{_money(discount)}\t0.00\t{_money(cash)}\t"
            f"{start.year}-{start.month:02d}-{1 + j % 28:02d}T{j % 24:02d}:{j % 60:02d}:00+00:00"
            f"\t{journal_id(owner, month)}\n"
        )


def _month_end(month: date) -> datetime:
    return datetime(month.year, month.month, 28, 12, tzinfo=UTC)


def _ledger(accounts, payer, totals, counts, months, journal_id, now) -> None:
    """The settlement journals' entries, each cash entry equal to its lines, after a top-up
    per paying account that leaves it 1,000,000.00 CNY when everything is paid; cash entries
    carry the running balance, as the services write it."""
    spent: dict[int, Decimal] = {}
    cash: dict[int, list] = {}
    entries = []
    for owner, account in enumerate(accounts):
        paid_by = account.pk if (owner + 1) % SELF_PAY_EVERY == 0 else payer.pk
        for month, start in enumerate(months):
            amount = Decimal(totals[owner][month]) / 100
            if not counts[owner][month]:
                continue
            jid, at = journal_id(owner, month), _month_end(start)
            spent[paid_by] = spent.get(paid_by, Decimal(0)) + amount
            cash.setdefault(paid_by, []).append(
                [jid, Book.CASH, paid_by, -amount, None, account.pk, at]
            )
            entries.append((jid, Book.REVENUE, None, amount, None, account.pk, at))
    first = _next_ids(Journal, len(spent))
    top_ups = []
    at = now - timedelta(days=400)
    for i, account_id in enumerate(sorted(spent)):
        amount = spent[account_id] + Decimal("1000000.00")
        top_ups.append((first + i, JournalKind.TOPUP, at, "scale opening balance"))
        cash[account_id].insert(0, [first + i, Book.CASH, account_id, amount, None, account_id, at])
        entries.append((first + i, Book.CLEARING, None, -amount, None, None, at))
    for rows in cash.values():
        rows[1:] = sorted(rows[1:], key=lambda r: (r[6], r[0]))
        balance = Decimal(0)
        for row in rows:
            balance += row[3]
            row[4] = balance
            entries.append(tuple(row))
    _copy(Journal, ["id", "kind", "created_at", "memo"], top_ups)
    _copy(
        Entry,
        ["journal_id", "book", "account_id", "amount", "balance_after", "owner_id", "created_at"],
        entries,
    )
    Wallet.objects.bulk_create(
        [Wallet(account_id=a, cash=Decimal("1000000.00")) for a in sorted(spent)],
        batch_size=2000,
    )
