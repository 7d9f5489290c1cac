"""F12, F13 fund transfer (permission 3): the admin moves cash to a self-pay member that grants
3 and takes back what the member has not spent. One balanced journal across the two wallets,
idempotent, audited, in both sides' transaction details and message centers; transferred
funds are spent after the member's own cash and are never more than its cash."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.finance import transfers as svc
from billing.models import Entry, FundTakeBack, FundTransfer, Journal, Message, Wallet
from billing.models.choices import Book, JournalKind
from organizations.models import AuditRecord, Membership
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, cash, fund
from tests.factories import EntityFactory, UserFactory, join, make_org, sub_user

pytestmark = pytest.mark.django_db
PAGE = "/billing/transfers/"


@pytest.fixture
def world(catalog):
    org, admin = make_org()
    member = join(org, admin, name="self-pay", permissions=[1, 2, 3])
    no3 = join(org, admin, name="no-three", permissions=[1, 2])
    pob = join(org, admin, name="pob", payer=org.admin_account, permissions=[1, 2, 3, 7])
    other_org, other_admin = make_org()
    outsider = join(other_org, other_admin, name="outsider", permissions=[1, 2, 3])
    fund(admin, "1000", admin)
    return {
        "org": org,
        "admin": admin,
        "member": member,
        "no3": no3,
        "pob": pob,
        "outsider": outsider,
        "other_admin": other_admin,
    }


def _m(user) -> Membership:
    return Membership.objects.select_related("account", "organization").get(account=user.account)


def _wallet(user) -> Wallet:
    return Wallet.objects.get(account=user.account)


def transfer(w, amount, who="member", key=None):
    return svc.fund_transfer_in(
        membership=_m(w[who]), amount=D(amount), acting_user=w["admin"], idempotency_key=key
    )


def take_back(w, record, amount, key=None):
    return svc.fund_take_back(
        record=record, amount=D(amount), acting_user=w["admin"], idempotency_key=key
    )


# ------------------------------------------------------------------ F12 transfer in


def test_f12_transfer_in_is_one_balanced_journal_across_both_wallets(world):
    w = world
    record = transfer(w, "500.00")
    assert cash(w["admin"]) == D("500.00")
    assert cash(w["member"]) == D("500.00")
    assert _wallet(w["member"]).transferred_in == D("500.00")  # F13: the transfer book
    entries = Entry.objects.filter(journal=record.journal)
    assert {(e.account_id, e.book, e.amount) for e in entries} == {
        (w["admin"].account.pk, Book.CASH, D("-500.00")),
        (w["member"].account.pk, Book.CASH, D("500.00")),
    }
    assert record.journal.kind == JournalKind.TRANSFER
    audit = AuditRecord.objects.get(action="finance.transfer")
    assert audit.target_account_id == w["member"].account.pk
    assert Message.objects.filter(account=w["admin"].account, title__contains="transferred to")
    assert Message.objects.filter(account=w["member"].account, title__contains="to you by")
    call_command("check_books")


def test_f12_a_double_submit_or_retry_moves_money_once(world):
    w = world
    first = transfer(w, "300.00", key="k" * 32)
    again = transfer(w, "300.00", key="k" * 32)
    assert again.pk == first.pk
    assert FundTransfer.objects.count() == 1
    assert cash(w["admin"]) == D("700.00") and cash(w["member"]) == D("300.00")


@pytest.mark.parametrize(
    ("amount", "who", "needle"),
    [
        ("0", "member", "greater than zero"),
        ("-5", "member", "greater than zero"),
        ("1000.01", "member", "at most 1,000.00"),
        ("20000000", "member", "at most 10,000,000.00"),
        ("10", "no3", "does not grant"),
        ("10", "pob", "paid for on behalf"),
    ],
)
def test_f12_refusals_change_nothing(world, amount, who, needle):
    w = world
    with pytest.raises(DomainError) as error:
        transfer(w, amount, who=who)
    assert needle in error.value.message.replace("1000.00", "1,000.00")
    assert not FundTransfer.objects.exists()
    assert not Journal.objects.filter(kind=JournalKind.TRANSFER).exists()
    assert cash(w["admin"]) == D("1000.00")


def test_f12_another_entity_is_refused(world):
    w = world
    stranger = UserFactory(account__entity=EntityFactory())
    join(w["org"], w["admin"], user=stranger, name="stranger", permissions=[1, 2, 3])
    with pytest.raises(DomainError, match="same enterprise entity"):
        transfer({**w, "stranger": stranger}, "10", who="stranger")


def test_f12_an_admin_in_arrears_transfers_nothing(world):
    w = world
    wallet = _wallet(w["admin"])
    Wallet.objects.filter(pk=wallet.pk).update(credit_limit=D("500.00"))
    buy(w["pob"], "S5.MEDIUM4", months=10)  # 1,500.00: cash -500, within the credit limit
    assert svc.transferable(_wallet(w["admin"])) == D("0.00")
    with pytest.raises(DomainError, match=r"at most 0\.00"):
        transfer(w, "1")
    Wallet.objects.filter(pk=wallet.pk).update(credit_limit=D("400.00"))  # now in arrears
    with pytest.raises(DomainError, match="in arrears"):
        transfer(w, "1")


# ------------------------------------------------------------------ F13 the transfer book


def test_f13_own_cash_is_spent_first_and_a_top_up_does_not_refill_the_book(world):
    w = world
    fund(w["member"], "100.00", w["member"])
    transfer(w, "500.00")
    buy(w["member"], "S5.MEDIUM4", months=2)  # 300.00: own 100 then 200 of transferred
    wallet = _wallet(w["member"])
    assert wallet.cash == D("300.00") and wallet.transferred_in == D("300.00")
    fund(w["member"], "1000.00", w["member"])
    assert _wallet(w["member"]).transferred_in == D("300.00")  # spent funds stay spent


def test_f13_transferable_excludes_funds_transferred_in(world):
    w = world
    admin_wallet = _wallet(w["admin"])
    Wallet.objects.filter(pk=admin_wallet.pk).update(transferred_in=D("400.00"))
    assert svc.transferable(_wallet(w["admin"])) == D("600.00")


def test_f13_take_back_is_capped_by_record_book_and_available(world):
    w = world
    record = transfer(w, "500.00")
    buy(w["member"], "S5.MEDIUM4")  # 150.00 spent out of the transferred funds
    record.refresh_from_db()
    assert svc.revocable(record, _wallet(w["member"])) == D("350.00")
    with pytest.raises(DomainError, match=r"At most 350\.00"):
        take_back(w, record, "350.01")
    done = take_back(w, record, "200.00")
    assert isinstance(done, FundTakeBack)
    record.refresh_from_db()
    assert record.taken_back == D("200.00")
    assert cash(w["member"]) == D("150.00") and _wallet(w["member"]).transferred_in == D("150.00")
    assert cash(w["admin"]) == D("700.00")
    assert done.journal.kind == JournalKind.TAKE_BACK
    call_command("check_books")


def test_f13_take_back_never_leaves_the_member_in_arrears(world):
    w = world
    record = transfer(w, "500.00")
    Wallet.objects.filter(account=w["member"].account).update(frozen=D("400.00"))
    assert svc.revocable(record, _wallet(w["member"])) == D("100.00")  # available 100
    with pytest.raises(DomainError):
        take_back(w, record, "100.01")


def test_f12_take_back_needs_3_still_granted(world):
    w = world
    record = transfer(w, "500.00")
    Membership.objects.filter(account=w["member"].account).update(permissions=[1, 2])
    with pytest.raises(DomainError, match="does not grant"):
        take_back(w, record, "100")
    assert cash(w["member"]) == D("500.00")


def test_f12_take_back_is_idempotent(world):
    w = world
    record = transfer(w, "500.00")
    a = take_back(w, record, "100", key="t" * 32)
    b = take_back(w, record, "100", key="t" * 32)
    assert a.pk == b.pk and cash(w["member"]) == D("400.00")


# ------------------------------------------------------------------ pages


def test_f12_page_lists_members_granting_3_and_404s_outside_reach(world, client):
    w = world
    client.force_login(w["admin"])
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "self-pay" in body and "no-three" not in body and ">pob<" not in body
    for user in (w["no3"], w["pob"], w["outsider"]):
        assert client.get(PAGE, {"account": user.account.uin}).status_code == 404
        assert client.get(f"{PAGE}{user.account.uin}/in/").status_code == 404
    assert client.get(PAGE, {"account": "x" * 10000}).status_code == 404
    assert client.get(PAGE, {"account": w["member"].account.uin}).status_code == 200


def test_f12_members_and_read_only_users_cannot_transfer(world, client):
    w = world
    client.force_login(w["member"])
    assert client.get(PAGE).status_code == 403
    reader = sub_user(w["admin"].account, "Read-only")
    client.force_login(reader)
    assert client.get(PAGE).status_code == 200
    uin = w["member"].account.uin
    assert client.post(f"{PAGE}{uin}/in/", {"amount": "10"}).status_code == 403
    assert cash(w["member"]) == D("0.00")


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("", "required"),
        ("-5", "greater than or equal to 0.01"),
        ("0", "greater than or equal to 0.01"),
        ("abc", "Enter a number"),
        ("9" * 10000, "Ensure that there are no more than"),
        ("1e30", "less than or equal to"),
        ("1.005", "no more than 2 decimal places"),
        ("5000", "at most 1,000.00"),
    ],
)
def test_f12_bad_amounts_are_explained_and_change_nothing(world, client, value, needle):
    w = world
    client.force_login(w["admin"])
    uin = w["member"].account.uin
    response = client.post(f"{PAGE}{uin}/in/", {"amount": value, "idempotency_key": "a" * 32})
    assert response.status_code == 422
    assert needle in response.content.decode().replace("1000.00", "1,000.00")
    assert not FundTransfer.objects.exists() and cash(w["admin"]) == D("1000.00")


def test_f12_the_form_transfers_and_both_transaction_details_name_the_other_party(world, client):
    w = world
    client.force_login(w["admin"])
    uin = w["member"].account.uin
    response = client.post(
        f"{PAGE}{uin}/in/", {"amount": "500.00", "idempotency_key": "b" * 32}, follow=True
    )
    assert response.status_code == 200 and cash(w["member"]) == D("500.00")
    memo = f"to self-pay ({uin})"
    assert memo in client.get("/billing/", {"tab": "transactions"}).content.decode()
    client.force_login(w["member"])
    assert memo in client.get("/billing/", {"tab": "transactions"}).content.decode()
    record = FundTransfer.objects.get()
    client.force_login(w["admin"])
    page = client.get(PAGE, {"account": uin}).content.decode()
    assert "500.00" in page and f"/billing/transfers/{record.pk}/take-back/" in page
    response = client.post(
        f"{PAGE}{record.pk}/take-back/", {"amount": "200", "idempotency_key": "c" * 32}
    )
    assert response.status_code == 302
    assert cash(w["member"]) == D("300.00") and cash(w["admin"]) == D("700.00")


def test_f12_another_admins_record_is_404(world, client):
    w = world
    record = transfer(w, "100")
    client.force_login(w["outsider"])
    assert client.get(f"{PAGE}{record.pk}/take-back/").status_code in (403, 404)
    client.force_login(w["other_admin"])
    assert client.get(f"{PAGE}{record.pk}/take-back/").status_code == 404
    assert client.post(f"{PAGE}{record.pk}/take-back/", {"amount": "1"}).status_code == 404


def test_f12_page_queries_do_not_grow_with_members_or_transfers(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = world
    client.force_login(w["admin"])

    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE, params).status_code == 200
        return len(ctx.captured_queries)

    transfer(w, "10")
    before = (count(), count(account=w["member"].account.uin))
    for i in range(3):
        join(w["org"], w["admin"], name=f"extra-{i}", permissions=[1, 2, 3])
        transfer(w, "10")
    after = (count(), count(account=w["member"].account.uin))
    assert after == before
    assert max(after) <= 16


def test_f12_transfer_amount_is_decimal_cents(world):
    w = world
    record = transfer(w, Decimal("0.01"))
    assert record.amount == D("0.01") and cash(w["member"]) == D("0.01")


def test_f13_check_books_accepts_an_account_in_arrears_and_flags_a_broken_book(world):
    from django.core.management.base import CommandError

    from billing.management.commands.check_books import transfer_problems

    w = world
    transfer(w, "100")
    Wallet.objects.filter(account=w["no3"].account).update(cash=D("-5.00"))  # arrears, no book
    assert list(transfer_problems()) == []
    FundTransfer.objects.update(taken_back=D("1.00"))
    assert any("taken back" in p for p in transfer_problems())
    with pytest.raises(CommandError):
        call_command("check_books")


def test_f12_billing_center_member_view_links_to_fund_transfer_only_with_3(world, client):
    w = world
    client.force_login(w["admin"])
    page = client.get("/billing/", {"account": w["member"].account.uin}).content.decode()
    assert 'data-testid="viewed-fund-transfer"' in page
    page = client.get("/billing/", {"account": w["no3"].account.uin}).content.decode()
    assert 'data-testid="viewed-fund-transfer"' not in page


def test_f12_the_page_refreshes_its_region_alone_and_pages_the_records(world, client):
    w = world
    for _ in range(30):
        transfer(w, "1")
    client.force_login(w["admin"])
    uin = w["member"].account.uin
    partial = client.get(PAGE, {"account": uin}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="transfers-region"') and "<html" not in partial
    first = client.get(PAGE, {"account": uin}).content.decode()
    assert first.count('data-testid="transfer-record"') == 25  # one page
    second = client.get(PAGE, {"account": uin, "page": 2}).content.decode()
    assert second.count('data-testid="transfer-record"') == 5


def test_f12_a_member_without_a_wallet_shows_zero(world, client):
    w = world
    client.force_login(w["admin"])
    row = client.get(PAGE).content.decode().split('data-testid="transfer-member"')[1]
    assert row.count("0.00 CNY") == 3 and "—" not in row.split("</tr>")[0]


def test_f12_f14_f16_member_page_links_to_transfer_credit_and_invoices_by_permission(world, client):
    w = world
    Membership.objects.filter(account=w["no3"].account).update(permissions=[1, 2, 5, 10])
    client.force_login(w["admin"])
    page = client.get(f"/members/{w['member'].account.uin}/").content.decode()
    assert 'data-testid="member-fund-transfer"' in page
    assert 'data-testid="member-credit-limit"' not in page
    page = client.get(f"/members/{w['no3'].account.uin}/").content.decode()
    assert 'data-testid="member-fund-transfer"' not in page
    assert 'data-testid="member-credit-limit"' in page
    assert 'data-testid="member-invoices"' in page
    page = client.get(f"/members/{w['pob'].account.uin}/").content.decode()
    assert "member-fund-transfer" not in page and "member-credit-limit" not in page
