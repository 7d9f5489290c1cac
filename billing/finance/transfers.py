"""F12, F13: fund transfer (permission 3) between the admin account and a self-pay member.

A transfer-in moves cash from the admin's wallet to the member's and puts it in the member's
transfer book (`Wallet.transferred_in`); a take-back returns unspent funds of one transfer-in
record. Each is one durable transaction: the organization and the membership first (so the
permission and the payer cannot change under it, the order of `organizations.locks`), then
the transfer record being taken back, then both accounts and both wallets by primary key; one
balanced journal across the two cash books (B1), idempotent on the form's key, audited, and a
message to each side. The formulas (F13):

    transferable(admin)      = max(0, min(cash − transferred_in, available))
    revocable(record, member) = max(0, min(record.amount − record.taken_back,
                                           member.transferred_in, member.available))
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import FundTakeBack, FundTransfer, Journal, Wallet
from billing.models.choices import Book, JournalKind, MessageCategory
from billing.money import ZERO, q
from billing.services.ledger import Line, lock_wallets, post
from billing.services.lifecycle import reconcile
from billing.services.messages import notify
from organizations.audit import audit_record
from organizations.choices import FinancialPermission
from organizations.locks import lock_accounts, lock_membership
from organizations.models import Account, Membership, User
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .reach import granting_candidates, grants, refuse_unless_self_pay_granting

PERM = FinancialPermission.FUND_TRANSFER
MAX_TRANSFER = Decimal("10000000.00")  # F12: one transfer moves at most 10,000,000.00 CNY


def transferable(wallet: Wallet | None) -> Decimal:
    """F13: what the admin may transfer now: its own cash (not funds transferred to it) and
    never more than its available balance, so a transfer never puts it in arrears."""
    if wallet is None:
        return ZERO
    return max(min(wallet.cash - wallet.transferred_in, wallet.available), ZERO)


def revocable(record: FundTransfer, wallet: Wallet | None) -> Decimal:
    """F13: what the admin may take back of one transfer-in record now: the record's
    remainder, capped by the member's unspent transferred funds and its available balance (a
    take-back never puts the member in arrears)."""
    if wallet is None:
        return ZERO
    return max(min(record.remaining, wallet.transferred_in, wallet.available), ZERO)


def transfer_members(ctx):
    """F12: the admin's self-pay members that grant 3 now, with their wallets, as a queryset
    to page in the database (none for anyone but the admin's users with view_finance)."""
    members = granting_candidates(ctx, PERM).select_related("account__wallet")
    if connection.vendor == "postgresql":
        return members  # exactly those (jsonb containment)
    rows = members.select_related(None).only("pk", "permissions")
    granting = [m.pk for m in rows if grants(m, PERM)]
    return members.filter(pk__in=granting)  # SQLite has no JSON containment


def records_of(member_account: Account, admin_account: Account):
    """The admin's transfer-in records to the member, newest first."""
    return FundTransfer.objects.filter(source=admin_account, target=member_account).order_by(
        "-created_at", "-pk"
    )


def _refuse_party(m: Membership, admin: Account) -> None:
    """F12: who may receive a transfer (re-checked inside the locks)."""
    refuse_unless_self_pay_granting(
        m, PERM, why_not_on_behalf=_("its spend is already the payer's, so it needs no funds.")
    )
    if admin.entity_id is None or m.account.entity_id != admin.entity_id:
        raise DomainError(
            _(
                "Funds move only between accounts verified as the same enterprise entity; "
                "%(name)s is verified as another entity (or not verified)."
            )
            % {"name": m.name},
            code="UnsupportedOperation.DifferentEntity",
        )


def _check_amount(amount) -> Decimal:
    try:
        amount = q(Decimal(amount))
    except (ArithmeticError, TypeError, ValueError):
        raise DomainError(_("Enter an amount in CNY, such as 500.00."), field="amount") from None
    if amount <= 0:
        raise DomainError(_("Enter an amount greater than zero."), field="amount")
    if amount > MAX_TRANSFER:
        raise DomainError(_("One transfer moves at most 10,000,000.00 CNY."), field="amount")
    return amount


def _locked(membership: Membership):
    """The organization, the membership, then both accounts and wallets (lock order)."""
    org, m = lock_membership(membership, related=("account", "organization__admin_account"))
    admin = org.admin_account
    lock_accounts(admin, m.account)
    wallets = lock_wallets(admin, m.account)
    return org, m, admin, wallets


def _done(key: str | None, attr: str):
    if not key:
        return None
    journal = Journal.objects.filter(idempotency_key=key).select_related(attr).first()
    return getattr(journal, attr) if journal is not None else None


@transaction.atomic(durable=True)
def fund_transfer_in(
    *,
    membership: Membership,
    amount: Decimal,
    acting_user: User | None,
    idempotency_key: str | None = None,
) -> FundTransfer:
    """F12: the admin moves `amount` of its cash to a self-pay member that grants 3."""
    amount = _check_amount(amount)
    org, m, admin, wallets = _locked(membership)
    key = f"transfer:{org.pk}:{idempotency_key}" if idempotency_key else None
    if (done := _done(key, "fund_transfer")) is not None:
        return done  # a double submit or a retried request moves the money once
    _refuse_party(m, admin)
    source = wallets[admin.pk]
    if source.in_arrears:
        raise DomainError(
            _("The admin account is in arrears: top it up before transferring funds."),
            code="FailedOperation.AccountInArrears",
        )
    can = transferable(source)
    if amount > can:
        raise DomainError(
            _(
                "The admin account can transfer at most %(can)s CNY now (its own cash within "
                "its available balance)."
            )
            % {"can": can},
            field="amount",
            code="FailedOperation.InsufficientBalance",
        )
    at = timezone.now()
    target = wallets[m.account_id]
    target.transferred_in += amount  # F13: into the transfer book (post caps it by cash)
    memo = Msg(
        gettext_noop("Fund transfer from %(src)s (%(suin)s) to %(dst)s (%(duin)s)"),
        src=admin.name,
        suin=admin.uin,
        dst=m.name,
        duin=m.account.uin,
    )
    journal = post(
        kind=JournalKind.TRANSFER,
        lines=[
            Line(Book.CASH, -amount, account=admin, owner=m.account),
            Line(Book.CASH, amount, account=m.account, owner=admin),
        ],
        wallets=wallets,
        memo=memo,
        acting_user=acting_user,
        at=at,
        idempotency_key=key,
    )
    record = FundTransfer.objects.create(
        organization=org,
        source=admin,
        target=m.account,
        amount=amount,
        journal=journal,
        created_by=acting_user,
        created_at=at,
    )
    audit_record(
        actor=acting_user,
        action="finance.transfer",
        message=Msg(
            gettext_noop("Transferred %(amount)s CNY to %(name)s (%(uin)s)"),
            amount=amount,
            name=m.name,
            uin=m.account.uin,
        ),
        organization=org,
        target_account=m.account,
        obj=record,
        changes={
            "amount": str(amount),
            "admin_cash_after": str(source.cash),
            "member_cash_after": str(target.cash),
        },
    )
    _tell_both(
        admin,
        m,
        admin_title=Msg(
            gettext_noop("%(amount)s CNY transferred to %(name)s (%(uin)s)"),
            amount=amount,
            name=m.name,
            uin=m.account.uin,
        ),
        member_title=Msg(
            gettext_noop("%(amount)s CNY transferred to you by %(name)s (%(uin)s)"),
            amount=amount,
            name=admin.name,
            uin=admin.uin,
        ),
        member_body=Msg(
            gettext_noop(
                "The funds are in your balance: you can spend them, but not transfer them on or "
                "withdraw them. The admin can take back what you have not spent."
            )
        ),
    )
    reconcile(m.account, acting_user=acting_user)  # B9: funds can end the member's arrears
    return record


@transaction.atomic(durable=True)
def fund_take_back(
    *,
    record: FundTransfer,
    amount: Decimal,
    acting_user: User | None,
    idempotency_key: str | None = None,
) -> FundTakeBack:
    """F12: the admin takes back unspent funds of one transfer-in record."""
    amount = _check_amount(amount)
    membership = Membership.objects.filter(
        account_id=record.target_id, organization_id=record.organization_id
    ).first()
    if membership is None:
        raise DomainError(
            _("The account is no longer a member of the organization."),
            code="ResourceNotFound.MemberNotExist",
        )
    org, m, admin, wallets = _locked(membership)
    key = f"take_back:{org.pk}:{idempotency_key}" if idempotency_key else None
    if (done := _done(key, "fund_take_back")) is not None:
        return done
    record = FundTransfer.objects.select_for_update(no_key=True).get(pk=record.pk)
    if record.source_id != admin.pk:
        raise DomainError(_("Only the admin account that made a transfer takes it back."))
    _refuse_party(m, admin)  # 3 must still be granted: the member's consent covers both ways
    member_wallet = wallets[m.account_id]
    can = revocable(record, member_wallet)
    if amount > can:
        raise DomainError(
            _(
                "At most %(can)s CNY of this transfer can be taken back now: %(remaining)s CNY "
                "of it remains, the member holds %(book)s CNY of transferred funds, and its "
                "available balance is %(available)s CNY."
            )
            % {
                "can": can,
                "remaining": record.remaining,
                "book": member_wallet.transferred_in,
                "available": member_wallet.available,
            },
            field="amount",
            code="FailedOperation.InsufficientBalance",
        )
    at = timezone.now()
    member_wallet.transferred_in -= amount
    journal = post(
        kind=JournalKind.TAKE_BACK,
        lines=[
            Line(Book.CASH, -amount, account=m.account, owner=admin),
            Line(Book.CASH, amount, account=admin, owner=m.account),
        ],
        wallets=wallets,
        memo=Msg(
            gettext_noop("Fund transfer back from %(src)s (%(suin)s) to %(dst)s (%(duin)s)"),
            src=m.name,
            suin=m.account.uin,
            dst=admin.name,
            duin=admin.uin,
        ),
        acting_user=acting_user,
        at=at,
        idempotency_key=key,
    )
    record.taken_back += amount
    record.save(update_fields=["taken_back"])
    take_back = FundTakeBack.objects.create(
        transfer=record, amount=amount, journal=journal, created_by=acting_user, created_at=at
    )
    audit_record(
        actor=acting_user,
        action="finance.take_back",
        message=Msg(
            gettext_noop("Took back %(amount)s CNY from %(name)s (%(uin)s)"),
            amount=amount,
            name=m.name,
            uin=m.account.uin,
        ),
        organization=org,
        target_account=m.account,
        obj=record,
        changes={
            "amount": str(amount),
            "transfer": record.pk,
            "member_cash_after": str(member_wallet.cash),
            "admin_cash_after": str(wallets[admin.pk].cash),
        },
    )
    _tell_both(
        admin,
        m,
        admin_title=Msg(
            gettext_noop("%(amount)s CNY taken back from %(name)s (%(uin)s)"),
            amount=amount,
            name=m.name,
            uin=m.account.uin,
        ),
        member_title=Msg(
            gettext_noop("%(name)s (%(uin)s) took back %(amount)s CNY it had transferred to you"),
            amount=amount,
            name=admin.name,
            uin=admin.uin,
        ),
        member_body="",
    )
    reconcile(admin, acting_user=acting_user)  # B9: the funds can end the admin's arrears
    return take_back


def _tell_both(admin, m, *, admin_title, member_title, member_body):
    notify(
        admin,
        admin_title,
        category=MessageCategory.FINANCE,
        link=f"{reverse('billing:transfers')}?account={m.account.uin}",
    )
    notify(
        m.account,
        member_title,
        member_body,
        category=MessageCategory.FINANCE,
        link=f"{reverse('billing:billing_center')}?tab=transactions",
    )
