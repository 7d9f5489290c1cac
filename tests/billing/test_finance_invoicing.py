"""F16 invoicing for members (permission 5): the admin keeps a self-pay member's invoice titles
and requests invoices against the member's invoiceable amount (B12) under the member's lock;
the member is the buyer and sees them in its own history; the admin may stop the member
invoicing for itself while 5 is granted. Every account keeps its own saved titles."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.finance import invoicing as svc
from billing.models import Invoice, InvoiceStatus, InvoiceTitle, MemberInvoicing, Message
from billing.services import invoices
from organizations import services
from organizations.models import AuditRecord, Membership
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, fund
from tests.concurrency import run_concurrently
from tests.factories import join, make_org, sub_user

PAGE = "/billing/invoices/"
HTMX = {"HTTP_HX_REQUEST": "true"}
TAX = "91110000100000000X"
TAX2 = "91310000MA1FL0000Y"


def _m(user) -> Membership:
    return Membership.objects.select_related("account", "organization").get(account=user.account)


def _world():
    org, admin = make_org()
    member = join(org, admin, name="self-pay", permissions=[1, 2, 5])
    no5 = join(org, admin, name="no-five", permissions=[1, 2])
    pob = join(org, admin, name="pob", payer=org.admin_account, permissions=[1, 2, 5, 7])
    other_org, other_admin = make_org()
    outsider = join(other_org, other_admin, name="outsider", permissions=[1, 2, 5])
    for user in (member, no5, outsider):
        fund(user, "500", user)
        buy(user, "S5.MEDIUM4")  # 150.00 paid: invoiceable
    return {
        "org": org,
        "admin": admin,
        "member": member,
        "no5": no5,
        "pob": pob,
        "outsider": outsider,
        "other_admin": other_admin,
    }


@pytest.fixture
def world(db, catalog):
    return _world()


def _member_url(w, who="member"):
    return f"{PAGE}?account={w[who].account.uin}"


def _request_url(w, who="member"):
    return f"{PAGE}members/{w[who].account.uin}/request/"


def _switch_url(w, who="member"):
    return f"{PAGE}members/{w[who].account.uin}/self-invoicing/"


def _revoke_5(user):
    Membership.objects.filter(account=user.account).update(permissions=[1, 2])


def _for_member(w, amount, title="Member Co", tax=TAX, who="member"):
    return svc.member_invoice_request(
        membership=_m(w[who]), acting_user=w["admin"], title=title, tax_number=tax, amount=amount
    )


# ------------------------------------------------------------------ requests for a member


@pytest.mark.django_db
def test_f16_admin_requests_an_invoice_for_a_member_and_the_member_sees_it(world, client):
    w = world
    svc.invoice_title_create(
        account=w["member"].account,
        membership=_m(w["member"]),
        acting_user=w["admin"],
        title="Member Group Ltd",
        tax_number=TAX,
    )
    title = InvoiceTitle.objects.get(account=w["member"].account)
    client.force_login(w["admin"])
    page = client.get(_member_url(w)).content.decode()
    assert 'data-testid="invoiceable">150.00 CNY' in page and "Member Group Ltd" in page
    response = client.post(
        _request_url(w), {"saved_title": title.pk, "title": "", "tax_number": "", "amount": "100"}
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.account == w["member"].account  # the member stays the buyer
    assert (invoice.title, invoice.tax_number) == ("Member Group Ltd", TAX)
    assert invoice.requested_by == w["admin"]
    assert invoice.requested_by_admin == w["org"].admin_account
    assert invoice.status == InvoiceStatus.REQUESTED
    assert invoices.invoiceable(w["member"].account) == D("50.00")
    assert AuditRecord.objects.filter(action="invoice.request", target_account=w["member"].account)
    message = Message.objects.get(account=w["member"].account, title__contains="requested an")
    assert "100.00 CNY" in message.title

    client.force_login(w["member"])
    mine = client.get(PAGE).content.decode()
    assert 'data-testid="invoiceable">50.00 CNY' in mine
    assert "Member Group Ltd" in mine and w["org"].admin_account.name in mine


@pytest.mark.django_db
def test_f16_admin_and_member_share_one_invoiceable_amount(world):
    w = world
    _for_member(w, D("100"))
    with pytest.raises(DomainError, match=r"At most 50\.00 CNY"):
        invoices.invoice_request(
            account=w["member"].account,
            acting_user=w["member"],
            title="Me",
            tax_number=TAX,
            amount=D("60"),
        )
    invoices.invoice_request(
        account=w["member"].account,
        acting_user=w["member"],
        title="Me",
        tax_number=TAX,
        amount=D("50"),
    )
    with pytest.raises(DomainError, match=r"At most 0\.00 CNY"):
        _for_member(w, D("0.01"))


@pytest.mark.django_db
def test_f16_operators_issue_and_reject_a_members_invoice_as_today(world):
    from tests.factories import UserFactory

    w = world
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    inv = _for_member(w, D("100"))
    invoices.invoice_reject(invoice=inv, acting_user=operator, reason="wrong title")
    assert invoices.invoiceable(w["member"].account) == D("150.00")
    assert Message.objects.filter(account=w["member"].account, title__contains="rejected")


@pytest.mark.django_db
def test_f16_without_5_the_member_is_404_and_refused(world, client):
    w = world
    client.force_login(w["admin"])
    for who in ("no5", "pob", "outsider"):
        assert client.get(_member_url(w, who)).status_code == 404, who
        assert client.get(_request_url(w, who)).status_code == 404, who
        assert client.post(_request_url(w, who), {"title": "X", "tax_number": TAX, "amount": "1"})
        assert client.post(_switch_url(w, who), {"blocked": "1"}).status_code == 404, who
        add = f"{PAGE}titles/add/?account={w[who].account.uin}"
        assert client.post(add, {"title": "X", "tax_number": TAX}).status_code == 404, who
    assert not Invoice.objects.exists() and not InvoiceTitle.objects.exists()
    assert not MemberInvoicing.objects.exists()
    with pytest.raises(
        DomainError, match=r"does not grant the admin the Invoicing permission \(5\)"
    ):
        _for_member(w, D("1"), who="no5")
    with pytest.raises(DomainError, match="nothing to invoice"):
        _for_member(w, D("1"), who="pob")
    assert not Invoice.objects.exists()
    # the selector offers only the member that grants 5; the pay-on-behalf note says why
    page = client.get(PAGE).content.decode()
    assert 'data-testid="invoice-member-selector"' in page
    assert "self-pay (" in page and "no-five (" not in page and "pob (" not in page
    assert "Pay-on-behalf members have nothing to invoice" in page


@pytest.mark.django_db
def test_f16_revoking_5_hides_the_member_at_once(world, client):
    w = world
    client.force_login(w["admin"])
    assert client.get(_member_url(w)).status_code == 200
    _revoke_5(w["member"])
    assert client.get(_member_url(w)).status_code == 404
    response = client.post(_request_url(w), {"title": "X", "tax_number": TAX, "amount": "1"})
    assert response.status_code == 404
    assert 'data-testid="invoice-member-selector"' not in client.get(PAGE).content.decode()
    with pytest.raises(DomainError, match=r"\(5\)"):
        _for_member(w, D("1"))
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_f16_the_admins_users_without_manage_finance_only_read(world, client):
    w = world
    reader = sub_user(w["org"].admin_account, services.READ_ONLY_GROUP)
    client.force_login(reader)
    page = client.get(_member_url(w)).content.decode()
    assert "150.00 CNY" in page and 'data-testid="member-request-invoice"' not in page
    assert client.get(_request_url(w)).status_code == 403
    assert client.post(_switch_url(w), {"blocked": "1"}).status_code == 403
    # a member's own users reach only their own account
    client.force_login(w["member"])
    assert client.get(_member_url(w, "no5")).status_code == 404
    assert client.get(_request_url(w)).status_code == 404


# ------------------------------------------------------------------ the self-invoicing switch


@pytest.mark.django_db
def test_f16_the_switch_blocks_the_member_and_lifts_when_5_is_revoked(world, client):
    w = world
    client.force_login(w["admin"])
    assert client.post(_switch_url(w), {"blocked": "1"}).status_code == 302
    assert MemberInvoicing.objects.get(account=w["member"].account).self_invoicing_blocked
    assert AuditRecord.objects.filter(action="invoice.self_invoicing").count() == 1
    assert Message.objects.filter(account=w["member"].account, title__contains="now requests")

    client.force_login(w["member"])
    page = client.get(PAGE).content.decode()
    assert 'data-testid="self-invoicing-blocked"' in page
    assert 'data-testid="request-invoice"' not in page
    response = client.post(
        f"{PAGE}request/", {"title": "Me", "tax_number": TAX, "amount": "10"}, **HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "has stopped the account requesting invoices for itself" in body
    assert w["org"].admin_account.name in body and w["org"].admin_account.uin in body
    assert not Invoice.objects.exists()
    # the admin still requests for it
    _for_member(w, D("10"))

    _revoke_5(w["member"])  # the switch has no effect without 5, at once
    assert 'data-testid="self-invoicing-blocked"' not in client.get(PAGE).content.decode()
    response = client.post(
        f"{PAGE}request/", {"title": "Me", "tax_number": TAX, "amount": "10"}, **HTMX
    )
    assert response.status_code == 204
    assert Invoice.objects.filter(account=w["member"].account).count() == 2


@pytest.mark.django_db
def test_f16_the_switch_is_lifted_by_the_admin_and_saving_it_again_writes_nothing(world):
    w = world
    svc.member_self_invoicing_set(membership=_m(w["member"]), acting_user=w["admin"], blocked=True)
    svc.member_self_invoicing_set(membership=_m(w["member"]), acting_user=w["admin"], blocked=True)
    assert AuditRecord.objects.filter(action="invoice.self_invoicing").count() == 1
    svc.member_self_invoicing_set(membership=_m(w["member"]), acting_user=w["admin"], blocked=False)
    assert invoices.self_invoicing_block(w["member"].account) is None
    invoices.invoice_request(
        account=w["member"].account, acting_user=w["member"], title="Me", tax_number=TAX, amount=1
    )


@pytest.mark.django_db
def test_f16_a_blocked_member_that_becomes_pay_on_behalf_or_leaves_is_not_blocked(world):
    w = world
    svc.member_self_invoicing_set(membership=_m(w["member"]), acting_user=w["admin"], blocked=True)
    assert invoices.self_invoicing_block(w["member"].account) == w["org"]
    Membership.objects.filter(account=w["member"].account).update(payer=w["org"].admin_account)
    assert invoices.self_invoicing_block(w["member"].account) is None


# ------------------------------------------------------------------ titles


@pytest.mark.django_db
def test_f16_titles_are_validated(world):
    w = world
    acct = w["member"].account

    def create(**kw):
        fields = {"title": "Acme", "tax_number": TAX, **kw}
        return svc.invoice_title_create(account=acct, acting_user=w["member"], **fields)

    for kw, message in [
        ({"title": ""}, "Enter the invoice title"),
        ({"title": "   "}, "Enter the invoice title"),
        ({"title": "x" * 101}, "at most 100 characters"),
        ({"tax_number": "123"}, "15 to 20 letters and digits"),
        ({"tax_number": "9111000010000000-X"}, "15 to 20 letters and digits"),
        ({"tax_number": "9" * 21}, "15 to 20 letters and digits"),
        ({"recipient": "r" * 61}, "recipient is at most 60"),
        ({"address": "a" * 201}, "address is at most 200"),
    ]:
        with pytest.raises(DomainError, match=message):
            create(**kw)
    assert not InvoiceTitle.objects.exists()
    first = create(tax_number=TAX.lower())  # upper-cased, and the first is the default
    assert first.tax_number == TAX and first.is_default
    with pytest.raises(DomainError, match="already has the title Acme"):
        create()
    second = create(title="Beta", tax_number=TAX2, is_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    svc.invoice_title_delete(invoice_title=second, acting_user=w["member"])
    first.refresh_from_db()
    assert first.is_default  # another title takes over the default
    with pytest.raises(DomainError, match="already has the title Acme"):
        svc.invoice_title_edit(
            invoice_title=create(title="Gamma"),
            acting_user=w["member"],
            title="Acme",
            tax_number=TAX,
        )


@pytest.mark.django_db
def test_f16_admin_adds_edits_and_deletes_a_members_titles(world, client):
    w = world
    client.force_login(w["admin"])
    add = f"{PAGE}titles/add/?account={w['member'].account.uin}"
    response = client.post(
        add, {"title": "Member Co", "tax_number": TAX, "address": "1 Road", "recipient": "Li"}
    )
    assert response.status_code == 302 and response["Location"] == _member_url(w)
    row = InvoiceTitle.objects.get()
    assert row.account == w["member"].account and row.created_by == w["admin"]
    assert Message.objects.filter(account=w["member"].account, title__contains="added the invoice")
    edit = f"{PAGE}titles/{row.pk}/edit/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"title": "Member Co 2", "tax_number": TAX2})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.title, row.tax_number) == ("Member Co 2", TAX2)
    assert AuditRecord.objects.filter(action="invoice.title_edit").exists()
    # the member sees and may manage its own titles too
    client.force_login(w["member"])
    assert "Member Co 2" in client.get(PAGE).content.decode()
    assert client.get(edit).status_code == 200
    # another organization's admin, and the admin once 5 is revoked: 404
    client.force_login(w["other_admin"])
    assert client.post(f"{PAGE}titles/{row.pk}/delete/").status_code == 404
    client.force_login(w["admin"])
    _revoke_5(w["member"])
    assert client.post(f"{PAGE}titles/{row.pk}/delete/").status_code == 404
    assert InvoiceTitle.objects.filter(pk=row.pk).exists()
    Membership.objects.filter(account=w["member"].account).update(permissions=[1, 2, 5])
    assert client.post(f"{PAGE}titles/{row.pk}/delete/").status_code == 302
    assert not InvoiceTitle.objects.exists()
    assert AuditRecord.objects.filter(action="invoice.title_delete").exists()


@pytest.mark.django_db
def test_f16_the_members_own_form_offers_its_saved_titles(world, client):
    w = world
    saved = svc.invoice_title_create(
        account=w["member"].account, acting_user=w["member"], title="Saved Ltd", tax_number=TAX
    )
    client.force_login(w["member"])
    form = client.get(f"{PAGE}request/", **HTMX).content.decode()
    assert "Saved Ltd" in form and 'name="saved_title"' in form
    response = client.post(f"{PAGE}request/", {"saved_title": saved.pk, "amount": "20"}, **HTMX)
    assert response.status_code == 204
    assert Invoice.objects.get().title == "Saved Ltd"
    # no saved title and nothing typed: a clear message, nothing saved
    response = client.post(f"{PAGE}request/", {"saved_title": "", "amount": "20"}, **HTMX)
    assert response.status_code == 422
    assert "Choose a saved title or type one." in response.content.decode()
    # typed instead of saved
    response = client.post(
        f"{PAGE}request/",
        {"saved_title": "", "title": "Typed Co", "tax_number": TAX2, "amount": "5"},
        **HTMX,
    )
    assert response.status_code == 204
    assert Invoice.objects.filter(title="Typed Co").exists()
    # another account's title cannot be chosen
    other = svc.invoice_title_create(
        account=w["no5"].account, acting_user=w["no5"], title="Other Ltd", tax_number=TAX
    )
    response = client.post(f"{PAGE}request/", {"saved_title": other.pk, "amount": "5"}, **HTMX)
    assert response.status_code == 422 and Invoice.objects.count() == 2


# ------------------------------------------------------------------ bad input on every form

BAD = {
    "empty": "",
    "negative": "-1",
    "long": "x" * 10_000,
    "non_numeric": "abc",
    "huge": str(10**30),
}


def _forms(w):
    title = svc.invoice_title_create(
        account=w["member"].account,
        membership=_m(w["member"]),
        acting_user=w["admin"],
        title="Keep Co",
        tax_number=TAX,
    )
    amount = {"title": "A", "tax_number": TAX}
    title_fields = {"title": "A", "tax_number": TAX}
    return [
        (_request_url(w), "amount", amount),
        (_request_url(w), "title", {"tax_number": TAX, "amount": "1"}),
        (_request_url(w), "tax_number", {"title": "A", "amount": "1"}),
        (_request_url(w), "saved_title", {"amount": "1"}),
        (f"{PAGE}titles/add/?account={w['member'].account.uin}", "title", {"tax_number": TAX}),
        (f"{PAGE}titles/add/?account={w['member'].account.uin}", "tax_number", {"title": "A"}),
        (f"{PAGE}titles/add/?account={w['member'].account.uin}", "address", title_fields),
        (f"{PAGE}titles/{title.pk}/edit/", "title", {"tax_number": TAX}),
        (f"{PAGE}titles/{title.pk}/edit/", "tax_number", {"title": "A"}),
        (_switch_url(w), "blocked", {}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", list(BAD))
def test_f16_bad_input_on_every_form_is_a_clear_message_and_changes_nothing(world, client, bad):
    w = world
    forms = _forms(w)
    client.force_login(w["admin"])
    before = (
        Invoice.objects.count(),
        list(InvoiceTitle.objects.values_list("title", "tax_number", "address")),
        MemberInvoicing.objects.count(),
        AuditRecord.objects.count(),
    )
    for url, field, rest in forms:
        if field in ("title", "address") and bad not in ("empty", "long"):
            continue  # "-1", "abc" or a long number are acceptable company names
        if bad == "empty" and field == "saved_title":
            continue  # no saved title: the typed fields are checked instead (above)
        if bad == "empty" and field == "address":
            continue  # the address is optional
        response = client.post(url, {**rest, field: BAD[bad]}, **HTMX)
        assert response.status_code == 422, (url, field, bad, response.status_code)
        body = response.content.decode()
        assert 'data-testid="field-error-' in body or 'data-testid="form-error"' in body, (
            url,
            field,
            bad,
        )
    after = (
        Invoice.objects.count(),
        list(InvoiceTitle.objects.values_list("title", "tax_number", "address")),
        MemberInvoicing.objects.count(),
        AuditRecord.objects.count(),
    )
    assert after == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "uin", ["", "abc", "-1", "x" * 10_000, str(10**30), "\x00", "1" * 13, "000000000000"]
)
def test_f16_bad_account_on_the_page_is_404_or_this_account(world, client, uin):
    w = world
    client.force_login(w["admin"])
    response = client.get(PAGE, {"account": uin})
    assert response.status_code == (200 if uin == "" else 404)


@pytest.mark.django_db
def test_f16_another_orgs_uin_everywhere_is_404(world, client):
    w = world
    client.force_login(w["admin"])
    uin = w["outsider"].account.uin
    for url in (
        f"{PAGE}?account={uin}",
        f"{PAGE}members/{uin}/request/",
        f"{PAGE}members/{uin}/self-invoicing/",
        f"{PAGE}titles/add/?account={uin}",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"title": "A", "tax_number": TAX, "amount": "1"}).status_code == 404
    assert not Invoice.objects.filter(account=w["outsider"].account).exists()


# ------------------------------------------------------------------ query count


@pytest.mark.django_db
def test_f16_the_member_page_queries_do_not_grow(world, client):
    w = world
    client.force_login(w["admin"])

    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE, params).status_code == 200
        return len(ctx.captured_queries)

    _for_member(w, D("1"))
    svc.invoice_title_create(
        account=w["member"].account,
        membership=_m(w["member"]),
        acting_user=w["admin"],
        title="T0",
        tax_number=TAX,
    )
    before = (count(), count(account=w["member"].account.uin))
    for i in range(3):
        join(w["org"], w["admin"], name=f"extra-{i}", permissions=[1, 2, 5])
        _for_member(w, D("1"))
        svc.invoice_title_create(
            account=w["member"].account,
            membership=_m(w["member"]),
            acting_user=w["admin"],
            title=f"T{i + 1}",
            tax_number=TAX,
        )
    after = (count(), count(account=w["member"].account.uin))
    assert after == before
    assert max(after) <= 16, after


# ------------------------------------------------------------------ race (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_f16_admin_and_member_never_invoice_the_same_amount_twice(catalog, round_):
    w = _world()
    membership = _m(w["member"])
    results = run_concurrently(
        lambda: svc.member_invoice_request(
            membership=membership,
            acting_user=w["admin"],
            title="By Admin",
            tax_number=TAX,
            amount=D("150"),
        ),
        lambda: invoices.invoice_request(
            account=w["member"].account,
            acting_user=w["member"],
            title="By Member",
            tax_number=TAX,
            amount=D("150"),
        ),
        timeout=60,
    )
    done = [r for r, e in results if e is None]
    errors = [e for _r, e in results if e is not None]
    assert len(done) == 1, errors
    assert isinstance(errors[0], DomainError) and "At most 0.00 CNY" in errors[0].message
    assert Invoice.objects.filter(account=w["member"].account).count() == 1
    assert invoices.invoiceable(w["member"].account) == D("0.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_f16_many_concurrent_requests_claim_at_most_the_invoiceable_amount(catalog):
    w = _world()
    membership = _m(w["member"])
    fns = []
    for i in range(10):
        if i % 2:
            fns.append(
                lambda: svc.member_invoice_request(
                    membership=membership,
                    acting_user=w["admin"],
                    title="A",
                    tax_number=TAX,
                    amount=D("40"),
                )
            )
        else:
            fns.append(
                lambda: invoices.invoice_request(
                    account=w["member"].account,
                    acting_user=w["member"],
                    title="M",
                    tax_number=TAX,
                    amount=D("40"),
                )
            )
    results = run_concurrently(*fns, timeout=60)
    assert len([r for r, e in results if e is None]) == 3  # 3 × 40 ≤ 150 < 4 × 40
    assert invoices.invoiceable(w["member"].account) == D("30.00")
