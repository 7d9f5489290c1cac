"""B12: invoices. Invoiceable = cash the account paid (its bill lines as payer: payments and
settlements, less refunds, which are negative lines) − what is requested or issued already.
Pay-on-behalf spend is on the payer's bill lines, so only the payer can invoice it.

F16: the organization's admin may request invoices for a self-pay member that grants 5
(`billing.finance.invoicing`), through the same `claim` under the same account lock; the
admin may also stop the member requesting for itself (`self_invoicing_block`)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Invoice, InvoiceStatus, MemberInvoicing, PayerProductMonth
from billing.money import ZERO, q
from organizations.audit import audit_record, organization_of
from organizations.choices import FinancialPermission, MemberType
from organizations.locks import lock_accounts
from organizations.models import Account, Membership, User
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .messages import notify

TAX_NUMBER = re.compile(r"^[0-9A-Z]{15,20}$")


def invoiceable(account: Account) -> Decimal:
    """Computed from the monthly summaries (never by scanning line items)."""
    paid = q(
        PayerProductMonth.objects.filter(payer=account).aggregate(s=Sum("cash_amount"))["s"] or ZERO
    )
    claimed = q(
        Invoice.objects.filter(
            account=account, status__in=[InvoiceStatus.REQUESTED, InvoiceStatus.ISSUED]
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    return max(paid - claimed, ZERO)


def self_invoicing_block(account: Account):
    """F16: the organization whose admin stops this account invoicing for itself, or None.
    The switch counts only while the account is a self-pay member that grants 5 now, so
    revoking 5 (or leaving, or becoming pay-on-behalf) lifts it at once."""
    setting = MemberInvoicing.objects.filter(account=account, self_invoicing_blocked=True).first()
    if setting is None:
        return None
    membership = (
        Membership.objects.filter(account=account, payer__isnull=True)
        .exclude(member_type=MemberType.ADMIN)
        .select_related("organization__admin_account")
        .first()
    )
    if membership is None:
        return None
    if int(FinancialPermission.INVOICING) not in {int(p) for p in membership.permissions or ()}:
        return None
    return membership.organization


def _checked(title, tax_number, amount) -> tuple[str, str, Decimal]:
    title, tax_number = (title or "").strip(), (tax_number or "").strip().upper()
    try:
        amount = q(Decimal(amount))
    except (ArithmeticError, TypeError, ValueError):
        raise DomainError(_("Enter an amount in CNY, such as 100.00."), field="amount") from None
    if not title:
        raise DomainError(_("Enter the invoice title (the company name)."), field="title")
    if len(title) > 100:
        raise DomainError(_("An invoice title is at most 100 characters."), field="title")
    if not TAX_NUMBER.match(tax_number):
        raise DomainError(_("A tax number is 15 to 20 letters and digits."), field="tax_number")
    if amount <= 0:
        raise DomainError(_("Enter an amount greater than zero."), field="amount")
    return title, tax_number, amount


def claim(
    *,
    account: Account,
    acting_user: User,
    title: str,
    tax_number: str,
    amount: Decimal,
    requested_by_admin: Account | None = None,
) -> Invoice:
    """B12's arithmetic: one invoice request against `account`'s invoiceable amount. The
    caller holds `lock_accounts(account)`, so two requests for the same account (its own, or
    the admin's for it under F16) never claim the same amount twice."""
    title, tax_number, amount = _checked(title, tax_number, amount)
    available = invoiceable(account)
    if amount > available:
        raise DomainError(
            _("At most %(available)s CNY can be invoiced now.") % {"available": available},
            field="amount",
        )
    return Invoice.objects.create(
        account=account,
        title=title,
        tax_number=tax_number,
        amount=amount,
        requested_by=acting_user,
        requested_by_admin=requested_by_admin,
        created_at=timezone.now(),
    )


@transaction.atomic(durable=True)
def invoice_request(
    *, account: Account, acting_user: User, title: str, tax_number: str, amount: Decimal
) -> Invoice:
    lock_accounts(account)  # two requests at once cannot both claim the same amount
    blocked_by = self_invoicing_block(account)
    if blocked_by is not None:  # F16
        raise DomainError(
            _(
                "The organization of %(name)s (%(uin)s) manages this account's invoices: its "
                "admin account has stopped the account requesting invoices for itself. Ask "
                "the admin to request the invoice."
            )
            % {"name": blocked_by.admin_account.name, "uin": blocked_by.admin_account.uin},
            code="OperationDenied.SelfInvoicingBlocked",
        )
    invoice = claim(
        account=account, acting_user=acting_user, title=title, tax_number=tax_number, amount=amount
    )
    audit_record(
        actor=acting_user,
        action="invoice.request",
        message=Msg(gettext_noop("Requested an invoice of %(amount)s CNY"), amount=invoice.amount),
        organization=organization_of(account),
        target_account=account,
        obj=invoice,
    )
    return invoice


def _decide(invoice: Invoice, status: str, reason: str = "", *, acting_user: User) -> Invoice:
    inv = (
        Invoice.objects.select_for_update(no_key=True, of=("self",))
        .select_related("account")
        .get(pk=invoice.pk)
    )
    if inv.status != InvoiceStatus.REQUESTED:
        raise DomainError(
            _("This invoice was already %(status)s.") % {"status": inv.get_status_display().lower()}
        )
    inv.status, inv.reason, inv.decided_by, inv.decided_at = (
        status,
        reason[:200],
        acting_user,
        timezone.now(),
    )
    inv.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    verb = Msg(
        gettext_noop("issued") if status == InvoiceStatus.ISSUED else gettext_noop("rejected")
    )
    notify(
        inv.account,
        Msg(
            gettext_noop("Your invoice of %(amount)s CNY was %(verb)s"),
            amount=inv.amount,
            verb=verb,
        ),
        reason,
    )
    audit_record(
        actor=acting_user,
        action=f"invoice.{status}",
        message=Msg(
            gettext_noop("Invoice %(id)s of %(amount)s CNY %(verb)s"),
            id=inv.pk,
            amount=inv.amount,
            verb=verb,
        ),
        organization=organization_of(inv.account),
        target_account=inv.account,
        obj=inv,
    )
    return inv


@transaction.atomic(durable=True)
def invoice_issue(*, invoice: Invoice, acting_user: User) -> Invoice:
    return _decide(invoice, InvoiceStatus.ISSUED, acting_user=acting_user)


@transaction.atomic(durable=True)
def invoice_reject(*, invoice: Invoice, acting_user: User, reason: str) -> Invoice:
    """The rejected amount becomes invoiceable again."""
    if not (reason or "").strip():
        raise DomainError(_("Say why the invoice is rejected."), field="reason")
    return _decide(invoice, InvoiceStatus.REJECTED, reason.strip(), acting_user=acting_user)
