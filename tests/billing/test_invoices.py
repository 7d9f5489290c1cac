"""B12: invoiceable = cash paid − cash refunded − invoiced; a rejection frees its amount."""

import pytest

from billing import services
from billing.models import Invoice, InvoiceStatus, Message, Resource
from billing.services import invoices
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, fund
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TAX = "91110000100000000X"


def test_b12_invoiceable_is_cash_paid_less_refunds_less_invoiced(catalog, org, admin, member):
    fund(member, "1000", member)
    buy(member, "S5.MEDIUM4", months=2)  # 300.00 paid
    order = buy(member, "S5.SMALL2", months=2, idempotency_key="k")  # 130.00 paid
    assert invoices.invoiceable(member.account) == D("430.00")
    services.order_unsubscribe(
        resource=Resource.objects.get(pk=order.resource_id), acting_user=member
    )
    after_refund = invoices.invoiceable(member.account)
    assert after_refund == D("300.00")  # unsubscribed at once: all 130.00 came back
    invoices.invoice_request(
        account=member.account,
        acting_user=member,
        title="Acme Ltd",
        tax_number=TAX,
        amount=D("100"),
    )
    assert invoices.invoiceable(member.account) == after_refund - D("100.00")
    with pytest.raises(DomainError, match="At most"):
        invoices.invoice_request(
            account=member.account,
            acting_user=member,
            title="Acme Ltd",
            tax_number=TAX,
            amount=after_refund,
        )


def test_b12_pay_on_behalf_spend_is_invoiceable_by_the_payer_only(catalog, org, admin, pob_member):
    fund(admin, "1000", admin)
    buy(pob_member, "S5.MEDIUM4")
    assert invoices.invoiceable(admin.account) == D("150.00")
    assert invoices.invoiceable(pob_member.account) == D("0.00")


def test_b12_operator_issues_or_rejects_and_a_rejected_amount_is_invoiceable_again(catalog, member):
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    fund(member, "500", member)
    buy(member, "S5.MEDIUM4")
    first = invoices.invoice_request(
        account=member.account, acting_user=member, title="Acme", tax_number=TAX, amount=D("100")
    )
    second = invoices.invoice_request(
        account=member.account, acting_user=member, title="Acme", tax_number=TAX, amount=D("50")
    )
    assert invoices.invoiceable(member.account) == D("0.00")
    invoices.invoice_issue(invoice=first, acting_user=operator)
    with pytest.raises(DomainError, match="Say why"):
        invoices.invoice_reject(invoice=second, acting_user=operator, reason=" ")
    invoices.invoice_reject(invoice=second, acting_user=operator, reason="Wrong title")
    assert invoices.invoiceable(member.account) == D("50.00")
    assert Invoice.objects.get(pk=second.pk).status == InvoiceStatus.REJECTED
    with pytest.raises(DomainError, match="already"):
        invoices.invoice_issue(invoice=second, acting_user=operator)
    assert Message.objects.filter(account=member.account, title__contains="rejected").exists()


def test_b12_requests_are_validated(catalog, member):
    for kwargs, message in (
        ({"title": "", "tax_number": TAX, "amount": D("1")}, "title"),
        ({"title": "A", "tax_number": "123", "amount": D("1")}, "tax number"),
        ({"title": "A", "tax_number": TAX, "amount": D("0")}, "greater than zero"),
        ({"title": "A", "tax_number": TAX, "amount": D("1")}, "At most 0.00"),
    ):
        with pytest.raises(DomainError, match=message):
            invoices.invoice_request(account=member.account, acting_user=member, **kwargs)
    assert not Invoice.objects.exists()


def test_b12_operator_decides_in_the_admin(client, catalog, member):
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    fund(member, "500", member)
    buy(member, "S5.MEDIUM4")
    inv = invoices.invoice_request(
        account=member.account, acting_user=member, title="Acme", tax_number=TAX, amount=D("10")
    )
    client.force_login(operator)
    response = client.post(
        f"/admin/billing/invoice/{inv.pk}/change/", {"decision": "issue", "decision_reason": ""}
    )
    assert response.status_code == 302
    assert Invoice.objects.get(pk=inv.pk).status == InvoiceStatus.ISSUED
