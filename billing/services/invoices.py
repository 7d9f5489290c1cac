"""B12: invoices. Invoiceable = cash the account paid (its bill lines as payer: payments and
settlements, less refunds, which are negative lines) − what is requested or issued already.
Pay-on-behalf spend is on the payer's bill lines, so only the payer can invoice it."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceStatus, PayerProductMonth
from billing.money import ZERO, q
from organizations.audit import audit_record, organization_of
from organizations.locks import lock_accounts
from organizations.models import Account, User
from tco_console.errors import DomainError

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


@transaction.atomic(durable=True)
def invoice_request(
    *, account: Account, acting_user: User, title: str, tax_number: str, amount: Decimal
) -> Invoice:
    lock_accounts(account)  # two requests at once cannot both claim the same amount
    title, tax_number, amount = (title or "").strip(), (tax_number or "").strip().upper(), q(amount)
    if not title:
        raise DomainError(_("Enter the invoice title (the company name)."), field="title")
    if not TAX_NUMBER.match(tax_number):
        raise DomainError(_("A tax number is 15 to 20 letters and digits."), field="tax_number")
    if amount <= 0:
        raise DomainError(_("Enter an amount greater than zero."), field="amount")
    available = invoiceable(account)
    if amount > available:
        raise DomainError(
            _("At most %(available)s CNY can be invoiced now.") % {"available": available},
            field="amount",
        )
    invoice = Invoice.objects.create(
        account=account,
        title=title,
        tax_number=tax_number,
        amount=amount,
        requested_by=acting_user,
        created_at=timezone.now(),
    )
    audit_record(
        actor=acting_user,
        action="invoice.request",
        message=_("Requested an invoice of %(amount)s CNY") % {"amount": amount},
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
    verb = _("issued") if status == InvoiceStatus.ISSUED else _("rejected")
    notify(
        inv.account,
        _("Your invoice of %(amount)s CNY was %(verb)s") % {"amount": inv.amount, "verb": verb},
        reason,
    )
    audit_record(
        actor=acting_user,
        action=f"invoice.{status}",
        message=_("Invoice %(id)s of %(amount)s CNY %(verb)s")
        % {"id": inv.pk, "amount": inv.amount, "verb": verb},
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
