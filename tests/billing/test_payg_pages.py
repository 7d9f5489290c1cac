"""Pay-as-you-go and the Message center as a user meets them (SPEC §5): activating freezes on
whoever pays (B7), terminating releases it, resource packs bought like subscriptions (B8), the
payer's view of what its arrears suspended (B9), expired subscriptions (B10), freezes in the
transaction details (B13), messages and the unread badge; A2 scoping and pinned queries."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import services
from billing.models import Message, Resource, ResourcePack, Wallet
from billing.models.choices import (
    BillingMode,
    MessageCategory,
    ResourceStatus,
    SuspendReason,
)
from billing.services import lifecycle, payg
from billing.services.settlement import settle_due
from tests.billing.helpers import D, buy, fund, region, spec
from tests.factories import UserFactory, join
from tests.test_permissions_matrix import EXPECTED, url_names


def settle_at(moment):
    """Settle what has ended by `moment`, with the clock moved there (cycles never settle early)."""
    import time_machine

    with time_machine.travel(moment, tick=False):
        return settle_due()


pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def key() -> str:
    return uuid.uuid4().hex


def toasts(response) -> str:
    trigger = json.loads(response["HX-Trigger"])
    return " | ".join(t["text"] for t in trigger.get("toasts", []))


def events(response) -> set[str]:
    return set(json.loads(response["HX-Trigger"]))


def post_activate(client, code="S5.MEDIUM4", idempotency_key=None):
    return client.post(
        "/products/activate/",
        {"spec": spec(code).pk, "region": region().pk, "idempotency_key": idempotency_key or key()},
        **HTMX,
    )


def activate(user, code="S5.MEDIUM4"):
    return payg.resource_activate(
        owner=user.account, acting_user=user, spec=spec(code), region=region()
    )


def row(html: str, instance_id: str) -> str:
    start = html.index(f'data-instance="{instance_id}"')
    return html[start : html.index("</tr>", start)]


def frozen(user) -> D:
    return Wallet.objects.get(account=user.account).frozen


def into_arrears(admin, pob_member):
    """The payer spends on credit (a settled pay-as-you-go resource of its member), then an
    operator lowers its credit limit: cash + credit < 0, arrears (B9)."""
    services.wallet_set_credit_limit(account=admin.account, limit=D("100"), acting_user=None)
    res = activate(pob_member)
    settle_at(timezone.now() + timedelta(hours=3))
    services.wallet_set_credit_limit(account=admin.account, limit=D("0"), acting_user=None)
    res.refresh_from_db()
    assert res.status == ResourceStatus.SUSPENDED
    return res


# ------------------------------------------------------------------ activate (B7)


def test_b7_activate_from_the_page_freezes_on_the_payer(client, catalog, org, admin, pob_member):
    fund(admin, "100", admin)
    client.force_login(pob_member)
    response = post_activate(client, "S5.MEDIUM4")
    assert response.status_code == 204
    res = Resource.objects.get(billing_mode=BillingMode.PAYG)
    fee = payg.estimated_cycle_fee(pob_member.account, spec("S5.MEDIUM4"))
    assert (res.owner, res.frozen_by, res.frozen_amount) == (
        pob_member.account,
        org.admin_account,
        fee,
    )
    assert frozen(admin) == fee and frozen(pob_member) == D("0.00")
    assert f"{res.instance_id} is running" in toasts(response)
    assert f"on {org.admin_account.name} ({org.admin_account.uin})" in toasts(response)
    assert {"closeModal", "resourcesChanged", "balanceChanged"} <= events(response)
    html = row(client.get("/products/?tab=payg").content.decode(), res.instance_id)
    assert "Running" in html and "0.28 CNY" in html and org.admin_account.uin in html


def test_b7_self_payer_activation_freezes_its_own_balance(client, catalog, member):
    fund(member, "10", member)
    client.force_login(member)
    assert post_activate(client, "CLB-STANDARD").status_code == 204
    res = Resource.objects.get(billing_mode=BillingMode.PAYG)
    assert res.frozen_by == member.account and frozen(member) == D("0.02")
    html = client.get("/billing/").content.decode()
    assert 'data-testid="balance-frozen">0.02 CNY' in html


def test_b7_activation_modal_shows_the_freeze_and_who_it_is_frozen_on(
    client, catalog, org, admin, pob_member
):
    client.force_login(pob_member)
    html = client.get(f"/products/activate/?spec={spec('S5.LARGE8').pk}", **HTMX).content.decode()
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', html)
    assert f'<option value="{spec("S5.LARGE8").pk}" selected>' in html
    assert 'data-testid="freeze-amount">0.55 CNY' in html
    assert f"Pay on behalf by {org.admin_account.name} ({org.admin_account.uin})" in html
    assert "S5 · 2 vCPU · 4 GiB — 0.28 CNY per instance-hour" in html  # CVM is sold both ways
    assert "Premium cloud disk" not in html  # CBS is subscription-only
    assert "Storage pack" not in html  # packs are bought, not activated


def test_b7_activation_the_payer_cannot_cover_is_refused_in_the_modal(
    client, catalog, admin, pob_member
):
    client.force_login(pob_member)
    response = post_activate(client, "S5.MEDIUM4")
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.content.decode()
    assert "0.28 CNY of available funds to freeze" in response.content.decode()
    assert not Resource.objects.exists()


def test_b7_a_double_submitted_activation_starts_one_resource(client, catalog, member):
    fund(member, "10", member)
    client.force_login(member)
    same = key()
    assert post_activate(client, idempotency_key=same).status_code == 204
    assert post_activate(client, idempotency_key=same).status_code == 204
    assert Resource.objects.count() == 1 and frozen(member) == D("0.28")


def test_activation_of_a_spec_not_sold_pay_as_you_go_is_refused_on_its_field(
    client, catalog, member
):
    fund(member, "1000", member)
    client.force_login(member)
    response = post_activate(client, "PREMIUM-100")
    assert response.status_code == 422
    assert 'data-testid="field-error-spec"' in response.content.decode()


def test_readonly_sub_user_cannot_activate_or_terminate(client, catalog, admin, readonly_sub):
    fund(admin, "10", admin)
    res = activate(admin)
    client.force_login(readonly_sub)
    html = client.get("/products/?tab=payg").content.decode()
    assert res.instance_id in html and 'data-testid="terminate"' not in html
    assert 'data-testid="activate"' not in html
    assert post_activate(client).status_code == 403
    assert client.post(f"/resources/{res.instance_id}/terminate/").status_code == 403
    assert Resource.objects.count() == 1


# ------------------------------------------------------------------ terminate


def test_b7_terminate_from_the_page_releases_the_freeze(client, catalog, member):
    fund(member, "10", member)
    res = activate(member)
    client.force_login(member)
    html = client.get("/products/?tab=payg").content.decode()
    assert f"/resources/{res.instance_id}/terminate/" in html
    confirm = client.get(f"/resources/{res.instance_id}/terminate/", **HTMX).content.decode()
    assert "cannot be started again" in confirm and res.instance_id in confirm
    response = client.post(f"/resources/{res.instance_id}/terminate/", **HTMX)
    assert response.status_code == 204
    assert "is terminated" in toasts(response) and "0.28 CNY was released" in toasts(response)
    res.refresh_from_db()
    assert res.status == ResourceStatus.TERMINATED and frozen(member) == D("0.00")
    html = row(client.get("/products/?tab=payg").content.decode(), res.instance_id)
    assert "Terminated" in html and "Released" in html and "terminate" not in html


def test_terminating_twice_is_explained(client, catalog, member):
    fund(member, "10", member)
    res = activate(member)
    client.force_login(member)
    assert client.post(f"/resources/{res.instance_id}/terminate/", **HTMX).status_code == 204
    again = client.post(f"/resources/{res.instance_id}/terminate/", **HTMX)
    assert again.status_code == 422 and "already terminated" in again.content.decode()


def test_a2_terminate_is_404_for_subscriptions_and_other_accounts(
    client, catalog, org, admin, member, pob_member
):
    fund(member, "1000", member)
    subscription = buy(member, "S5.MEDIUM4").resource
    client.force_login(member)
    assert client.get(f"/resources/{subscription.instance_id}/terminate/").status_code == 404
    fund(admin, "10", admin)
    res = activate(pob_member)  # frozen on the admin account, but owned by the member
    for user in (admin, member):
        client.force_login(user)
        assert client.post(f"/resources/{res.instance_id}/terminate/").status_code == 404
    res.refresh_from_db()
    assert res.status == ResourceStatus.ACTIVE


# ------------------------------------------------------------------ resource packs (B8)


def test_b8_packs_are_bought_like_subscriptions_and_listed(client, catalog, member):
    fund(member, "500", member)
    client.force_login(member)
    html = client.get("/products/").content.decode()
    pack_row = html[html.index('data-spec="COS-PACK-300"') :]
    pack_row = pack_row[: pack_row.index("</tr>")]
    assert "Resource pack" in pack_row and "85.00 CNY" in pack_row and "buy-spec" in pack_row
    modal = client.get(f"/products/buy/?spec={spec('COS-PACK-300').pk}", **HTMX).content.decode()
    assert "Buy a resource pack" in modal and "resource pack, 85.00 CNY per month" in modal
    response = client.post(
        f"/products/buy/?spec={spec('COS-PACK-300').pk}",
        {
            "spec": spec("COS-PACK-300").pk,
            "region": region().pk,
            "months": 2,
            "idempotency_key": key(),
        },
        **HTMX,
    )
    assert response.status_code == 204 and "is paid: 170.00 CNY" in toasts(response)
    pack = ResourcePack.objects.get()
    assert (pack.owner, pack.quantity, pack.remaining) == (member.account, D(600), D(600))
    html = client.get("/products/?tab=packs").content.decode()
    table = html[html.index('data-testid="packs-table"') :]
    assert "Storage pack" in table and "600" in table and "Usable" in table
    assert timezone.localtime(pack.valid_until).strftime("%Y-%m-%d") in table
    assert pack.order.order_no in table


def test_b8_a_pack_shows_what_settlement_drew_from_it(client, catalog, member):
    fund(member, "500", member)
    buy(member, "COS-PACK-300")
    activate(member, "COS-STANDARD")
    settle_at(timezone.now() + timedelta(days=3))
    pack = ResourcePack.objects.get()
    assert pack.remaining < pack.quantity
    client.force_login(member)
    html = client.get("/products/?tab=packs").content.decode()
    remaining = f"{pack.remaining.normalize():f}"
    assert f'data-testid="pack-remaining">{remaining}<' in html


# ------------------------------------------------------------------ B9 / B10: status and reason


def test_b9_payer_sees_its_members_suspended_resources(
    client, catalog, org, admin, pob_member, member
):
    res = into_arrears(admin, pob_member)
    fund(member, "1000", member)
    own = buy(member, "S5.SMALL2").resource  # a self-payer's resource: not the admin's to see
    client.force_login(admin)
    html = client.get("/pay-on-behalf/orders/?tab=resources").content.decode()
    assert 'data-testid="resources-tab"' in html
    line = row(html, res.instance_id)
    assert "member-pob" in line and pob_member.account.uin in line
    assert "Suspended" in line and "Paying account in arrears" in line and "Pay-as-you-go" in line
    assert own.instance_id not in html
    html = client.get("/pay-on-behalf/orders/?tab=resources&status=active").content.decode()
    assert res.instance_id not in html
    html = client.get("/pay-on-behalf/orders/?tab=resources&status=suspended").content.decode()
    assert res.instance_id in html
    html = client.get("/pay-on-behalf/orders/?tab=resources&q=member-pob").content.decode()
    assert res.instance_id in html


def test_b9_the_member_sees_its_own_resource_suspended_then_recovered(
    client, catalog, org, admin, pob_member
):
    res = into_arrears(admin, pob_member)
    client.force_login(pob_member)
    line = row(client.get("/products/?tab=payg").content.decode(), res.instance_id)
    assert "Suspended" in line and "Paying account in arrears" in line
    # The member pays for nobody: the tab is not offered and asking for it shows its orders.
    html = client.get("/pay-on-behalf/orders/?tab=resources").content.decode()
    assert 'data-testid="resources-tab"' not in html and 'data-testid="orders-table"' in html
    fund(admin, "50", admin)
    line = row(client.get("/products/?tab=payg").content.decode(), res.instance_id)
    assert "Running" in line and "Paying account in arrears" not in line


def test_b10_subscriptions_show_suspended_and_expired_with_the_reason(
    client, catalog, org, admin, pob_member
):
    fund(admin, "150", admin)
    first = buy(pob_member, "S5.MEDIUM4").resource
    Resource.objects.filter(pk=first.pk).update(
        status=ResourceStatus.SUSPENDED, suspended_reason=SuspendReason.OPERATOR
    )
    client.force_login(pob_member)
    line = row(client.get("/products/").content.decode(), first.instance_id)
    assert "Suspended" in line and "Suspended by an operator" in line
    Resource.objects.filter(pk=first.pk).update(status=ResourceStatus.ACTIVE, suspended_reason="")
    lifecycle.subscriptions_expire(now=first.period_end + timedelta(minutes=1))
    first.refresh_from_db()
    line = row(client.get("/products/").content.decode(), first.instance_id)
    day = timezone.localtime(first.period_end).strftime("%Y-%m-%d")
    assert "Expired" in line and f"Expired on {day}. Renew it to use it again." in line
    client.force_login(admin)
    line = row(
        client.get("/pay-on-behalf/orders/?tab=resources").content.decode(), first.instance_id
    )
    assert "Expired" in line and "Monthly subscription" in line


# ------------------------------------------------------------------ B13: freezes in the ledger


def test_b13_freezes_appear_in_transaction_details(client, catalog, org, admin, pob_member):
    fund(admin, "100", admin)
    res = activate(pob_member)
    payg.resource_terminate(resource=res, acting_user=pob_member)
    client.force_login(admin)
    html = client.get("/billing/?tab=transactions").content.decode()
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)
    freeze = next(r for r in rows if ">Freeze<" in r)
    release = next(r for r in rows if "Freeze released" in r)
    assert "+0.28 CNY" in freeze and "frozen after" in freeze and "for member member-pob" in freeze
    assert "−0.28 CNY" in release and "frozen after" in release
    topup = next(r for r in rows if "Top-up" in r)
    assert "+100.00 CNY" in topup and "frozen after" not in topup  # cash rows unchanged


# ------------------------------------------------------------------ Message center


@pytest.fixture
def inbox(catalog, org, admin, pob_member):
    """The admin's messages: two orders of its member it could not pay (B4), both unread."""
    orders = [buy(pob_member, "S5.MEDIUM4"), buy(pob_member, "S5.SMALL2")]
    Message.objects.filter(account=org.admin_account, order__isnull=True).update(
        read_at=timezone.now()
    )
    return [Message.objects.get(account=org.admin_account, order=o) for o in orders]


def unread_badge(html: str) -> str | None:
    match = re.search(r'data-testid="unread-count">([^<]*)<', html)
    return match[1] if match else None


def test_message_center_lists_the_accounts_messages(client, inbox, admin, pob_member):
    client.force_login(admin)
    html = client.get("/messages/").content.decode()
    assert all(m.title in html for m in inbox) and "Unread" in html
    assert f'href="/messages/{inbox[0].pk}/"' in html
    client.force_login(pob_member)
    html = client.get("/messages/").content.decode()
    assert inbox[0].title not in html  # the member got its own notice, not the payer's


def test_message_center_filters_by_category_and_read_state(client, inbox, org, admin):
    client.force_login(admin)
    html = client.get("/messages/?read=unread").content.decode()
    assert all(m.title in html for m in inbox) and "accepted your invitation" not in html
    html = client.get("/messages/?read=read").content.decode()
    assert inbox[0].title not in html and "accepted your invitation" in html
    html = client.get(f"/messages/?category={MessageCategory.ORGANIZATION}").content.decode()
    assert inbox[0].title not in html and "accepted your invitation" in html
    html = client.get("/messages/?q=S5").content.decode()
    assert "accepted your invitation" not in html


def test_opening_a_message_shows_its_body_and_links_to_its_order(client, inbox, admin):
    message = inbox[0]
    client.force_login(admin)
    html = client.get(f"/messages/{message.pk}/", **HTMX).content.decode()
    assert message.title in html and message.body in html
    order = message.order
    link = f"/pay-on-behalf/orders/?status=to_be_paid&amp;q={order.order_no}"
    assert link in html and 'data-testid="modal-mark-read"' in html
    assert order.order_no in client.get(link.replace("&amp;", "&")).content.decode()
    message.refresh_from_db()
    assert message.read_at is None  # opening is a GET: it changes nothing


def test_a_resource_message_links_to_the_resource(client, catalog, org, admin, pob_member):
    res = into_arrears(admin, pob_member)
    message = Message.objects.get(account=pob_member.account, resource=res)
    client.force_login(pob_member)
    html = client.get(f"/messages/{message.pk}/").content.decode()
    assert f"/products/?tab=payg&amp;q={res.instance_id}" in html


def test_mark_read_updates_the_row_and_the_badge(client, inbox, admin):
    client.force_login(admin)
    assert unread_badge(client.get("/messages/").content.decode()) == "2"
    response = client.post(f"/messages/{inbox[0].pk}/", **HTMX)
    assert response.status_code == 204 and "messagesChanged" in events(response)
    inbox[0].refresh_from_db()
    assert inbox[0].read_at is not None
    badge = client.get("/messages/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="message-badge")
    html = badge.content.decode()
    assert 'id="message-badge"' in html and unread_badge(html) == "1" and "<table" not in html
    assert client.post(f"/messages/{inbox[0].pk}/", **HTMX).status_code == 204  # idempotent


def test_mark_all_read_clears_the_badge(client, inbox, admin):
    client.force_login(admin)
    response = client.post("/messages/read-all/", **HTMX)
    assert response.status_code == 204 and "messagesChanged" in events(response)
    assert "2 messages marked as read." in toasts(response)
    assert not Message.objects.filter(account=admin.account, read_at__isnull=True).exists()
    html = client.get("/products/").content.decode()
    assert 'id="message-badge"' in html and unread_badge(html) is None


def test_mark_read_works_without_javascript(client, inbox, admin):
    client.force_login(admin)
    response = client.post(f"/messages/{inbox[0].pk}/")
    assert response.status_code == 302 and response["Location"] == "/messages/"
    response = client.post("/messages/read-all/")
    assert response.status_code == 302
    assert not Message.objects.filter(account=admin.account, read_at__isnull=True).exists()


def test_the_unread_badge_is_on_every_console_page(client, inbox, admin):
    client.force_login(admin)
    for url in ("/", "/members/", "/invitations/", "/billing/", "/products/", "/audit/"):
        assert unread_badge(client.get(url).content.decode()) == "2", url


def test_a2_another_accounts_message_is_404(client, inbox, admin, pob_member, other_org):
    _, admin2, _ = other_org
    for user in (pob_member, admin2):
        client.force_login(user)
        assert client.get(f"/messages/{inbox[0].pk}/").status_code == 404
        assert client.post(f"/messages/{inbox[0].pk}/").status_code == 404
        client.post("/messages/read-all/")
    inbox[0].refresh_from_db()
    assert inbox[0].read_at is None


def test_sidebar_places_message_center_after_products(client, catalog, admin, outsider):
    for user in (admin, outsider):
        client.force_login(user)
        html = client.get("/messages/").content.decode()
        nav = html[html.index('aria-label="Console navigation"') : html.index("</nav>")]
        labels = [
            re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"</i>(.*?)</a>", nav)
        ]
        assert labels[labels.index("Products") + 1] == "Message center"
        assert 'aria-current="page"><i class="bi bi-bell' in nav  # lit up on its page


# ------------------------------------------------------------------ htmx, modals, matrix


@pytest.mark.parametrize(
    "url",
    [
        "/products/?tab=payg",
        "/products/?tab=packs",
        "/pay-on-behalf/orders/?tab=resources",
        "/messages/",
    ],
)
def test_new_lists_answer_htmx_with_the_partial_only(client, catalog, admin, url):
    client.force_login(admin)
    full = client.get(url)
    partial = client.get(url, **HTMX)
    assert full.status_code == partial.status_code == 200
    assert b"<html" in full.content and b"<html" not in partial.content
    assert b"<table" in partial.content and b"sidebar" not in partial.content


def test_new_modal_openers_swap_inside_the_modal(client, inbox, admin, pob_member):
    fund(admin, "100", admin)
    activate(pob_member)
    for user, url in ((pob_member, "/products/?tab=payg"), (admin, "/messages/")):
        client.force_login(user)
        html = client.get(url).content.decode()
        openers = re.findall(r'<a [^>]*hx-target="#modal-content"[^>]*>', html)
        assert openers
        for tag in openers:
            assert 'hx-swap="innerHTML"' in tag, tag
        for tag in re.findall(r"<a [^>]*hx-get=\"/(?:resources|products/|messages/\d)[^>]*>", html):
            assert 'hx-target="#modal-content"' in tag, tag


def test_every_new_url_is_in_the_permission_matrix():
    new = {
        "billing:activate",
        "billing:resource_terminate",
        "billing:messages",
        "billing:message",
        "billing:messages_read_all",
    }
    assert new <= set(url_names()) and new <= set(EXPECTED)
    assert set(url_names()) == set(EXPECTED)


# ------------------------------------------------------------------ bounded queries


def _count_queries(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **extra).status_code == 200
    return ctx.captured_queries


def _grow(org, admin, pob_member, n):
    """n more rows in every new list: members' pay-as-you-go resources (settled, suspended,
    recovered), packs, and messages."""
    services.wallet_set_credit_limit(account=admin.account, limit=D("1000"), acting_user=None)
    for _ in range(n):
        member = join(org, admin, payer=org.admin_account)
        activate(member)
        activate(pob_member, "CLB-STANDARD")
        buy(pob_member, "CDN-PACK-1TB")
    settle_at(timezone.now() + timedelta(hours=2))
    services.wallet_set_credit_limit(account=admin.account, limit=D("0"), acting_user=None)
    fund(admin, "2000", admin)


# Pinned maxima (full pages). Products prices the whole catalog with one offer lookup
# (pricing.rates_for), like the subscriptions tab in test_pages.py.
PINNED = {
    ("pob_member", "/products/?tab=payg"): 15,
    ("pob_member", "/products/?tab=packs"): 15,
    ("admin", "/pay-on-behalf/orders/?tab=resources"): 9,
    ("admin", "/messages/"): 8,
    ("pob_member", "/messages/"): 8,
    ("pob_member", "/messages/?read=unread&category=resource"): 8,
}


@pytest.mark.parametrize(("role", "url"), list(PINNED))
def test_new_list_query_counts_are_pinned_and_constant(
    client, catalog, org, admin, pob_member, request, role, url, django_assert_max_num_queries
):
    user = request.getfixturevalue(role)
    _grow(org, admin, pob_member, 2)
    client.force_login(user)
    client.get(url)  # warm caches (content types, permissions)
    small = len(_count_queries(client, url))
    _grow(org, admin, pob_member, 10)
    large = len(_count_queries(client, url))
    assert small == large
    with django_assert_max_num_queries(PINNED[(role, url)]):
        client.get(url)


def _unread_counts(queries) -> int:
    return sum(
        q["sql"].startswith("SELECT COUNT") and '"billing_message"."read_at" IS NULL' in q["sql"]
        for q in queries
    )


def test_the_unread_badge_costs_one_query_per_page(client, inbox, admin):
    """django-tables2 renders every table in a fresh RequestContext: the count is cached on the
    request, so a page with tables still asks once; htmx partials do not ask at all."""
    client.force_login(admin)
    client.get("/messages/")  # warm caches
    for url in ("/messages/", "/products/", "/pay-on-behalf/orders/", "/members/"):
        assert _unread_counts(_count_queries(client, url)) == 1, url
    assert _unread_counts(_count_queries(client, "/pay-on-behalf/orders/", **HTMX)) == 0
    # The badge refreshing itself: session, user, membership, permissions and the count.
    badge = _count_queries(
        client, "/messages/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="message-badge"
    )
    assert _unread_counts(badge) == 1 and len(badge) <= 6


def test_a_user_without_an_account_gets_no_badge(client, db):
    staff = UserFactory(account=None, is_staff=True, is_owner=False, groups=[])
    client.force_login(staff)
    response = client.get("/", follow=True)
    assert b'id="message-badge"' not in response.content
