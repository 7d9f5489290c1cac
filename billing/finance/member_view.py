"""F3: which account Billing Center shows, chosen with `?account=<UIN>`.

The admin account's users with `billing.view_finance` switch between "this account" and the
members in reach (F1): each self-pay member that grants 1 (bills and transaction details)
or 2 (balance) now, and the pay-on-behalf members, whose spend is already the admin's own
bills by owner (B11) and so is shown as a pointer there. Anything else is a 404, read on
every request, so revoking a permission hides the data on the next one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils.http import urlencode

from organizations.choices import MemberType
from organizations.models import Account, Membership

from ..models import Entry
from ..models.ledger import CUSTOMER_BOOKS
from .reach import Perm, Reach, granted, grants, member_reach, own, windows_of

VIEW_BILLS = Perm.VIEW_BILLS
VIEW_BALANCE = Perm.VIEW_BALANCE


def _admin_viewer(ctx) -> bool:
    return ctx.is_admin and ctx.can("billing.view_finance")


# F3: the selector lists at most this many members of each kind; past it, it becomes a box
# that takes any member's UIN (with these as suggestions), so a page of an organization of
# 10,000 members does not render 10,000 options (nor 400: a third of the page, issue 16).
LISTED = 50


class Choice(NamedTuple):
    """A member the selector offers: its name in the organization and its account's UIN."""

    name: str
    uin: str


@dataclass(frozen=True)
class AccountChoices:
    """The selector's options besides "this account" (F3), by member name."""

    self_pay: list[Choice]
    pay_on_behalf: list[Choice]
    more: bool = False  # more members than listed: the selector takes a typed UIN

    def __bool__(self):
        return bool(self.self_pay or self.pay_on_behalf)


def account_choices(ctx) -> AccountChoices:
    """F1/F3: the members the selector offers (none for anyone but the admin account's users
    with view_finance): self-pay members granting 1 or 2 now, and the pay-on-behalf members
    (marked; their page points to the admin's own bills); at most LISTED of each, read as
    plain rows (a hundred model instances cost a fifth of Billing Center, issue 16)."""
    if not _admin_viewer(ctx):
        return AccountChoices([], [])
    if connection.vendor == "postgresql":
        pob, self_pay = _first_choices(ctx)
    else:  # SQLite (the demo): no JSON containment, every member read
        rows = (
            Membership.objects.filter(organization_id=ctx.organization_id)
            .filter(Q(payer_id=ctx.account.pk) | Q(payer__isnull=True))
            .exclude(member_type=MemberType.ADMIN)
            .order_by("name", "pk")
            .values_list("name", "payer_id", "permissions", "account__uin")
        )
        self_pay, pob = [], []
        for name, payer_id, permissions, uin in rows:
            if payer_id is not None:
                pob.append(Choice(name, uin))
            elif granted(permissions, VIEW_BILLS) or granted(permissions, VIEW_BALANCE):
                self_pay.append(Choice(name, uin))
    more = len(pob) > LISTED or len(self_pay) > LISTED
    return AccountChoices(self_pay[:LISTED], pob[:LISTED], more)


def _first_choices(ctx) -> tuple[list[Choice], list[Choice]]:
    """PostgreSQL: the first LISTED + 1 pay-on-behalf members and self-pay members granting 1
    or 2 (jsonb containment), by name, in one query that reads a page of each from the
    (organization, name) index. Written as SQL: composed as a union of two querysets, it took
    twice as long to compile as to run (issue 16). Nothing in it comes from the request."""
    members, accounts = Membership._meta.db_table, Account._meta.db_table
    first = (
        f"(SELECT m.payer_id IS NOT NULL, m.name, a.uin, m.id FROM {members} m "
        f"JOIN {accounts} a ON a.id = m.account_id "
        "WHERE m.organization_id = %s AND m.member_type <> %s AND {kind} "
        "ORDER BY m.name, m.id LIMIT %s)"
    )
    pob = first.format(kind="m.payer_id = %s")
    granting = first.format(
        kind="m.payer_id IS NULL AND (m.permissions @> %s::jsonb OR m.permissions @> %s::jsonb)"
    )
    common = (ctx.organization_id, MemberType.ADMIN.value)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{pob} UNION ALL {granting} ORDER BY 2, 4",  # by name, as each page was read
            (
                *common,
                ctx.account.pk,
                LISTED + 1,
                *common,
                f"[{int(VIEW_BILLS)}]",
                f"[{int(VIEW_BALANCE)}]",
                LISTED + 1,
            ),
        )
        rows = cursor.fetchall()
    pob_choices = [Choice(name, uin) for paid, name, uin, _pk in rows if paid]
    return pob_choices, [Choice(name, uin) for paid, name, uin, _pk in rows if not paid]


@dataclass(frozen=True)
class MemberView:
    """The member account Billing Center shows, and what of it (F3)."""

    membership: Membership
    reach: Reach | None  # a self-pay member granting 1: its F2 days; else None
    balance: bool  # grants 2: its balance card
    pay_on_behalf: bool  # its spend is the admin's own bills by owner

    @property
    def account(self):
        return self.membership.account

    @property
    def bills(self) -> bool:
        return self.reach is not None

    @property
    def query(self) -> str:
        """The query parameter that keeps this choice on every link of the page."""
        return urlencode({"account": self.account.uin})

    @property
    def first_day(self) -> dt.date | None:
        """F2: the first console day whose data is shown."""
        windows = self.reach.windows if self.reach else ()
        return windows[0][0] if windows else None

    @property
    def windows(self):
        return self.reach.windows if self.reach else ()


def chosen(ctx, value) -> str | None:
    """The UIN of `?account=`, or None for this account (empty, or the viewer's own UIN)."""
    value = (value or "").strip()
    if not value or (ctx.account is not None and value == ctx.account.uin):
        return None
    return value[:12]


def member_view(ctx, value) -> MemberView | None:
    """F1/F3: the member `?account=` names, or None for this account. A 404 unless the viewer
    is the admin account's user with view_finance and the UIN is its pay-on-behalf member, or
    a self-pay member of its organization granting 1 or 2 now."""
    uin = chosen(ctx, value)
    if uin is None:
        return None
    if not _admin_viewer(ctx):
        raise Http404
    m = (
        Membership.objects.filter(organization_id=ctx.organization_id, account__uin=uin)
        .exclude(member_type=MemberType.ADMIN)
        .select_related("account")
        .first()
    )
    if m is None:
        raise Http404
    if m.payer_id is not None:
        if m.payer_id != ctx.account.pk:
            raise Http404
        return MemberView(membership=m, reach=None, balance=False, pay_on_behalf=True)
    bills, balance = grants(m, VIEW_BILLS), grants(m, VIEW_BALANCE)
    if not (bills or balance):
        raise Http404
    reach = (
        Reach(
            account=m.account,
            own=False,
            membership=m,
            windows=windows_of(m.account_id, ctx.organization_id),
        )
        if bills
        else None
    )
    return MemberView(membership=m, reach=reach, balance=balance, pay_on_behalf=False)


def export_reach(ctx, value) -> Reach:
    """The account an export with `?account=` is for: this account, or a self-pay member
    granting 1 on its F2 days (F1: a 404 otherwise, pay-on-behalf members included)."""
    uin = chosen(ctx, value)
    if uin is None:
        return own(ctx)
    return member_reach(ctx, uin, VIEW_BILLS)


def member_transactions(reach: Reach):
    """F3 with 1: the member's transaction details (B13: its cash, frozen and voucher books)
    on its F2 days, read-only."""
    return (
        Entry.objects.filter(account_id=reach.account.pk, book__in=CUSTOMER_BOOKS)
        .filter(reach.times("created_at"))
        .select_related("journal", "owner", "order", "resource", "voucher")
    )
