"""B2: the wallet-level services: top-ups and the operator's credit limit.

Both end with a B9 reconcile (a top-up or a higher limit can bring an account out of arrears, a
lower one into it), so they sit above ledger and lifecycle: ledger stays a low module that
imports no other service (issue 12). `billing.services` re-exports them.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import CreditAllocation, Journal, Wallet
from billing.models.choices import Book, JournalKind
from billing.money import q
from organizations.audit import audit_record, organization_of
from organizations.locks import lock_accounts
from organizations.models import Account, User
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .ledger import MAX_TOP_UP, Line, lock_wallets, post
from .lifecycle import reconcile

__all__ = ["MAX_TOP_UP", "wallet_set_credit_limit", "wallet_top_up"]


@transaction.atomic(durable=True)
def wallet_top_up(
    *,
    account: Account,
    amount: Decimal,
    acting_user: User | None,
    idempotency_key: str | None = None,
) -> Journal:
    """Top-up (a simulated online payment, or an operator's deposit): credits cash at once."""
    amount = q(amount)
    if amount <= 0:
        raise DomainError(_("Enter an amount greater than zero."), field="amount")
    if amount > MAX_TOP_UP:
        raise DomainError(_("A single top-up is at most 1,000,000.00 CNY."), field="amount")
    lock_accounts(account)  # before the key check: two submits of one key serialize here
    if idempotency_key:
        idempotency_key = f"topup:{account.pk}:{idempotency_key}"  # keys are per account
        if (done := Journal.objects.filter(idempotency_key=idempotency_key).first()) is not None:
            return done  # a double submit credits once
    wallets = lock_wallets(account)
    journal = post(
        kind=JournalKind.TOPUP,
        lines=[
            Line(Book.CASH, amount, account=account, owner=account),
            Line(Book.CLEARING, -amount),
        ],
        wallets=wallets,
        memo=Msg(gettext_noop("Top-up")),
        acting_user=acting_user,
        idempotency_key=idempotency_key,
    )
    audit_record(
        actor=acting_user,
        action="wallet.top_up",
        message=Msg(
            gettext_noop("Topped up %(amount)s CNY to %(uin)s"), amount=amount, uin=account.uin
        ),
        organization=organization_of(account),
        target_account=account,
        obj=journal,
        changes={"amount": str(amount), "cash_after": str(wallets[account.pk].cash)},
    )
    reconcile(account, acting_user=acting_user)  # B9: out of arrears → what it pays for recovers
    return journal


@transaction.atomic(durable=True)
def wallet_set_credit_limit(
    *, account: Account, limit: Decimal, acting_user: User | None
) -> Wallet:
    """B2: an operator sets the account's effective credit limit. F14: it includes the credit
    the account's admin allocated to it, so it cannot go below that part (the admin lowers
    its allocation instead); for an admin account the figure is its own, unallocated line
    (what it allocated to members is in their limits)."""
    limit = q(limit)
    if limit < 0:
        raise DomainError(_("The credit limit cannot be negative."), field="credit_limit")
    lock_accounts(account)
    wallet = lock_wallets(account)[account.pk]
    allocation = CreditAllocation.objects.filter(member=account).first()  # under the locks
    if allocation is not None and limit < allocation.total:
        raise DomainError(
            _(
                "%(allocated)s CNY of this account's credit limit is allocated by its "
                "organization's admin account (F14), so the limit cannot be set below that. "
                "The admin lowers its allocation on its Credit limits page."
            )
            % {"allocated": allocation.total},
            field="credit_limit",
        )
    old = wallet.credit_limit
    wallet.credit_limit = limit
    wallet.save(update_fields=["credit_limit", "updated_at"])
    audit_record(
        actor=acting_user,
        action="wallet.credit_limit",
        message=Msg(
            gettext_noop("Set the credit limit of %(uin)s to %(limit)s CNY"),
            uin=account.uin,
            limit=limit,
        ),
        organization=organization_of(account),
        target_account=account,
        changes={"credit_limit": [str(old), str(limit)]},
    )
    # B9: a lower limit can mean arrears, a higher one recovery
    reconcile(account, acting_user=acting_user)
    return wallet
