"""B1, B2: the one posting function every money movement goes through, wallet locking, and
`begin`, the opening every money service on an account shares.

Every money service locks in the one lock order written in `organizations.locks`: the
document row (order, invoice) first, then accounts and wallets by account primary key
(`begin`, `lock_wallets`), then resources, then vouchers. A journal's lines must sum to
zero; cash lines update the locked wallet's cached balance in the same transaction.

This module is a low layer of billing's services: orders, payg, lifecycle and wallets build on
it, and it imports none of them (issue 12).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Entry, Journal, Product, Resource, Wallet
from billing.models.choices import Book, PayMode
from billing.money import ZERO, q
from organizations.locks import lock_accounts
from organizations.models import Account, Membership, User
from tco_console.errors import DomainError
from tco_console.msg import Msg, english, stored

MAX_TOP_UP = Decimal("1000000.00")  # B2: wallets.wallet_top_up enforces it; forms read it here


@dataclass
class Line:
    book: str
    amount: Decimal
    account: Account | None = None
    owner: Account | None = None
    order: object = None
    resource: object = None
    voucher: object = None


def payer_of(owner: Account) -> tuple[Account, str]:
    """Who pays the owner's orders now: its payer in pay-on-behalf mode, else itself (B4/B5)."""
    m = (
        Membership.objects.filter(account=owner, organization__deleted_at__isnull=True)
        .select_related("payer")
        .first()
    )
    if m is not None and m.payer_id is not None:
        return m.payer, PayMode.ON_BEHALF
    return owner, PayMode.SELF


def begin(owner: Account, *extra: Account | None) -> tuple[Account, str, dict[int, Wallet]]:
    """Lock the owner, its payer and `extra` accounts and their wallets; re-read the payer.

    The opening of every money service on an account's behalf (orders, pay-as-you-go): the
    accounts by primary key, then their wallets (the lock order of `organizations.locks`). A
    payer that changed between the first read and the locks is refused rather than charged."""
    payer, _mode = payer_of(owner)
    lock_accounts(owner, payer, *extra)
    payer_now, mode = payer_of(owner)
    if payer_now.pk != payer.pk:
        raise DomainError(_("The account's payment settings changed just now; please try again."))
    wallets = lock_wallets(owner, payer, *extra)
    return payer, mode, wallets


def new_instance_id(product: Product) -> str:
    """A fresh resource instance ID (`ins-…`, `disk-…`): the product's prefix and eight random
    lowercase letters or digits, unused so far (tco_console/converters.py parses this shape)."""
    alphabet = string.ascii_lowercase + string.digits
    prefix = {"p_cvm": "ins", "p_cbs": "disk", "p_cdb": "cdb", "p_clb": "lb"}.get(
        product.code, "res"
    )
    for _attempt in range(10):
        candidate = f"{prefix}-{''.join(secrets.choice(alphabet) for _ in range(8))}"
        if not Resource.objects.filter(instance_id=candidate).exists():
            return candidate
    raise DomainError(_("Could not allocate an instance ID; please try again."))


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
    memo: Msg | str = "",
    order=None,
    acting_user: User | None = None,
    at=None,
    idempotency_key: str | None = None,
) -> Journal:
    """Write one balanced journal. Cash lines must be for wallets the caller has locked.

    A `memo` with words is a `Msg` (issue 17): kept in English in `memo`, and rendered in the
    reader's language from `memo_i18n`."""
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
        memo=english(memo)[:200],
        memo_i18n=stored(memo),
        order=order,
        created_by=acting_user,
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
            # F13: own cash is spent first; the transfer book shrinks only below it
            wallet.transferred_in = max(min(wallet.transferred_in, wallet.cash), ZERO)
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
        wallet.save(update_fields=["cash", "frozen", "transferred_in", "updated_at"])
    return journal
