"""B1, B2: the one posting function every money movement goes through, and wallet locking.

Lock order for every money service: the document row (order, voucher owner's order...) first,
then wallets by account primary key (lock_wallets), then vouchers. A journal's lines must sum
to zero; cash lines update the locked wallet's cached balance in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Entry, Journal, Wallet
from billing.models.choices import Book, JournalKind
from billing.money import ZERO, q
from organizations.audit import organization_of  # issue 12: moved there; orders, payg use it
from organizations.models import Account
from organizations.services import audit_record, lock_accounts
from tco_console.errors import DomainError

MAX_TOP_UP = Decimal("1000000.00")


@dataclass
class Line:
    book: str
    amount: Decimal
    account: Account | None = None
    owner: Account | None = None
    order: object = None
    resource: object = None
    voucher: object = None


def lock_wallets(*accounts: Account | None) -> dict[int, Wallet]:
    """Create missing wallets, then lock them in account-id order (no deadlocks)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_wallets needs a transaction")
    ids = sorted({a.pk for a in accounts if a is not None})
    Wallet.objects.bulk_create([Wallet(account_id=i) for i in ids], ignore_conflicts=True)
    wallets = (
        Wallet.objects.select_for_update(no_key=True)
        .filter(account_id__in=ids)
        .order_by("account_id")
    )
    return {w.account_id: w for w in wallets}


def post(
    *,
    kind: str,
    lines: list[Line],
    wallets: dict[int, Wallet],
    memo: str = "",
    order=None,
    actor=None,
    at=None,
    idempotency_key: str | None = None,
) -> Journal:
    """Write one balanced journal. Cash lines must be for wallets the caller has locked."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post needs a transaction")
    lines = [line for line in lines if line.amount != 0]
    for line in lines:
        if q(line.amount) != line.amount:
            raise ValueError(f"amount {line.amount} is not in cents")
    if sum((line.amount for line in lines), ZERO) != 0:
        raise ValueError("journal does not balance")  # B1; PostgreSQL checks it again at commit
    at = at or timezone.now()
    journal = Journal.objects.create(
        kind=kind,
        memo=memo[:200],
        order=order,
        created_by=actor,
        created_at=at,
        idempotency_key=idempotency_key,
    )
    touched = {}
    entries = []
    for line in lines:
        balance_after = None
        if line.book == Book.CASH:
            wallet = wallets[line.account.pk]
            wallet.cash += line.amount
            balance_after = wallet.cash
            touched[wallet.pk] = wallet
        elif line.book == Book.FROZEN:  # B7: a freeze never moves cash
            wallet = wallets[line.account.pk]
            wallet.frozen += line.amount
            balance_after = wallet.frozen
            touched[wallet.pk] = wallet
        entries.append(
            Entry(
                journal=journal,
                book=line.book,
                account=line.account,
                amount=line.amount,
                balance_after=balance_after,
                owner=line.owner,
                order=line.order,
                resource=line.resource,
                voucher=line.voucher,
                created_at=at,
            )
        )
    Entry.objects.bulk_create(entries)
    for wallet in touched.values():
        wallet.save(update_fields=["cash", "frozen", "updated_at"])
    return journal


@transaction.atomic(durable=True)
def wallet_top_up(
    *, account: Account, amount: Decimal, acting_user, idempotency_key: str | None = None
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
        memo=_("Top-up"),
        actor=acting_user,
        idempotency_key=idempotency_key,
    )
    audit_record(
        actor=acting_user,
        action="wallet.top_up",
        message=_("Topped up %(amount)s CNY to %(uin)s") % {"amount": amount, "uin": account.uin},
        organization=organization_of(account),
        target_account=account,
        obj=journal,
        changes={"amount": str(amount), "cash_after": str(wallets[account.pk].cash)},
    )
    from .lifecycle import reconcile

    reconcile(account, actor=acting_user)  # B9: out of arrears → what it pays for recovers
    return journal


@transaction.atomic(durable=True)
def wallet_set_credit_limit(*, account: Account, limit: Decimal, acting_user) -> Wallet:
    """B2: an operator sets the account's credit limit."""
    limit = q(limit)
    if limit < 0:
        raise DomainError(_("The credit limit cannot be negative."), field="credit_limit")
    lock_accounts(account)
    wallet = lock_wallets(account)[account.pk]
    old = wallet.credit_limit
    wallet.credit_limit = limit
    wallet.save(update_fields=["credit_limit", "updated_at"])
    audit_record(
        actor=acting_user,
        action="wallet.credit_limit",
        message=_("Set the credit limit of %(uin)s to %(limit)s CNY")
        % {"uin": account.uin, "limit": limit},
        organization=organization_of(account),
        target_account=account,
        changes={"credit_limit": [str(old), str(limit)]},
    )
    from .lifecycle import reconcile

    reconcile(
        account, actor=acting_user
    )  # B9: a lower limit can mean arrears, a higher one recovery
    return wallet
