"""F4 consolidated bills: which accounts an export may hold, the month range rule, and the ZIP.

The lines of each account are the B11 details the bills pages export, in the same CSV format
(`bill_selectors.CSV_HEADER`, `bill_selectors.csv_rows`) and the same order (newest first):

- this account (the admin): its self-paid lines (payer = owner = the admin), as Billing
  Center's bills CSV (`billing:self_paid_export`);
- a pay-on-behalf member: the lines the admin paid for it (payer = the admin, owner = the
  member), as the pay-on-behalf bills CSV filtered by the member (`billing:pob_bills_export`);
- a self-pay member granting 4: its self-paid lines on its whole membership days (F2).

All within the bill months chosen. The lines stream from the database (`iterator()`) into the
ZIP; nothing holds them in a list.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.bill_selectors import CSV_HEADER, add_months, csv_rows
from billing.models import BillLine, DailyCost, ExportMode
from organizations.choices import FinancialPermission

from . import reach

CONSOLIDATED_BILLS = FinancialPermission.CONSOLIDATED_BILLS
EARLIEST_MONTH = dt.date(2021, 1, 1)
MAX_MONTHS = 12

OWN, PAY_ON_BEHALF, SELF_PAY = "own", "pob", "self_pay"


@dataclass(frozen=True)
class Target:
    """One account an export may hold, and how its lines are chosen."""

    account: object  # organizations.Account; in a page's listing, its reach.AccountRef
    kind: str  # OWN, PAY_ON_BEHALF or SELF_PAY
    name: str = ""
    windows: tuple = field(default=())  # F2, for SELF_PAY (filled at build time)

    @property
    def uin(self) -> str:
        return self.account.uin


@dataclass(frozen=True)
class Targets:
    """F1 for F4: what the user may export now. Empty for anyone but the admin account's
    users with `billing.view_finance`."""

    own: Target | None
    pay_on_behalf: tuple[Target, ...]
    granting: tuple[Target, ...]
    # (pay-on-behalf, granting) counts when the groups hold only the first members (a page's
    # listing); None when they hold every member (a request being checked)
    counts: tuple[int, int] | None = None

    @property
    def pay_on_behalf_count(self) -> int:
        return self.counts[0] if self.counts else len(self.pay_on_behalf)

    @property
    def granting_count(self) -> int:
        return self.counts[1] if self.counts else len(self.granting)

    def by_id(self) -> dict[int, Target]:
        found = {t.account.pk: t for t in (*self.pay_on_behalf, *self.granting)}
        if self.own is not None:
            found[self.own.account.pk] = self.own
        return found

    def ordered(self, account_ids) -> list[Target]:
        """The chosen targets in the order the export writes them: this account first, then
        pay-on-behalf members, then self-pay members, each by name."""
        wanted = set(account_ids)
        everyone = [self.own, *self.pay_on_behalf, *self.granting]
        return [t for t in everyone if t is not None and t.account.pk in wanted]


def export_targets(ctx, *, listed: int | None = None) -> Targets:
    """F1: this account, the pay-on-behalf members and the self-pay members that grant 4 now.
    With `listed` (the form on a page), at most that many of each group by name, and the
    counts of all, so a page of an organization of 10,000 members reads a page of them."""
    if not (ctx.is_admin and ctx.can("billing.view_finance")):
        return Targets(None, (), ())
    pob = (
        reach.pay_on_behalf_members(ctx)
        .only("name", "account__uin", "account__name")
        .order_by("name", "pk")
    )
    own = Target(ctx.account, OWN, _("This account"))
    if listed is None:
        granting = reach.members_granting(ctx, CONSOLIDATED_BILLS)
        return Targets(
            own=own,
            pay_on_behalf=tuple(Target(m.account, PAY_ON_BEHALF, m.name) for m in pob),
            granting=tuple(Target(m.account, SELF_PAY, m.name) for m in granting),
        )
    # a page's listing: plain values (reach.Listed), not two hundred model instances a group
    granting, granting_count = reach.members_granting_listed(ctx, CONSOLIDATED_BILLS, listed)
    first = reach.listed_rows(pob.values_list(*reach.LISTED_VALUES)[:listed])
    return Targets(
        own=own,
        pay_on_behalf=tuple(Target(m.account, PAY_ON_BEHALF, m.name) for m in first),
        granting=tuple(Target(m.account, SELF_PAY, m.name) for m in granting),
        counts=(reach.counted(first, pob, listed), granting_count),
    )


def month_range_error(month_from: dt.date, month_to: dt.date, today: dt.date):
    """F4: (field, message) when the bill months may not be exported, else None."""
    if month_from > month_to:
        return "month_to", _("The last month is before the first month.")
    if month_from < EARLIEST_MONTH:
        return "month_from", _("Bills can be exported from January 2021 (2021-01).")
    if month_to > today.replace(day=1):
        return "month_to", _("A bill month in the future has no bills yet.")
    if add_months(month_from, MAX_MONTHS) <= month_to:
        return "month_to", _("Export at most 12 bill months at a time.")
    return None


# ------------------------------------------------------------------ the lines


def _lines(target: Target, payer_id: int, month_from, month_to):
    """The target's B11 detail lines of the months, as the bills pages choose them."""
    qs = BillLine.objects.filter(bill_month__gte=month_from, bill_month__lte=month_to)
    account_id = target.account.pk
    if target.kind == PAY_ON_BEHALF:
        return qs.filter(payer_id=payer_id, owner_id=account_id)
    qs = qs.filter(payer_id=account_id, owner_id=account_id)
    if target.kind == SELF_PAY:
        qs = qs.filter(reach.time_q(target.windows, "created_at"))  # F2
    return qs


def lines(target: Target, payer_id: int, month_from, month_to):
    return _lines(target, payer_id, month_from, month_to).order_by("-created_at", "-pk")


def line_count(target: Target, payer_id: int, month_from, month_to) -> int:
    """How many lines the target's file holds, from the daily rollup (F5: one row per day
    and key, the same console days as the F2 windows)."""
    qs = DailyCost.objects.filter(bill_month__gte=month_from, bill_month__lte=month_to)
    account_id = target.account.pk
    if target.kind == PAY_ON_BEHALF:
        qs = qs.filter(payer_id=payer_id, owner_id=account_id)
    else:
        qs = qs.filter(payer_id=account_id, owner_id=account_id)
        if target.kind == SELF_PAY:
            qs = qs.filter(reach.day_q(target.windows))
    return qs.aggregate(n=Sum("line_count"))["n"] or 0


def with_windows(targets: list[Target], organization_id: int) -> list[Target]:
    """F2: the self-pay targets with their whole-day windows (one query)."""
    ids = [t.account.pk for t in targets if t.kind == SELF_PAY]
    windows = reach.windows_for(ids, organization_id) if ids else {}
    return [
        Target(t.account, t.kind, t.name, windows.get(t.account.pk, ()))
        if t.kind == SELF_PAY
        else t
        for t in targets
    ]


# ------------------------------------------------------------------ the files


def _months(month_from, month_to) -> str:
    return f"{month_from:%Y%m}-{month_to:%Y%m}"


def csv_name(uin: str, month_from, month_to) -> str:
    return f"bills-{uin}-{_months(month_from, month_to)}.csv"


def combined_name(month_from, month_to) -> str:
    return f"bills-combined-{_months(month_from, month_to)}.csv"


def zip_name(uin: str, month_from, month_to) -> str:
    return f"consolidated-bills-{uin}-{_months(month_from, month_to)}.zip"


@contextmanager
def _csv_file(zf: zipfile.ZipFile, name: str):
    """A CSV member of the ZIP, written as the rows come (UTF-8, \\r\\n like the pages)."""
    with zf.open(name, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(CSV_HEADER)
        yield writer
        text.flush()
        text.detach()


def write_zip(
    out,
    *,
    targets: list[Target],
    payer_id: int,
    month_from,
    month_to,
    mode: str,
    progress: Callable[[int], None],
    every: int = 2000,
) -> int:
    """Write the ZIP of the targets' lines into the binary file `out`; call `progress(n)`
    every `every` lines. The combined CSV is each target's lines in turn, in `targets` order.
    Returns the number of lines written."""
    written = 0

    def copy(writer, target):
        nonlocal written
        for row in csv_rows(lines(target, payer_id, month_from, month_to)):
            writer.writerow(row)
            written += 1
            if written % every == 0:
                progress(written)

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if mode == ExportMode.COMBINED:
            with _csv_file(zf, combined_name(month_from, month_to)) as writer:
                for target in targets:
                    copy(writer, target)
        else:
            for target in targets:
                with _csv_file(zf, csv_name(target.uin, month_from, month_to)) as writer:
                    copy(writer, target)
    return written
