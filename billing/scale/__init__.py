"""A large, realistic dataset for measuring the console (`seed_scale`, `bench`; PostgreSQL).

One organization, "Scale Corp": an admin account that pays for 90 % of its members (the rest
pay for themselves), `departments` departments three levels deep, `members` members spread
over them (the first in Root, the others below it), and `line_items` bill lines over `months`
months. Every line is backed by the ledger: one settlement journal per (member, month) whose
cash entry equals its lines, and a top-up that keeps the payer's wallet positive, so
`check_books` holds.

Spend is skewed, as in real organizations (issue 16: growth is measured on pages that are full
at both sizes): the two measured members (`member`, pay-on-behalf, and `self_pay`) own
`MEASURED_SHARE` of the lines each and 30 resources each, the others share the rest Zipf-like
(the k-th of them 1/k), and every month has `GROWTH` times the lines of the month before. So
at 1,000 lines each measured member has a full page of lines (25), of resources and every
product in the current month, and at 10 million lines every member has some lines.

Loading follows the bulk loaders' recipe: the lines are generated chunk by chunk and streamed
to COPY (never held in memory) in COPY's binary format, so PostgreSQL parses no text, with
FREEZE into a table emptied in the same transaction and stripped of its secondary indexes and
foreign keys, which are then rebuilt in one pass each; the ledger is written from
per-(member, month) totals kept while streaming, its entries' foreign keys likewise validated
in one pass each rather than row by row. F5's daily rollup is summed while streaming too, a
month at a time (a month's lines are consecutive), and copied after each month: one pass in
Python instead of a GROUP BY of every line on nine keys; so is the first monthly rollup
(`ResourceMonth`, by member and resource), and the others are summed from it in the database
(`rebuild_rollups`). One transaction holds the lines, the daily and resource rollups and the
ledger, so a failure leaves nothing.
`check_books` proves both rollups equal the lines.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

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
)
from billing.models.choices import (
    BillingMode,
    ResourceStatus,
)
from billing.services.bills import rebuild_rollups
from organizations.models import (
    Account,
    Department,
    Membership,
    Organization,
    User,
)

from .lines import DAILY_COLUMNS, RESOURCE_COLUMNS, Lines, write_ledger
from .loading import (
    Clock,
    bulk_load,
    copy_chunks,
    copy_rows,
    join_members,
    load_settings,
    next_ids,
)
from .shape import HEAVY_RESOURCES, SELF_PAY_EVERY, measured_members, month_sizes
from .shape import MEASURED_SHARE as MEASURED_SHARE  # for the tests and the bench
from .shape import owner_shares as owner_shares

PASSWORD = "tco-scale-2026"
ADMIN_USERNAME = "scale-admin"
MEMBER_USERNAME = "scale-member"
SELF_PAY_USERNAME = "scale-selfpay"
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


DEPARTMENT_LEVELS = (("Division {:02d}", 10), ("Team {:03d}", 100), ("Squad {:04d}", None))


def _departments(org: Organization, root: Department, n: int) -> list[Department]:
    """`n` departments below Root: 10 at level 1, up to 100 at level 2, the rest at level 3,
    each level's spread round the level above."""
    made, parents, remaining = [root], [root], n
    for depth, (name, most) in enumerate(DEPARTMENT_LEVELS, start=1):
        count = max(remaining, 0) if most is None else min(most, max(remaining, 0))
        level = [
            Department(
                organization=org,
                parent=parents[i % len(parents)],
                name=name.format(i + 1),
                depth=depth,
            )
            for i in range(count)
        ]
        made += _save_level(level)
        remaining -= len(level)
        parents = level
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
    clock = Clock(phases)
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
    first_journal = next_ids(Journal, len(accounts) * months + len(accounts) + 1)
    lines = Lines(
        rng,
        accounts=accounts,
        payer=payer,
        resources=resources,
        region=region,
        months=month_starts,
        first_journal=first_journal,
    )
    # B11: the one field list, as columns (`owner` → `owner_id`), and the journal; a field
    # added to B11 must be added to the rows
    b11 = [BillLine._meta.get_field(f).attname for f in BillLine.B11_FIELDS]
    if sorted(Lines.COLUMNS) != sorted([*b11, "journal_id"]):
        raise RuntimeError(f"the scale lines' columns {Lines.COLUMNS} are not B11's {b11}")
    with transaction.atomic():
        load_settings()
        # the entries keep their indexes: the ledger's balance check reads them (below)
        tables = [BillLine, DailyCost, ResourceMonth, Journal, Entry]
        with bulk_load(tables, clock, "lines", keep_indexes=[Entry]):
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
                    daily, by_resource = defaultdict(int), defaultdict(int)  # a month's sums
                    month = lines.month(m, first, size, daily, by_resource, bar)
                    copy_chunks(BillLine, Lines.COLUMNS, month, freeze=True, binary=True)
                    copy_rows(DailyCost, DAILY_COLUMNS, lines.daily_rows(m, daily), freeze=True)
                    rows = lines.resource_rows(m, by_resource)
                    copy_rows(ResourceMonth, RESOURCE_COLUMNS, rows, freeze=True)
                    first += size
                if bar:
                    bar.close()
            with clock.phase("ledger"):
                write_ledger(accounts, payer, lines.totals, month_starts, first_journal, now)
            with clock.phase("ledger: deferred checks"), connection.cursor() as cursor:
                # each journal balances: the ledger's deferred trigger, timed here, not at
                # commit, and run before the foreign keys are added back (PostgreSQL alters
                # no table that has checks pending)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    rollups = [BillSummary, PayerProductMonth, PobMemberMonth, PobDepartmentMonth]
    with transaction.atomic():
        load_settings()
        with bulk_load(rollups, clock, "rollups"), clock.phase("rollups"):
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
    # self-pay members grant bills, balance, consolidated bills, cost analysis, budgets and
    # credit (F1), so the admin's finance pages reach them as a real organization's would
    join_members(
        org,
        accounts,
        depts,
        admin_account=admin_account,
        self_pay=[1, 2, 3, 4, 5, 8, 9, 10],
        joined=joined,
    )
    catalog = _catalog()
    heavy = set(measured_members(members))
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
