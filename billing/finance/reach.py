"""F1, F2: whose financial data a console user reaches, and for which days.

F1: the admin account's users (with `billing.view_finance`) reach their own account, their
pay-on-behalf members' spend (it is the admin's own data, by owner: B11), and each self-pay
member for exactly the financial permissions that member grants now (O9), read at request
time, so a revoked permission hides the data on the next request. A member's users reach only
their own account. Anything else is a 404.

F2: a self-pay member's data is reached only for the whole console days (UTC+8) it spent
inside its membership periods (O11) in this organization: from the first midnight after it
joined (the day itself when it joined at midnight) to the last midnight before it left.
Partial days at either end are left out, so nothing from outside a period is ever shown.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import CostVersion
from organizations.choices import FinancialPermission, MemberType
from organizations.models import Account, Membership, MembershipPeriod
from organizations.selectors import structure_fingerprint_sql
from tco_console.digests import digest_sql
from tco_console.errors import DomainError

Perm = FinancialPermission

# one day window: first and last whole console day, inclusive; last None = still a member
Window = tuple[dt.date, dt.date | None]


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def whole_days(started_at: dt.datetime, ended_at: dt.datetime | None) -> Window | None:
    """F2: the whole console days of one membership period (None when there is none)."""
    start = timezone.localtime(started_at)
    first = start.date() if start.time() == dt.time.min else start.date() + dt.timedelta(days=1)
    if ended_at is None:
        return (first, None)
    last = timezone.localtime(ended_at).date() - dt.timedelta(days=1)
    return (first, last) if last >= first else None


def windows_for(account_ids, organization_id: int) -> dict[int, tuple[Window, ...]]:
    """F2: each account's whole-day windows in the organization (one query)."""
    return _windows(
        MembershipPeriod.objects.filter(
            account_id__in=list(account_ids), organization_id=organization_id
        )
    )


def _windows(periods) -> dict[int, tuple[Window, ...]]:
    found = defaultdict(list)
    periods = periods.order_by("account_id", "started_at")
    for account_id, started_at, ended_at in periods.values_list(
        "account_id", "started_at", "ended_at"
    ):
        window = whole_days(started_at, ended_at)
        if window is not None:
            found[account_id].append(window)
    return {account_id: tuple(w) for account_id, w in found.items()}


def windows_of(account_id: int, organization_id: int) -> tuple[Window, ...]:
    return windows_for([account_id], organization_id).get(account_id, ())


def day_q(windows, field_name: str = "day") -> Q:
    """Rows whose date field falls on one of the windows' days (none when no window)."""
    q = Q(pk__in=[])
    for first, last in windows:
        part = Q(**{f"{field_name}__gte": first})
        if last is not None:
            part &= Q(**{f"{field_name}__lte": last})
        q |= part
    return q


def time_q(windows, field_name: str = "created_at") -> Q:
    """Rows whose time falls on one of the windows' days."""
    q = Q(pk__in=[])
    for first, last in windows:
        part = Q(**{f"{field_name}__gte": _midnight(first)})
        if last is not None:
            part &= Q(**{f"{field_name}__lt": _midnight(last + dt.timedelta(days=1))})
        q |= part
    return q


def in_windows(day: dt.date, windows) -> bool:
    return any(first <= day and (last is None or day <= last) for first, last in windows)


@dataclass(frozen=True)
class Reach:
    """The account whose figures a page shows, and how far (F1, F2)."""

    account: Account
    own: bool  # the viewer's own account: everything, no windows
    membership: Membership | None = None
    windows: tuple[Window, ...] = field(default=())

    def days(self, field_name: str = "day") -> Q:
        return Q() if self.own else day_q(self.windows, field_name)

    def times(self, field_name: str = "created_at") -> Q:
        return Q() if self.own else time_q(self.windows, field_name)


def own(ctx) -> Reach:
    return Reach(account=ctx.account, own=True, membership=ctx.membership)


def grants(membership: Membership, perm: int) -> bool:
    return granted(membership.permissions, perm)


def granted(permissions, perm: int) -> bool:
    """F1: `perm` is among these permissions (a membership's, read as a plain row)."""
    return int(perm) in {int(p) for p in permissions or ()}


def is_self_pay_member(membership: Membership) -> bool:
    return membership.member_type != MemberType.ADMIN and membership.payer_id is None


def refuse_unless_self_pay_granting(m: Membership, perm: int, *, why_not_on_behalf: str) -> None:
    """F1 for an action on a member (F12 transfers, F16 invoicing), re-checked by the service
    inside its locks: a member account, paying for itself, granting `perm` now. A
    pay-on-behalf member is refused with `why_not_on_behalf` (its spend is the payer's)."""
    if m.member_type == MemberType.ADMIN:
        raise DomainError(_("Choose a member account, not the admin account."), field="account")
    if m.payer_id is not None:
        raise DomainError(
            _("%(name)s is paid for on behalf of the organization: %(why)s")
            % {"name": m.name, "why": why_not_on_behalf},
            code="UnsupportedOperation.PayOnBehalfMember",
        )
    if not grants(m, perm):
        label = FinancialPermission(int(perm)).label
        raise DomainError(
            _("%(name)s does not grant the admin the %(label)s permission (%(perm)s).")
            % {"name": m.name, "label": label, "perm": int(perm)},
            code="UnsupportedOperation.PermissionNotGranted",
        )


def _granting_q(perm: int, via: str = "") -> Q:
    """F1 as a filter on memberships (`via`: the path to them from the rows filtered): a
    self-pay member (no payer, not the admin account) that grants `perm` now, read by
    PostgreSQL's jsonb containment, so an organization of thousands of self-pay members reads
    only those that grant it. SQLite has no JSON `contains`: there the filter keeps every
    self-pay member and the readers check `grants` in Python."""
    q = Q(**{f"{via}payer__isnull": True}) & ~Q(**{f"{via}member_type": MemberType.ADMIN})
    if connection.vendor == "postgresql":
        q &= Q(**{f"{via}permissions__contains": [int(perm)]})
    return q


def granting_candidates(ctx, perm: int):
    """The one reader of the admin's self-pay members granting `perm` (F1), by name, as a
    queryset each caller shapes (a list, a page and its count, one member by UIN, their cost
    versions, F12's table with their wallets): exactly those on PostgreSQL, every self-pay
    member on SQLite (see `_granting_q`). None for anyone but the admin account's users with
    `billing.view_finance`."""
    if not (ctx.is_admin and ctx.can("billing.view_finance")):
        return Membership.objects.none()
    return (
        Membership.objects.filter(_granting_q(perm), organization_id=ctx.organization_id)
        .select_related("account")
        .order_by("name", "pk")
    )


def members_granting(ctx, perm: int) -> list[Membership]:
    """F1: the admin's self-pay members that grant `perm` now, by name (none for anyone but
    the admin account's users with `billing.view_finance`)."""
    return [m for m in granting_candidates(ctx, perm) if grants(m, perm)]


def members_granting_page(
    ctx, perm: int, limit: int, offset: int = 0
) -> tuple[list[Membership], int]:
    """`limit` of `members_granting` from `offset` on and how many there are in all, reading
    (on PostgreSQL) only those: a page lists a bounded number of members."""
    if connection.vendor != "postgresql":
        every = members_granting(ctx, perm)
        return every[offset : offset + limit], len(every)
    candidates = granting_candidates(ctx, perm)
    page = list(candidates[offset : offset + limit])
    return page, counted(page, candidates, limit, offset)


def counted(page: list, rows, limit: int, offset: int = 0) -> int:
    """How many `rows` there are in all, given the `page` of at most `limit` read from
    `offset`: a first page that is not full holds them all; otherwise one COUNT."""
    return len(page) if offset == 0 and len(page) < limit else rows.count()


class AccountRef(NamedTuple):
    """An account as a list of members names it: its id and its UIN."""

    pk: int
    uin: str


class Listed(NamedTuple):
    """A member as a selector offers it: its membership's id and name and its account, read
    as plain values. Two hundred memberships built as model instances with their accounts
    took 25 ms of a page at ten thousand members (issue 16); the options need four values."""

    pk: int
    name: str
    account: AccountRef


LISTED_VALUES = ("pk", "name", "account_id", "account__uin")


def listed_rows(rows) -> list[Listed]:
    """`Listed` members from `values_list(*LISTED_VALUES)` rows."""
    return [Listed(pk, name, AccountRef(account_id, uin)) for pk, name, account_id, uin in rows]


def members_granting_listed(ctx, perm: int, limit: int) -> tuple[list[Listed], int]:
    """The first `limit` of `members_granting` as a selector lists them, and how many there
    are in all."""
    if connection.vendor != "postgresql":
        every = members_granting(ctx, perm)
        rows = [(m.pk, m.name, m.account_id, m.account.uin) for m in every[:limit]]
        return listed_rows(rows), len(every)
    candidates = granting_candidates(ctx, perm)
    page = listed_rows(candidates.values_list(*LISTED_VALUES)[:limit])
    return page, counted(page, candidates, limit)


def pay_on_behalf_members(ctx):
    """The admin's members it pays for (their spend is the admin's own data, B11)."""
    if not ctx.is_admin:
        return Membership.objects.none()
    return Membership.objects.filter(
        organization_id=ctx.organization_id, payer_id=ctx.account.pk
    ).select_related("account")


def member_reach(ctx, uin: str, perm: int) -> Reach:
    """F1: the self-pay member with this UIN, for `perm`, or 404: not the admin's user with
    view_finance, not a member of its organization, pay-on-behalf, or not granting `perm`."""
    membership = granting_candidates(ctx, perm).filter(account__uin=str(uin)[:12]).first()
    if membership is None or not grants(membership, perm):
        raise Http404
    return Reach(
        account=membership.account,
        own=False,
        membership=membership,
        windows=windows_of(membership.account_id, ctx.organization_id),
    )


def cost_q(ctx, perm: int, *, day_field: str = "day") -> Q:
    """F1 for the daily rollup (F5) and anything keyed by payer and owner: the rows the user
    reaches for `perm` (8 cost analysis, 9 budgets). The admin: every row it paid (its own
    and its pay-on-behalf members'), and each self-pay member's own rows on that member's
    whole days (F2). A member: the rows it owns (whoever paid)."""
    return _cost_reach(ctx, perm, day_field, versions=False)[0]


def cost_reach(ctx, perm: int) -> tuple[Q, dict[int, int] | None]:
    """`cost_q`, and the cost versions (F5) of the payers whose rows it reads: the admin and
    the granting self-pay members, read with them in the same query (None for a member,
    whose rows any payer may have paid: nothing to key a cache on)."""
    return _cost_reach(ctx, perm, "day", versions=True)


def cost_digest(ctx, perm: int, *, structure: bool = False) -> str | None:
    """Issue 16: one digest of everything an admin's `cost_reach` for `perm` is made of: for
    the admin and each self-pay member granting `perm` now, its permissions, its cost version
    and its membership periods in the organization (F1, F2, F5); with `structure`, the
    organization's structure fingerprint too; all read in one query, order-free
    (tco_console/digests.py). A cache keyed by it is never staler than that query, which runs
    before the rows; a hit then needs no reach at all. None where no such digest is read: a
    member (any payer may have paid its rows), or SQLite (the caller keys by the reach)."""
    if not (ctx.is_admin and ctx.can("billing.view_finance")):
        return None
    if connection.vendor != "postgresql":
        return None
    params = {
        "organization": ctx.organization_id,
        "admin": ctx.account.pk,
        "perm": json.dumps([int(perm)]),
        "admin_type": MemberType.ADMIN.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_digest_sql(structure), params)
        found = cursor.fetchone()
    return f"{ctx.account.pk}|{int(perm)}|{'|'.join(found)}"


@functools.cache
def _digest_sql(structure: bool) -> str:
    """`cost_digest`'s query: the granting members (the test of `_granting_q`, F1) and the
    admin, then a digest of their permissions, of their cost versions and of their periods
    in the organization. SQL written here, table names from the models, values as
    parameters; composed through the ORM it took twice as long to compile as to run."""
    table = {
        m: connection.ops.quote_name(m._meta.db_table)
        for m in (Membership, MembershipPeriod, CostVersion)
    }
    mine = "organization_id = %(organization)s"
    granting = (
        f"SELECT account_id, permissions::text AS p FROM {table[Membership]} WHERE {mine} AND "
        "((payer_id IS NULL AND permissions @> %(perm)s::jsonb AND member_type <> "
        "%(admin_type)s) OR account_id = %(admin)s)"
    )
    period = "started_at::text || '~' || coalesce(ended_at::text, '')"
    parts = [
        digest_sql(
            "granting",
            "true",
            "hashtextextended(p, account_id)",
            "hashtextextended(p, -account_id - 1)",
        ),
        digest_sql(
            table[CostVersion],
            "payer_id IN (SELECT account_id FROM granting)",
            "hashint8extended(version, payer_id)",
            "hashint8extended(payer_id, version)",
        ),
        digest_sql(
            table[MembershipPeriod],
            f"{mine} AND account_id IN (SELECT account_id FROM granting)",
            f"hashtextextended({period}, account_id)",
            f"hashtextextended({period}, -account_id - 1)",
        ),
        structure_fingerprint_sql() if structure else "''",
    ]
    return f"WITH granting AS ({granting}) SELECT {', '.join(parts)}"


def _cost_reach(ctx, perm, day_field, *, versions):
    if ctx.account is None or not ctx.can("billing.view_finance"):
        return Q(pk__in=[]), {}
    if not ctx.is_admin:
        return Q(owner_id=ctx.account.pk), None
    q = Q(payer_id=ctx.account.pk)
    admin_id = ctx.account.pk
    found = {}
    candidates = granting_candidates(ctx, perm).order_by()
    if versions:
        version = CostVersion.objects.filter(payer_id=OuterRef("account_id")).values("version")
        mine = CostVersion.objects.filter(payer_id=admin_id).values("version")
        candidates = candidates.annotate(v=Subquery(version), admin_v=Subquery(mine))
        columns = ("account_id", "v", "admin_v", "permissions")
        for account_id, v, admin_v, permissions in candidates.values_list(*columns):
            if int(perm) in {int(p) for p in permissions or ()}:  # SQLite: no JSON filter
                found[account_id] = v or 0
            found[admin_id] = admin_v or 0
        if admin_id not in found:  # no self-pay member at all
            mine = CostVersion.objects.filter(payer_id=admin_id).values_list("version", flat=True)
            found[admin_id] = next(iter(mine), 0)
        granting = [a for a in found if a != admin_id]
        windows = windows_for(granting, ctx.organization_id)
    elif connection.vendor == "postgresql":  # the granting members' periods, in one query
        member = "account__membership__"
        windows = _windows(
            MembershipPeriod.objects.filter(
                organization_id=ctx.organization_id,
                **{f"{member}organization_id": ctx.organization_id},
            ).filter(_granting_q(perm, via=member))  # a join made inner: its NOT needs no IS NULL
        )
        granting = list(windows)
    else:
        granting = [m.account_id for m in members_granting(ctx, perm)]
        windows = windows_for(granting, ctx.organization_id)
    by_windows = defaultdict(list)
    for account_id, account_windows in windows.items():
        by_windows[account_windows].append(account_id)
    for account_windows, account_ids in by_windows.items():
        q |= Q(payer_id__in=account_ids, owner_id=F("payer_id")) & day_q(account_windows, day_field)
    return q, found if versions else [admin_id, *granting]
