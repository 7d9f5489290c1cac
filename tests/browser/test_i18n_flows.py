"""Issue 17: one main flow per role in Simplified Chinese, as a person clicks it, and the layout
at 1280 px in Chinese.

- The admin switches the header to 简体中文, invites a member and pays a pay-on-behalf order.
- A member whose saved language is Chinese signs in from a Chinese browser and reads its bills.

What the page must say is the catalog's Chinese (`zh()`: it fails when a message has no
Chinese translation) and TCO's own terms of docs/glossary-zh.md. Screenshots: /tmp/browser-shots/
(and /work/zh/shots/ when that folder exists, for the person who reviews the Chinese pages)."""

import re
import shutil
from decimal import Decimal
from pathlib import Path

from django.utils import translation
from playwright.sync_api import expect

from billing.models import Order
from billing.models.choices import OrderStatus
from organizations.models import Invitation, User
from tests.billing.helpers import buy, cash, fund

CJK = re.compile(r"[\u4e00-\u9fff]")
REVIEW_DIR = Path("/work/zh/shots")
WIDTH = 1280


def zh(message: str, **params) -> str:
    """The catalog's Chinese for `message`; a message left in English fails the test."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    assert CJK.search(text), f"no Chinese translation of {message!r} in the catalog"
    return text % params if params else text


def review_shot(shot, page, step):
    path = shot(page, step)
    if REVIEW_DIR.is_dir():
        shutil.copy(path, REVIEW_DIR / path.name)


def sidebar(page):
    return page.get_by_role("navigation", name=zh("Console navigation"))


def open_page(page, label):
    sidebar(page).get_by_role("link", name=label).click()  # its name starts with the icon
    expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible()


def expect_chinese(page):
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def open_modal(page, opener):
    opener.click()
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    expect(page.locator("#modal-content [data-testid=modal-form]")).to_have_count(1)
    return modal


def submit_modal(page, modal, button, *, status):
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.request.resource_type in ("xhr", "fetch")
    ) as response:
        modal.get_by_role("button", name=button, exact=True).click()
    assert response.value.status == status, f"{response.value.url}: {response.value.status}"
    if status == 204:
        expect(modal).to_be_hidden()


def overflows(page) -> list[str]:
    """What sticks out sideways at this width: the page itself, the header, the sidebar, the
    main column, or a visible button or tab reaching past the window's right edge."""
    return page.evaluate(
        """() => {
        const out = [];
        const root = document.documentElement;
        if (root.scrollWidth > root.clientWidth) out.push(`page ${root.scrollWidth}px`);
        for (const sel of ['.topbar', '.sidebar', 'main.content']) {
          const el = document.querySelector(sel);
          if (el && el.scrollWidth > el.clientWidth + 1)
            out.push(`${sel} ${el.scrollWidth}px > ${el.clientWidth}px`);
        }
        for (const el of document.querySelectorAll('.btn, .nav-link, .nav-tabs a')) {
          const r = el.getBoundingClientRect();
          if (r.width && el.offsetParent && r.right > root.clientWidth + 1)
            out.push(`${el.tagName} "${el.textContent.trim()}" ends at ${r.right}px`);
        }
        return out;
      }"""
    )


def sign_in(page, live_server, username, password):
    """The sign-in page in the browser's language (Accept-Language), then the Overview."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[novalidate] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


# ---------------------------------------------------------------- the admin


def test_issue17_admin_in_chinese_invites_a_member_and_pays_an_order(
    page, live_server, catalog, org, admin, pob_member, outsider, password, shot
):
    assert zh("Member account management") == "成员账号管理"  # the glossary's terms
    assert zh("Pay on behalf") == "代付费"
    buy(pob_member, "S5.MEDIUM4")  # the payer has nothing yet: the order waits for it
    order = Order.objects.get(status=OrderStatus.TO_BE_PAID)
    fund(admin, "500.00", admin)

    # --- English at first (the browser asks for English); the header's button switches.
    page.set_viewport_size({"width": WIDTH, "height": 900})
    sign_in(page, live_server, admin.username, password)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("language-zh-hans").click()
    expect_chinese(page)
    expect(page.get_by_role("heading", name=zh("Overview"), exact=True)).to_be_visible()
    expect(page.get_by_test_id("language-en")).to_have_text("English")
    admin.refresh_from_db()
    assert admin.language == "zh-hans"
    review_shot(shot, page, "01-admin-overview-zh")
    assert overflows(page) == []

    # --- Invite the outsider's account (成员账号管理 → 邀请成员).
    open_page(page, zh("Member account management"))
    expect_chinese(page)
    review_shot(shot, page, "02-members-zh")
    assert overflows(page) == []
    modal = open_modal(page, page.get_by_test_id("invite-member"))
    expect(modal.get_by_role("heading", name=zh("Invite member"))).to_be_visible()
    modal.locator("input[name=uin]").fill(outsider.account.uin)
    modal.locator("input[name=name]").fill("新成员")
    expect(modal.get_by_label(zh("Self-pay"))).to_be_checked()
    review_shot(shot, page, "03-invite-form-zh")
    submit_modal(page, modal, zh("Send invitation"), status=204)
    toast = page.locator("#toasts .toast").filter(has_text=outsider.account.uin)
    expect(toast.first).to_be_visible()
    expect(toast.first).to_contain_text(CJK)
    review_shot(shot, page, "04-invitation-sent-zh")
    assert Invitation.objects.filter(invitee=outsider.account, status="pending").exists()

    # --- Pay the member's order (代付费订单管理 → 待支付 → 支付).
    open_page(page, zh("Pay-on-behalf order management"))
    tab = page.get_by_test_id("status-tabs").get_by_role(
        "link", name=re.compile(rf"^{re.escape(zh('To be paid'))}")
    )
    tab.click()
    expect(tab).to_have_class(re.compile(r"\bactive\b"))
    row = page.get_by_test_id("orders-table").locator(f"tr[data-order='{order.order_no}']")
    expect(row.get_by_test_id("status")).to_have_text(zh("To be paid"))
    expect(row).to_contain_text(zh("%(amount)s CNY", amount="150.00"))  # 150.00 元
    expect(row).to_contain_text("云服务器")  # the catalog's Chinese names (billing/catalog.py)
    expect(row).to_contain_text("标准型 S5 · 2 核 · 4 GiB")
    expect(row).not_to_contain_text("Cloud Virtual Machine")
    review_shot(shot, page, "05-orders-to-be-paid-zh")
    assert overflows(page) == []
    modal = open_modal(page, row.get_by_test_id("pay-order"))
    expect(modal).to_contain_text(order.order_no)
    review_shot(shot, page, "06-pay-order-zh")
    submit_modal(page, modal, zh("Pay now"), status=204)
    toast = page.locator("#toasts .toast").filter(has_text=order.order_no)
    expect(toast.first).to_contain_text(zh("%(amount)s CNY", amount="150.00"))
    review_shot(shot, page, "07-order-paid-zh")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and cash(admin) == Decimal("350.00")

    # --- Billing Center in Chinese: the same digits as in English, with 元.
    open_page(page, zh("Billing Center"))
    expect(page.get_by_test_id("balance-cash")).to_have_text(zh("%(amount)s CNY", amount="350.00"))
    review_shot(shot, page, "08-billing-center-zh")
    assert overflows(page) == []


# ---------------------------------------------------------------- a member


def test_issue17_member_signs_in_chinese_and_reads_its_bills(
    page, live_server, catalog, org, admin, pob_member, password, shot
):
    fund(admin, "2000.00", admin)
    buy(pob_member, "S5.SMALL2")
    buy(pob_member, "S5.MEDIUM4")
    User.objects.filter(pk=pob_member.pk).update(language="zh-hans")  # chosen last time

    # A Chinese browser: the sign-in page is Chinese before anyone signs in.
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    expect_chinese(page)
    expect(page.get_by_role("button", name=zh("Sign in"), exact=True)).to_be_visible()
    review_shot(shot, page, "01-sign-in-zh")
    sign_in(page, live_server, pob_member.username, password)
    expect_chinese(page)
    expect(page.get_by_role("heading", name=zh("Overview"), exact=True)).to_be_visible()

    # 代付费账单管理 → 明细: its own two lines, amounts in 元.
    open_page(page, zh("Pay-on-behalf bill management"))
    assert "账单" in zh("Pay-on-behalf bill management")
    review_shot(shot, page, "02-member-bills-zh")
    assert overflows(page) == []
    page.get_by_role("link", name=zh("Details"), exact=True).click()
    table = page.get_by_test_id("bill-lines-table")
    expect(table.locator("tr[data-bill-line]")).to_have_count(2)
    expect(table).to_contain_text("元")
    expect(table).not_to_contain_text("CNY")
    review_shot(shot, page, "03-member-bill-details-zh")
    assert overflows(page) == []


# ---------------------------------------------------------------- layout in Chinese


def test_issue17_every_sidebar_page_fits_1280_px_in_chinese(
    page, live_server, catalog, org, admin, pob_member, password, shot
):
    """Chinese labels are shorter in characters but wider per character: at 1280 px no page
    of the admin's sidebar scrolls sideways and no button or tab leaves the window."""
    fund(admin, "1000.00", admin)
    buy(pob_member, "S5.MEDIUM4")
    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    page.set_viewport_size({"width": WIDTH, "height": 900})
    sign_in(page, live_server, admin.username, password)
    links = sidebar(page).get_by_role("link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 12
    problems, chinese_tables = {}, {}
    for n, href in enumerate(hrefs, start=1):
        page.goto(f"{live_server.url}{href}")
        expect_chinese(page)
        review_shot(shot, page, f"{n:02d}-{href.strip('/').replace('/', '-') or 'overview'}")
        if found := overflows(page):
            problems[href] = found
        chinese_tables[href] = table_excess(page)
    assert problems == {}
    # Wide tables scroll inside their card (the members table at 1280 px, cost analysis's
    # period matrix) in both languages: Chinese may never make one wider than English does.
    User.objects.filter(pk=admin.pk).update(language="en")
    for href in hrefs:
        page.goto(f"{live_server.url}{href}")
        english = table_excess(page)
        assert len(english) == len(chinese_tables[href])
        for zh_px, en_px in zip(chinese_tables[href], english, strict=True):
            assert zh_px <= max(en_px, 0), f"{href}: a table {zh_px}px too wide in Chinese"


def table_excess(page) -> list[int]:
    """How far each visible table's content is wider than its scrolling card, in pixels."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.table-responsive'))
          .filter(e => e.offsetParent).map(e => e.scrollWidth - e.clientWidth)"""
    )
