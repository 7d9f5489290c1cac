"""F14, F15: the admin account allocates part of its own credit limit to self-pay members that
grant permission 10, permanently or for a while (temporary credit lapses by itself).

`Wallet.credit_limit` is each account's effective limit (B2, B9 read it everywhere). Credit
moves like money between the two wallets: allocating Δ lowers the admin's `credit_limit` by Δ
and raises the member's by Δ in one transaction, so the admin's limit is its *unallocated*
credit and the two together never change through an allocation (conservation).

Lock order (organizations/locks.py): the member's membership row, then the admin and member
accounts by primary key, then their wallets, then the allocation row. The membership row is
what a membership change (member_update, member_remove, member_quit) locks too, so an
allocation and a change of the member's permissions, payer or organization serialize there: the
allocation sees the change (and is refused), or the change's hook (`credit_return`) sees the
allocation (and returns it). Reading the membership without locking it is not enough: a
removal whose hook looked before the allocation committed would leave the credit with an
account outside the organization (tests/billing/test_finance_credit_races.py). The hooks run
inside organizations' transaction after its organization, membership and account locks and
take only the wallets: they never go back up the order. The lapse (F15) takes the accounts and
wallets only: it never creates an allocation, and it re-reads the row under the wallet locks.

Here: the checks, the admin's allocation and the membership hook's return. The end of a
temporary credit (F15's lapse and the notice before it, run by the periodic task) is in
`credit_lapse.py`, through the same three write steps below; the reads in `credit_reads.py`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import CreditAllocation, CreditChange, CreditChangeKind, Wallet
from billing.models.choices import MessageCategory
from billing.money import ZERO, q
from billing.services import lifecycle
from billing.services.ledger import lock_wallets
from billing.services.messages import notify
from billing.templatetags.billing_tags import cny_msg, format_cny
from organizations.audit import audit_record
from organizations.locks import lock_accounts
from organizations.models import Account, Membership, User
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .credit_reads import MAX_CREDIT, PERM, credit_path
from .reach import grants, is_self_pay_member

MAX_TEMPORARY = dt.timedelta(days=366)  # F15: a temporary credit ends within a year


# --- checks ----------------------------------------------------------------------------------


def clean_amount(value, *, field: str, label: str) -> Decimal:
    """F14: an amount of credit: a number of CNY ≥ 0, in cents, at most 100,000,000.00."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(_("Enter the %(label)s (0 for none).") % {"label": label}, field=field)
    if isinstance(value, float):
        raise TypeError("money never touches float")
    text = str(value).strip()
    if len(text) > 40:
        raise DomainError(_("Enter a number of CNY, like 1000.00."), field=field)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("Enter a number of CNY, like 1000.00."), field=field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter a number of CNY, like 1000.00."), field=field)
    if amount < 0:
        raise DomainError(_("The %(label)s cannot be negative.") % {"label": label}, field=field)
    if amount > MAX_CREDIT:
        raise DomainError(
            _("The %(label)s is at most %(max)s.")
            % {"label": label, "max": format_cny(MAX_CREDIT)},
            field=field,
        )
    if q(amount) != amount:
        raise DomainError(
            _("The %(label)s cannot have fractions of a cent.") % {"label": label}, field=field
        )
    return q(amount)


def _check_until(temporary_amount: Decimal, until, now) -> dt.datetime | None:
    """F15: an end is required with a temporary amount (ignored without one), in the future
    and within a year."""
    if temporary_amount == 0:
        return None
    if until is None:
        raise DomainError(
            _("Choose until when the temporary credit applies."), field="temporary_until"
        )
    if until <= now:
        raise DomainError(
            _("The temporary credit must end in the future."), field="temporary_until"
        )
    if until > now + MAX_TEMPORARY:
        raise DomainError(
            _("A temporary credit ends within a year at most."), field="temporary_until"
        )
    return until


def check_member(*, admin: Account, member: Account) -> Membership:
    """F14: the member is in the admin account's organization, pays for itself, grants
    permission 10 now and belongs to the same enterprise entity. Read at the moment of the
    change, like every F1 reach, on the membership row locked until the allocation commits
    (the first lock of `credit_allocate`: see the module's lock order)."""
    m = (
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organization", "account")
        .filter(account=member, organization__deleted_at__isnull=True)
        .first()
    )
    if m is None or m.organization.admin_account_id != admin.pk or m.is_admin:
        raise DomainError(
            _("This account is not a member of your organization."),
            code="ResourceNotFound.MemberNotExist",
            field="account",
        )
    if not is_self_pay_member(m):
        raise DomainError(
            _(
                "%(name)s is paid for by its payer (pay-on-behalf): its spend is already the "
                "payer's, so it has no credit limit of its own to set."
            )
            % {"name": m.name},
            code="UnsupportedOperation.PayOnBehalfMember",
            field="account",
        )
    if not grants(m, PERM):
        raise DomainError(
            _(
                "%(name)s does not grant the credit-limit setting permission (10), so its "
                "credit cannot be set."
            )
            % {"name": m.name},
            code="UnauthorizedOperation.NoPermission",
            field="account",
        )
    if member.entity_id is None or member.entity_id != admin.entity_id:
        raise DomainError(
            _(
                "Credit is only allocated within one enterprise entity: %(name)s is verified "
                "under another entity (or none)."
            )
            % {"name": m.name},
            code="UnsupportedOperation.DifferentEntity",
            field="account",
        )
    return m


# --- the steps of every credit write (credit_lapse.py takes them too) -------------------------


def move_credit(wallets: dict[int, Wallet], *, admin: Account, member: Account, delta: Decimal):
    """Move Δ of credit from the admin's wallet to the member's (Δ < 0: back)."""
    if delta == 0:
        return
    for account, change in ((admin, -delta), (member, delta)):
        wallet = wallets[account.pk]
        wallet.credit_limit += change
        wallet.save(update_fields=["credit_limit", "updated_at"])


def record_change(
    *,
    kind: str,
    admin: Account,
    member: Account,
    old: tuple[Decimal, Decimal],
    new: tuple[Decimal, Decimal],
    until,
    actor: User | None,
    now,
) -> CreditChange:
    """One row of the admin's credit history (F14): allocated, lapsed or returned."""
    return CreditChange.objects.create(
        kind=kind,
        admin=admin,
        member=member,
        old_amount=old[0],
        old_temporary=old[1],
        new_amount=new[0],
        new_temporary=new[1],
        temporary_until=until,
        actor=actor,
        created_at=now,
    )


def save_allocation(allocation, *, admin, member, amount, temporary_amount, until):
    """Keep the row while anything is allocated; delete it at zero (the history stays)."""
    if amount == 0 and temporary_amount == 0:
        if allocation is not None:
            allocation.delete()
        return None
    if allocation is None:
        allocation = CreditAllocation(member=member, admin=admin)
    allocation.admin = admin
    allocation.amount, allocation.temporary_amount = amount, temporary_amount
    if allocation.temporary_until != until:
        allocation.ending_notified_at = None  # F15: a new end is announced again
    allocation.temporary_until = until
    allocation.save()
    return allocation


# --- writes ----------------------------------------------------------------------------------


def _describe(amount, temporary, until) -> Msg | str:
    """The credit allocated, as a `Msg`: `str()` in the active language, and kept for each
    reader's language in an audit record (issue 17)."""
    if temporary:
        return Msg(
            gettext_noop("%(amount)s permanent + %(temporary)s temporary until %(until)s"),
            amount=cny_msg(amount),
            temporary=cny_msg(temporary),
            until=timezone.localtime(until).strftime("%Y-%m-%d %H:%M"),
        )
    return cny_msg(amount)


@transaction.atomic(durable=True)
def credit_allocate(
    *,
    admin_account: Account,
    member_account: Account,
    amount,
    temporary_amount=ZERO,
    temporary_until: dt.datetime | None = None,
    acting_user: User | None,
) -> CreditAllocation | None:
    """F14, F15: set the credit the admin allocates to a self-pay member that grants 10: a
    permanent `amount` and an optional `temporary_amount` until `temporary_until`. The member's
    effective credit limit moves by the change Δ of the total, the admin's by −Δ.

    Setting the same values again changes nothing (a double submit is harmless). Returns the
    allocation (None once nothing is allocated)."""
    now = timezone.now()
    amount = clean_amount(amount, field="amount", label=_("permanent credit"))
    temporary_amount = clean_amount(
        temporary_amount, field="temporary_amount", label=_("temporary credit")
    )
    until = _check_until(temporary_amount, temporary_until, now)
    if admin_account.pk == member_account.pk:
        raise DomainError(_("Choose a member account."), field="account")
    m = check_member(admin=admin_account, member=member_account)  # F14, its row locked
    lock_accounts(admin_account, member_account)
    wallets = lock_wallets(admin_account, member_account)
    allocation = (
        CreditAllocation.objects.select_for_update(no_key=True).filter(pk=member_account.pk).first()
    )
    old = (allocation.amount, allocation.temporary_amount) if allocation else (ZERO, ZERO)
    old_until = allocation.temporary_until if allocation else None
    if old == (amount, temporary_amount) and old_until == until:
        return allocation
    admin_wallet, member_wallet = wallets[admin_account.pk], wallets[member_account.pk]
    delta = (amount + temporary_amount) - sum(old, ZERO)
    if delta > 0:
        if delta > admin_wallet.credit_limit:
            raise DomainError(
                _(
                    "That raises the member's credit by %(delta)s, more than your unallocated "
                    "credit (%(left)s)."
                )
                % {"delta": format_cny(delta), "left": format_cny(admin_wallet.credit_limit)},
                code="FailedOperation.InsufficientCredit",
                field="amount",
            )
        if delta > admin_wallet.available:
            raise DomainError(
                _(
                    "That raises the member's credit by %(delta)s, more than your own available "
                    "balance (%(available)s): your account would end below zero available."
                )
                % {
                    "delta": format_cny(delta),
                    "available": format_cny(max(admin_wallet.available, ZERO)),
                },
                code="FailedOperation.InsufficientBalance",
                field="amount",
            )
    elif delta < 0 and member_wallet.available + delta < 0:
        raise DomainError(
            _(
                "That lowers %(name)s's credit by %(delta)s, more than its available balance "
                "(%(available)s): it would end below zero available. It can be lowered to "
                "%(minimum)s at most."
            )
            % {
                "name": m.name,
                "delta": format_cny(-delta),
                "available": format_cny(max(member_wallet.available, ZERO)),
                "minimum": format_cny(
                    sum(old, ZERO) - min(max(member_wallet.available, ZERO), sum(old, ZERO))
                ),
            },
            code="FailedOperation.CreditBelowUsed",
            field="amount",
        )
    move_credit(wallets, admin=admin_account, member=member_account, delta=delta)
    allocation = save_allocation(
        allocation,
        admin=admin_account,
        member=member_account,
        amount=amount,
        temporary_amount=temporary_amount,
        until=until,
    )
    change = record_change(
        kind=CreditChangeKind.ALLOCATE,
        admin=admin_account,
        member=member_account,
        old=old,
        new=(amount, temporary_amount),
        until=until,
        actor=acting_user,
        now=now,
    )
    audit_record(
        actor=acting_user,
        action="finance.credit_allocate",
        message=Msg(
            gettext_noop("Set the credit allocated to %(name)s (%(uin)s) to %(credit)s"),
            name=m.name,
            uin=member_account.uin,
            credit=_describe(amount, temporary_amount, until),
        ),
        organization=m.organization,
        target_account=member_account,
        obj=change,
        changes={
            "amount": [str(old[0]), str(amount)],
            "temporary_amount": [str(old[1]), str(temporary_amount)],
            "temporary_until": [
                old_until.isoformat() if old_until else "",
                until.isoformat() if until else "",
            ],
            "member_credit_limit": str(member_wallet.credit_limit),
            "admin_credit_limit": str(admin_wallet.credit_limit),
        },
    )
    notify(
        member_account,
        Msg(
            gettext_noop("Your credit limit is now %(limit)s"),
            limit=cny_msg(member_wallet.credit_limit),
        ),
        Msg(
            gettext_noop(
                "The admin account of your organization, %(admin)s (%(uin)s), set the credit it "
                "allocates to you to %(credit)s."
            ),
            admin=admin_account.name,
            uin=admin_account.uin,
            credit=_describe(amount, temporary_amount, until),
        ),
        category=MessageCategory.FINANCE,
        link=reverse("billing:billing_center"),
    )
    notify(
        admin_account,
        Msg(
            gettext_noop("Credit allocated to %(name)s: %(credit)s"),
            name=m.name,
            credit=cny_msg(amount + temporary_amount),
        ),
        Msg(
            gettext_noop("Your unallocated credit is now %(left)s."),
            left=cny_msg(admin_wallet.credit_limit),
        ),
        category=MessageCategory.FINANCE,
        link=credit_path(member_account),
    )
    # B9 at once: a raise can bring the member out of arrears (its resources recover), a
    # lowered allocation gives the admin its credit back
    lifecycle.reconcile(member_account, acting_user=acting_user, now=now)
    lifecycle.reconcile(admin_account, acting_user=acting_user, now=now)
    return allocation


def credit_return(membership: Membership, *, why: Msg) -> None:
    """F14: the member left the organization, stopped granting 10 or became pay-on-behalf: the
    credit allocated to it goes back to the admin, inside the membership change's transaction
    (organizations locked the organization and membership; this takes the two wallets). If
    that would leave the member below zero available, the membership change is refused."""
    found = CreditAllocation.objects.select_related("admin").filter(pk=membership.account_id)
    allocation = found.first()
    if allocation is None:
        return
    admin, member = allocation.admin, membership.account
    wallets = lock_wallets(admin, member)
    allocation = (
        CreditAllocation.objects.select_for_update(no_key=True)
        .filter(pk=membership.account_id)
        .first()
    )
    if allocation is None:
        return
    total = allocation.total
    member_wallet = wallets[member.pk]
    if member_wallet.available - total < 0:
        raise DomainError(
            _(
                "%(name)s uses the credit of %(credit)s the admin account allocated to it: "
                "returning it would leave its available balance below zero. It must top up "
                "at least %(short)s first, or keep permission 10 and its payment mode."
            )
            % {
                "name": membership.name,
                "credit": format_cny(total),
                "short": format_cny(total - member_wallet.available),
            },
            code="UnsupportedOperation.AllocatedCreditInUse",
        )
    now = timezone.now()
    old = (allocation.amount, allocation.temporary_amount)
    until = allocation.temporary_until
    move_credit(wallets, admin=admin, member=member, delta=-total)
    allocation.delete()
    change = record_change(
        kind=CreditChangeKind.RETURN,
        admin=admin,
        member=member,
        old=old,
        new=(ZERO, ZERO),
        until=until,
        actor=None,
        now=now,
    )
    audit_record(
        actor=None,
        action="finance.credit_return",
        message=Msg(
            gettext_noop(
                "The credit of %(credit)s allocated to %(name)s (%(uin)s) returned to %(admin)s: "
                "%(why)s"
            ),
            credit=cny_msg(total),
            name=membership.name,
            uin=member.uin,
            admin=admin.uin,
            why=why,
        ),
        organization=membership.organization,
        target_account=member,
        obj=change,
        changes={"amount": [str(old[0]), "0.00"], "temporary_amount": [str(old[1]), "0.00"]},
    )
    notify(
        member,
        Msg(
            gettext_noop(
                "The credit of %(credit)s allocated by your organization's admin was returned"
            ),
            credit=cny_msg(total),
        ),
        Msg(
            gettext_noop("%(why)s Your credit limit is now %(limit)s."),
            why=why,
            limit=cny_msg(member_wallet.credit_limit),
        ),
        category=MessageCategory.FINANCE,
    )
    lifecycle.reconcile(admin, now=now)  # B9: the admin's credit is back
