"""F4 as a person uses it: the admin asks for the consolidated bills of itself, a
pay-on-behalf member and a self-pay member that grants 4, one file per account; the page
shows the export waiting, a worker builds it, the page's polling shows it ready, and the ZIP
downloads with one CSV per account."""

import zipfile
from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.factories import join


def test_f4_admin_exports_consolidated_bills_and_downloads_the_zip(
    page, live_server, catalog, org, admin, password, shot
):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3), tick=False):
        pob = join(org, admin, name="pob-member", payer=org.admin_account)
        selfpay = join(org, admin, name="self-pay-member", permissions=[1, 2, 4])
        fund(admin, "1000.00", admin)
        fund(selfpay, "1000.00", selfpay)
    buy(pob, "S5.SMALL2")
    buy(selfpay, "S5.MEDIUM4")  # today: after its first whole day as a member (F2)

    login(page, live_server, admin.username, password)
    page.goto(f"{live_server.url}/billing/")
    page.get_by_role("link", name="Consolidated bills").click()
    page.get_by_test_id("accounts").select_option(
        [admin.account.uin, pob.account.uin, selfpay.account.uin]
    )
    page.get_by_label("One CSV per account").check()
    page.get_by_test_id("export-submit").click()
    row = page.get_by_test_id("export-row").first
    expect(row).to_have_attribute("data-status", "queued")
    shot(page, "queued")

    call_command("db_worker", batch=True, reload=False, startup_delay=False)  # the worker
    download_link = page.get_by_test_id("export-download")
    expect(download_link).to_be_visible(timeout=10_000)  # the page polls every 2 s
    shot(page, "ready")
    with page.expect_download() as info:
        download_link.click()
    with zipfile.ZipFile(info.value.path()) as archive:
        names = sorted(archive.namelist())
        files = {n: archive.read(n).decode().splitlines() for n in names}
    month = f"{timezone.localdate():%Y%m}"
    assert names == sorted(
        f"bills-{u}-{month}-{month}.csv"
        for u in (admin.account.uin, pob.account.uin, selfpay.account.uin)
    )
    assert len(files[f"bills-{pob.account.uin}-{month}-{month}.csv"]) == 2  # header + 1 line
    assert len(files[f"bills-{selfpay.account.uin}-{month}-{month}.csv"]) == 2
