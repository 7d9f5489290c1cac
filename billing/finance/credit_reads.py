"""F14, F15 reads: what an admin may allocate to a member now (Alibaba's Min/MaxCanAllocate),
each member's allocation and wallet for the Credit limits page, and the history. The writes,
with the lock order, are in `billing/finance/credit.py` (the lapse in `credit_lapse.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse

from billing.models import CreditAllocation, CreditChange, Wallet
from billing.money import ZERO
from organizations.choices import FinancialPermission
from organizations.models import Account, Membership

PERM = FinancialPermission.CREDIT_LIMIT
MAX_CREDIT = Decimal("100000000.00")  # F14: per member, permanent and temporary each


@dataclass(frozen=True)
class Bounds:
    """F14: what may be allocated to one member now (Alibaba's Min/MaxCanAllocate): its new
    total allocation (permanent + temporary) lies in [minimum, maximum]."""

    current: Decimal  # allocated to it now (permanent + temporary)
    unallocated: Decimal  # the admin's own credit limit (what is left to allocate)
    admin_available: Decimal
    member_available: Decimal
    minimum: Decimal
    maximum: Decimal


def bounds(*, admin_wallet: Wallet | None, member_wallet: Wallet | None, current) -> Bounds:
    """F14: an increase is at most the admin's unallocated credit and at most its available
    balance (the admin never ends below zero available); a decrease at most the member's
    available balance (the member never ends below zero available)."""
    current = current or ZERO
    unallocated = admin_wallet.credit_limit if admin_wallet else ZERO
    admin_available = admin_wallet.available if admin_wallet else ZERO
    member_available = member_wallet.available if member_wallet else ZERO
    room_up = max(min(unallocated, admin_available), ZERO)
    room_down = min(max(member_available, ZERO), current)
    return Bounds(
        current=current,
        unallocated=unallocated,
        admin_available=admin_available,
        member_available=member_available,
        minimum=current - room_down,
        maximum=min(current + room_up, MAX_CREDIT * 2),
    )


def allocation_of(account: Account) -> CreditAllocation | None:
    """The credit `account`'s admin allocated to it now (F14), if any."""
    return CreditAllocation.objects.filter(member=account).first()


def allocated_by(account: Account) -> Decimal:
    """The credit `account` allocated to its members now (F14)."""
    total = CreditAllocation.objects.filter(admin=account).aggregate(
        p=Sum("amount"), t=Sum("temporary_amount")
    )
    return (total["p"] or ZERO) + (total["t"] or ZERO)


def allocated_in(account: Account) -> Decimal:
    """The part of `account`'s credit limit its admin allocated to it (F14)."""
    allocation = allocation_of(account)
    return allocation.total if allocation else ZERO


@dataclass(frozen=True)
class MemberCredit:
    membership: Membership
    allocation: CreditAllocation | None
    wallet: Wallet | None
    bounds: Bounds
    same_entity: bool

    @property
    def credit_limit(self):
        return self.wallet.credit_limit if self.wallet else ZERO

    @property
    def available(self):
        return self.wallet.available if self.wallet else ZERO

    @property
    def in_arrears(self):
        return bool(self.wallet and self.wallet.in_arrears)


def member_credits(ctx, memberships) -> list[MemberCredit]:
    """F14: each member's allocation, wallet and bounds (three queries whatever the count)."""
    ids = [m.account_id for m in memberships]
    allocations = {a.pk: a for a in CreditAllocation.objects.filter(member_id__in=ids)}
    wallets = {w.pk: w for w in Wallet.objects.filter(account_id__in=[*ids, ctx.account.pk])}
    admin_wallet = wallets.get(ctx.account.pk)
    rows = []
    for m in memberships:
        allocation = allocations.get(m.account_id)
        rows.append(
            MemberCredit(
                membership=m,
                allocation=allocation,
                wallet=wallets.get(m.account_id),
                bounds=bounds(
                    admin_wallet=admin_wallet,
                    member_wallet=wallets.get(m.account_id),
                    current=allocation.total if allocation else ZERO,
                ),
                same_entity=(
                    m.account.entity_id is not None and m.account.entity_id == ctx.account.entity_id
                ),
            )
        )
    return rows


def changes_of(admin: Account, member: Account | None = None, *, limit: int = 50):
    """F14: the history of the admin's allocations (one member's, with `member`), newest first."""
    changes = CreditChange.objects.filter(admin=admin).select_related("member__membership", "actor")
    if member is not None:
        changes = changes.filter(member=member)
    return list(changes[:limit])


def credit_path(member: Account | None = None) -> str:
    url = reverse("billing:credit")
    return f"{url}?account={member.uin}" if member is not None else url
