"""Issue 17 (A4, B13): texts stored when they are written — audit records, ledger memos,
message center notices — are read in the reader's language, whoever's request wrote them.

The row keeps the text in English (the Django admin, search, the API and rows written before
read it) and the msgid with its parameters (`tco_console.msg.Msg`); pages and CSV exports
render it in the language they are read in. Rows without a msgid show their stored text."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from billing.finance import transfers
from billing.models import Journal, Message
from billing.models.choices import JournalKind
from billing.services import payg, settlement
from billing.services.messages import notify
from organizations import services
from organizations.audit import audit_record
from organizations.models import AuditRecord, Membership, User
from tco_console.msg import Msg, shown
from tests.billing.helpers import buy, fund, region, spec
from tests.factories import UserFactory, join, sub_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_after():
    yield
    translation.deactivate()


def _reads(user, language):
    User.objects.filter(pk=user.pk).update(language=language)


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _csv(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# ------------------------------------------------------------------ audit records (A4)


def test_a4_an_english_members_action_reads_in_chinese_for_a_chinese_admin(client, org, admin):
    with translation.override("en"):  # the member's requests are in English
        user = join(org, admin, name="joined-en")
    uin = user.account.uin
    record = AuditRecord.objects.get(action="invitation.accept", target_account=user.account)
    assert record.message == f"joined-en ({uin}) accepted the invitation and joined"
    _reads(admin, "zh-hans")
    page = _page(client, admin, "/audit/")
    assert f"joined-en（{uin}）接受邀请并加入集团组织" in page
    assert "accepted the invitation and joined" not in page


def test_a4_a_chinese_admins_action_reads_in_english_with_the_field_in_english(
    client, org, admin, member
):
    """The reverse, and a translatable parameter: the fields changed are named by their
    labels, each in the reader's language."""
    m = Membership.objects.get(account=member.account)
    with translation.override("zh-hans"):  # the admin's request is in Chinese
        services.member_update(
            membership=m,
            acting_user=admin,
            name="renamed",
            remark=m.remark,
            permissions=m.permissions,
            payer=None,
            allow_quit=m.allow_quit,
        )
    uin = member.account.uin
    english = f"Updated member renamed ({uin}): member name"
    assert AuditRecord.objects.get(action="member.update").message == english
    page = _page(client, member, "/audit/")  # the member reads it (its own account's record)
    assert english in page and "更新成员" not in page
    _reads(admin, "zh-hans")
    page = _page(client, admin, "/audit/")
    assert f"更新成员 renamed（{uin}）：成员名称" in page and "member name" not in page


def test_a4_overview_and_member_page_read_records_in_the_readers_language(client, org, admin):
    with translation.override("en"):
        user = join(org, admin, name="joined-en")
    _reads(admin, "zh-hans")
    expected = f"joined-en（{user.account.uin}）接受邀请并加入集团组织"
    assert expected in _page(client, admin, "/")
    assert expected in _page(client, admin, f"/members/{user.account.uin}/")


def test_a4_the_worker_reads_as_system_in_the_readers_language(client, org, admin):
    """What the worker and the ticks do is done by "system": 系统 to a reader in Chinese; a
    user who happens to be called "system" keeps its name."""
    audit_record(actor=None, action="tick", message="A tick", organization=org)
    _reads(admin, "zh-hans")
    assert re.search(r"<td[^>]*>系统</td>", _page(client, admin, "/audit/"))
    assert " · 系统 · A tick" in _page(client, admin, "/")
    _reads(admin, "en")
    assert re.search(r"<td[^>]*>system</td>", _page(client, admin, "/audit/"))


def test_a4_a_record_without_a_msgid_shows_its_stored_text(client, org, admin):
    """Rows written before issue 17 (and any text given as text) keep reading as written."""
    audit_record(
        actor=admin,
        action="legacy",
        message="An old line, written in English",
        organization=org,
        target_account=admin.account,
    )
    AuditRecord.objects.create(
        actor_name="old", action="legacy", message="一条旧记录", organization=org
    )
    assert AuditRecord.objects.filter(message_i18n__isnull=True).count() == 2
    _reads(admin, "zh-hans")
    page = _page(client, admin, "/audit/")
    assert "An old line, written in English" in page and "一条旧记录" in page


def test_a4_search_still_finds_the_english_text(client, org, admin):
    with translation.override("zh-hans"):
        services.department_create(
            organization=org,
            parent=org.departments.get(parent=None),
            name="Sales",
            acting_user=admin,
        )
    client.force_login(admin)
    page = client.get("/audit/", {"q": "Added department"}).content.decode()
    assert "Added department Sales under" in page


def test_a4_the_audit_page_reads_the_same_number_of_queries_at_any_size(client, org, admin):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/audit/").status_code == 200
        return len(ctx.captured_queries)

    _reads(admin, "zh-hans")
    client.force_login(admin)
    join(org, admin, name="first")
    client.get("/audit/")  # warm caches
    small = count()
    for i in range(15):
        join(org, admin, name=f"more-{i}")
    assert count() == small <= 8  # as before issue 17: the msgid is a column of the row


def test_o5_an_invitations_reason_reads_in_the_readers_language(client, org, admin):
    """The reason the console gave when an invitation became invalid (the invitee, in English,
    created its own organization) reads in Chinese for the admin that sent it."""
    invitee = UserFactory(account__entity=org.admin_account.entity)
    services.invitation_send(
        organization=org,
        acting_user=admin,
        uin=invitee.account.uin,
        name="invitee",
        department=None,
        permissions=[1, 2],
        payer=None,
        allow_quit=False,
    )
    with translation.override("en"):
        services.organization_create(account=invitee.account, acting_user=invitee)
    _reads(admin, "zh-hans")
    page = _page(client, admin, "/invitations/?tab=sent")
    assert "该账号已创建自己的集团组织。" in page
    assert "The account created its own organization." not in page
    _reads(invitee, "en")
    page = _page(Client(), invitee, "/invitations/?tab=received")  # its own browser
    assert "The account created its own organization." in page


# ------------------------------------------------------------------ ledger memos (B13, F12)


@pytest.fixture
def transferred(org, admin):
    """A Chinese admin transfers funds to a self-pay member that grants 3 (F12)."""
    user = join(org, admin, name="self-pay", permissions=[1, 2, 3])
    fund(admin, "100", admin)
    with translation.override("zh-hans"):
        transfers.fund_transfer_in(
            membership=Membership.objects.get(account=user.account),
            amount=Decimal("30.00"),
            acting_user=admin,
        )
    return user


def test_b13_a_transfer_memo_reads_in_each_readers_language(client, org, admin, transferred):
    journal = Journal.objects.get(kind=JournalKind.TRANSFER)
    src, dst = (
        f"{org.admin_account.name} ({admin.account.uin})",
        f"self-pay ({transferred.account.uin})",
    )
    assert journal.memo == f"Fund transfer from {src} to {dst}"  # stored in English
    page = _page(client, transferred, "/billing/?tab=transactions")  # the member reads English
    assert f"Fund transfer from {src} to {dst}" in page and "资金划拨：从" not in page
    _reads(admin, "zh-hans")
    page = _page(client, admin, "/billing/?tab=transactions")
    assert f"资金划拨：从 {org.admin_account.name}（{admin.account.uin}）划拨至" in page
    assert "Fund transfer from" not in page


def test_b13_the_transactions_csv_writes_memos_in_the_language_asked_for(client, org, admin):
    with translation.override("zh-hans"):  # written by a Chinese request
        fund(admin, "10", admin)
    client.force_login(admin)
    url = "/billing/transactions/export.csv"
    english = _csv(client, url, lang="en")
    chinese = _csv(client, url, lang="zh-hans")
    memo_en, memo_zh = english[0].index("memo"), chinese[0].index("备注")
    assert [row[memo_en] for row in english[1:]] == ["Top-up"]
    assert [row[memo_zh] for row in chinese[1:]] == ["充值"]


def test_b13_a_memo_without_a_msgid_shows_its_stored_text(client, org, admin):
    fund(admin, "10", admin)
    Journal.objects.update(memo="written before", memo_i18n=None)
    client.force_login(admin)
    rows = _csv(client, "/billing/transactions/export.csv", lang="zh-hans")
    assert rows[1][rows[0].index("备注")] == "written before"


def test_b13_a_settlement_memo_has_no_words_and_stores_no_msgid(catalog, member):
    """A settlement's memo is its instance and cycle: nothing to translate, so settle_cycle
    leaves memo_i18n NULL as the batch path's COPY does (test_settlement_batch compares both);
    the freeze posted at activation keeps its msgid."""
    with time_machine.travel(dt.datetime(2021, 9, 1, tzinfo=dt.UTC), tick=False):
        fund(member, "1000", member)
        res = payg.resource_activate(
            owner=member.account, acting_user=member, spec=spec("S5.MEDIUM4"), region=region()
        )
    freeze = Journal.objects.get(kind=JournalKind.FREEZE)
    assert freeze.memo_i18n == Msg("Freeze for %(id)s", id=res.instance_id)
    # the spec's name in the audit record is the catalog's, in both languages (Names)
    activated = AuditRecord.objects.get(action="resource.activate")
    s5 = spec("S5.MEDIUM4")
    assert s5.name_zh and s5.name in activated.message
    with translation.override("zh-hans"):
        assert s5.name_zh in activated.shown_message and s5.name not in activated.shown_message
    start = dt.datetime(2021, 9, 1, tzinfo=dt.UTC)
    s = settlement.settle_cycle(
        resource_id=res.pk, cycle_start=start, cycle_end=start + dt.timedelta(hours=1)
    )
    assert s.journal.memo.startswith(res.instance_id) and s.journal.memo_i18n is None
    assert Journal.objects.get(pk=s.journal_id).shown_memo == s.journal.memo


# ------------------------------------------------------------------ message center notices


CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.fixture
def notice(catalog, admin, pob_member):
    """The payer's notice about its member's order it could not pay (B4), written while the
    member's request was in English; the payer's owner never chose a language."""
    assert User.objects.get(pk=admin.pk).language == ""
    with translation.override("en"):
        order = buy(pob_member, "S5.MEDIUM4")
    return Message.objects.get(account=admin.account, order=order)


def _zh(msgid, **params):
    with translation.override("zh-hans"):
        return translation.gettext(msgid) % params


def test_a_notice_reads_in_chinese_for_a_reader_in_chinese(client, admin, pob_member, notice):
    """Issue 17: the owner follows the browser; a browser in Chinese reads the message
    center's list and the opened notice in Chinese, title and content."""
    order = notice.order
    title = _zh(
        "Order %(no)s of member %(uin)s is to be paid",
        no=order.order_no,
        uin=pob_member.account.uin,
    )
    body = _zh(
        "Your available funds did not cover %(amount)s CNY. "
        "Top up, then pay it under Pay-on-behalf order management.",
        amount=str(order.payable),
    )
    client.force_login(admin)
    page = client.get("/messages/", **CHINESE).content.decode()
    assert title in page and notice.title not in page
    detail = client.get(f"/messages/{notice.pk}/", **CHINESE).content.decode()
    assert title in detail and body in detail and notice.body not in detail
    assert "待支付" in title  # Chinese indeed, not the msgid passed through


def test_the_same_notice_reads_in_english_for_a_reader_in_english(client, admin, notice):
    client.force_login(admin)
    page = client.get("/messages/", **ENGLISH).content.decode()
    assert f"Order {notice.order.order_no} of member" in page and notice.title in page
    detail = client.get(f"/messages/{notice.pk}/", **ENGLISH).content.decode()
    assert notice.title in detail and notice.body in detail
    assert "Top up, then pay it under Pay-on-behalf order management." in notice.body
    _reads(admin, "zh-hans")  # a choice in the header wins over the browser
    assert notice.title not in client.get("/messages/", **ENGLISH).content.decode()


def test_a_sub_user_reads_the_owners_notice_in_its_own_language(admin, notice):
    """The owner chose Chinese; a read-only sub-user of the same account who chose English
    reads the same notice in English, and the owner in Chinese."""
    _reads(admin, "zh-hans")
    reader = sub_user(admin.account, services.READ_ONLY_GROUP)
    _reads(reader, "en")
    assert notice.title in _page(Client(), reader, "/messages/")
    owner_page = _page(Client(), admin, "/messages/")
    assert notice.title not in owner_page and notice.order.order_no in owner_page


def test_a_notice_without_a_msgid_shows_its_stored_text(client, admin):
    """Notices written before (in whichever language) and text a user typed read as written."""
    old = Message.objects.create(account=admin.account, title="一条旧通知", body="Old content")
    notify(admin.account, "Typed by an operator", "as typed")
    assert Message.objects.filter(title_i18n__isnull=True).count() == 2
    client.force_login(admin)
    page = client.get("/messages/", **CHINESE).content.decode()
    assert "一条旧通知" in page and "Typed by an operator" in page
    detail = client.get(f"/messages/{old.pk}/", **ENGLISH).content.decode()
    assert "一条旧通知" in detail and "Old content" in detail


def test_a_notice_of_several_lines_reads_each_line_in_the_readers_language(client, admin):
    notify(
        admin.account,
        Msg(gettext_noop("Order %(no)s is to be paid"), no="20260101000001"),
        [
            Msg(gettext_noop("Renew it to use it again.")),
            "typed",
            Msg(gettext_noop("Nothing changed.")),
        ],
    )
    message = Message.objects.get()
    assert message.body == "Renew it to use it again.\ntyped\nNothing changed."
    client.force_login(admin)
    detail = client.get(f"/messages/{message.pk}/", **CHINESE).content.decode()
    lines = [_zh("Renew it to use it again."), "typed", _zh("Nothing changed.")]
    assert (
        "\n".join(lines) in detail
        and _zh("Order %(no)s is to be paid", no="20260101000001") in detail
    )


def test_the_message_center_reads_the_same_number_of_queries_at_any_size(client, admin):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/messages/", **CHINESE).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(admin)
    notify(admin.account, Msg(gettext_noop("Order %(no)s is to be paid"), no="1"))
    client.get("/messages/", **CHINESE)  # warm caches
    small = count()
    for i in range(12):
        notify(admin.account, Msg(gettext_noop("Order %(no)s is to be paid"), no=str(i)))
    assert count() == small  # the msgid is a column of the row


# ------------------------------------------------------------------ the value type


def test_msg_renders_nested_labels_lists_and_plurals_in_the_active_language():
    msg = Msg(
        "Updated member %(name)s (%(uin)s): %(fields)s",
        name="Ann",
        uin="100",
        fields=[gettext_lazy("member name"), gettext_lazy("remark")],
    )
    assert Msg.from_json(msg.to_json()) == msg
    assert msg.english() == "Updated member Ann (100): member name, remark"
    with translation.override("zh-hans"):
        assert str(Msg.from_json(msg.to_json())) == "更新成员 Ann（100）：成员名称、备注"
    column = Msg.of(pgettext_lazy("CSV column", "memo"))
    assert column.context == "CSV column"
    with translation.override("zh-hans"):
        assert column.render() == "备注"
    plural = Msg("%(n)s record", plural="%(n)s records", count="n", n=2)
    assert Msg.from_json(plural.to_json()).english() == "2 records"


def test_msg_falls_back_to_the_stored_text_when_its_parameters_no_longer_fit():
    assert shown("as stored", Msg("Created policy %(name)s", other="x")) == "as stored"
    assert shown("as stored", None) == "as stored"
