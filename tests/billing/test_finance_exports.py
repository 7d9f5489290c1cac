"""F4 consolidated bills: the files equal the bills pages' CSVs, hold exactly the chosen
accounts' lines (F1) on the members' whole membership days (F2), expire after 24 hours, and
every request and download is audited."""

import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from billing.finance import export_files
from billing.finance.exports import bill_export_build, bill_export_request, bill_exports_expire
from billing.models import BillExport, BillLine, ExportStatus
from organizations import services as org_services
from organizations.models import AuditRecord, Membership, User
from tco_console.errors import DomainError
from tests.billing.helpers import buy, fund
from tests.factories import UserFactory, join, make_org, update_and_accept

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
URL = "/billing/exports/"


def at(*args):
    return dt.datetime(*args, tzinfo=CST)


def travel(*args):
    return time_machine.travel(at(*args), tick=False)


@pytest.fixture
def books(catalog, org, admin, pob_member):
    """Jan–Apr 2026: the admin buys for itself and for its pay-on-behalf member; a self-pay
    member granting 4 buys before it joins, on its join day, as a member, after it was
    removed, on its rejoin day and as a member again."""
    with travel(2026, 1, 5, 9):
        granting = UserFactory(account__entity=org.admin_account.entity)
        fund(admin, "50000", admin)
        fund(granting, "50000", granting)
        buy(granting, "S5.SMALL2")  # before it joined: never exported
    with travel(2026, 1, 10, 10):
        join(org, admin, user=granting, name="grants-4", permissions=[1, 2, 4], allow_quit=True)
    with travel(2026, 1, 10, 12):
        buy(granting, "S5.SMALL2")  # the join day is not a whole day (F2)
    for day in ((2026, 1, 12, 9), (2026, 2, 3, 9), (2026, 3, 2, 9), (2026, 3, 2, 11)):
        with travel(*day):
            buy(admin, "S5.SMALL2")
            buy(pob_member, "S5.MEDIUM4")
            buy(granting, "S5.SMALL2")
    with travel(2026, 2, 20, 10):
        membership = Membership.objects.get(account=granting.account)
        org_services.member_remove(membership=membership, acting_user=admin)
    with travel(2026, 2, 25, 9):
        buy(granting, "S5.SMALL2")  # not a member
    with travel(2026, 2, 28, 10):
        join(org, admin, user=granting, name="grants-4", permissions=[1, 2, 4])
    with travel(2026, 2, 28, 12):
        buy(granting, "S5.SMALL2")  # the rejoin day
    with travel(2026, 4, 2, 9):
        buy(admin, "S5.SMALL2")  # after the months exported
        buy(pob_member, "S5.MEDIUM4")
    return {"granting": granting}


def export(admin, accounts, *, mode="per_account", month_from=JAN, month_to=MAR, build=True):
    e = bill_export_request(
        organization=Membership.objects.get(account=admin.account).organization,
        accounts=[getattr(a, "account", a) for a in accounts],
        month_from=month_from,
        month_to=month_to,
        mode=mode,
        acting_user=admin,
    )
    if build:
        assert bill_export_build(e.pk) == "done"
    return BillExport.objects.get(pk=e.pk)


def files(e) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bytes(e.result))) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[1:-1]  # without the header and the final line break


def header(data: bytes) -> bytes:
    return data.split(b"\r\n")[0]


def name(account, a=JAN, b=MAR):
    return export_files.csv_name(account.uin, a, b)


# ------------------------------------------------------------------ the files


def test_f4_export_files_equal_bills_pages_csvs(client, books, admin, pob_member):
    e = export(admin, [admin, pob_member])
    got = files(e)
    assert set(got) == {name(admin.account), name(pob_member.account)}
    client.force_login(admin)
    # this account: Billing Center's self-paid CSV, month by month, newest first
    pages = [
        body(client.get(reverse("billing:self_paid_export"), {"month": m}))
        for m in ("2026-03", "2026-02", "2026-01")
    ]
    own = got[name(admin.account)]
    assert header(own) == header(pages[0])
    assert own == header(pages[0]) + b"\r\n" + b"".join(p.split(b"\r\n", 1)[1] for p in pages)
    assert len(rows(own)) == 4
    # a pay-on-behalf member: the pay-on-behalf bills CSV filtered by member and months
    page = body(
        client.get(
            reverse("billing:pob_bills_export"),
            {
                "tab": "details",
                "member": pob_member.account.uin,
                "since": "2026-01",
                "until": "2026-03",
            },
        )
    )
    assert got[name(pob_member.account)] == page
    assert len(rows(page)) == 4


def test_f4_self_pay_member_file_equals_its_billing_center_csv(client, books, admin):
    """F3's CSV of a self-pay member granting 1 (and 4) holds its lines of its F2 days too."""
    granting = books["granting"]
    data = files(export(admin, [granting]))[name(granting.account)]
    client.force_login(admin)
    pages = [
        body(
            client.get(
                reverse("billing:self_paid_export"),
                {"account": granting.account.uin, "month": m},
            )
        )
        for m in ("2026-03", "2026-02", "2026-01")
    ]
    assert data == header(pages[0]) + b"\r\n" + b"".join(p.split(b"\r\n", 1)[1] for p in pages)


def test_f4_one_month_of_this_account_is_byte_for_byte_the_page(client, books, admin):
    e = export(admin, [admin], month_from=MAR, month_to=MAR)
    client.force_login(admin)
    page = body(client.get(reverse("billing:self_paid_export"), {"month": "2026-03"}))
    assert files(e) == {name(admin.account, MAR, MAR): page}


def test_f4_combined_has_every_chosen_account_line(books, admin, pob_member):
    chosen = [admin, pob_member, books["granting"]]
    per_account = files(export(admin, chosen))
    combined = files(export(admin, chosen, mode="combined"))
    assert list(combined) == [export_files.combined_name(JAN, MAR)]
    data = combined[export_files.combined_name(JAN, MAR)]
    # each account's lines in turn (this account, pay-on-behalf, self-pay), as in its own file
    assert rows(data) == [r for u in chosen for r in rows(per_account[name(u.account)])]
    lines = BillLine.objects.filter(bill_month__gte=JAN, bill_month__lte=MAR)
    expected = lines.filter(payer=admin.account).count() + 4  # + the member's in-window lines
    assert len(rows(data)) == expected == 12


def test_f4_member_data_outside_membership_periods_never_included(books, admin):
    granting = books["granting"]
    data = files(export(admin, [granting]))[name(granting.account)]
    times = sorted(r.decode().rsplit(",", 1)[1][:13] for r in rows(data))
    # only the lines on whole member days: not before it joined, not on the join day (10:00),
    # not after it was removed (Feb 20), not on the rejoin day (Feb 28, 10:00)
    assert times == ["2026-01-12T09", "2026-02-03T09", "2026-03-02T09", "2026-03-02T11"]
    all_lines = BillLine.objects.filter(payer=granting.account, owner=granting.account)
    assert all_lines.count() == 8  # 4 of them outside its whole membership days


def test_f4_progress_is_counted_from_the_daily_rollup(books, admin, pob_member, monkeypatch):
    seen = []
    original = export_files.write_zip

    def spy(out, **kwargs):
        kwargs["every"] = 2
        progress = kwargs["progress"]
        kwargs["progress"] = lambda n: (seen.append(n), progress(n))
        return original(out, **kwargs)

    monkeypatch.setattr("billing.finance.exports.write_zip", spy)
    e = export(admin, [admin, pob_member], mode="combined")
    assert seen == [2, 4, 6, 8]
    assert (e.lines_written, e.lines_total, e.percent) == (8, 8, 100)


# ------------------------------------------------------------------ reach (F1)


def test_f4_member_without_4_refused(client, books, admin, member, other_org):
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert member.account.uin not in page  # never offered
    assert books["granting"].account.uin in page
    _org2, admin2, member2 = other_org
    for uin in (member.account.uin, admin2.account.uin, member2.account.uin, "999999999999"):
        response = client.post(
            URL,
            {"accounts": [uin], "month_from": "2026-01", "month_to": "2026-03", "mode": "combined"},
        )
        assert response.status_code == 422
        assert "may not be exported" in response.content.decode()
    assert not BillExport.objects.exists()
    with pytest.raises(DomainError) as refused:
        export(admin, [member], build=False)
    assert refused.value.field == "accounts"
    assert not BillExport.objects.exists()


def test_f4_permission_revoked_before_the_build_leaves_the_member_out(books, admin):
    granting = books["granting"]
    e = export(admin, [admin, granting], build=False)
    membership = Membership.objects.get(account=granting.account)
    update_and_accept(
        membership=membership,
        acting_user=admin,
        name=membership.name,
        remark="",
        permissions=[1, 2],
        payer=None,
        allow_quit=False,
    )
    assert bill_export_build(e.pk) == "done"
    e.refresh_from_db()
    assert set(files(e)) == {name(admin.account)}
    assert "no longer in reach" in e.note
    assert e.account_ids == [admin.account.pk]


def test_f4_download_refused_when_an_account_in_the_file_left_reach(client, books, admin):
    granting = books["granting"]
    e = export(admin, [granting])
    membership = Membership.objects.get(account=granting.account)
    Membership.objects.filter(pk=membership.pk).update(permissions=[1, 2])
    client.force_login(admin)
    response = client.get(reverse("billing:bill_export_download", args=[e.pk]))
    assert response.status_code == 302
    assert not AuditRecord.objects.filter(action="bill_export.download").exists()


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"accounts": []}, "accounts", "Choose at least one account."),
        ({"month_from": "2026-03", "month_to": "2026-01"}, "month_to", "before the first month"),
        ({"month_from": "2024-01", "month_to": "2025-01"}, "month_to", "at most 12 bill months"),
        ({"month_from": "2026-01", "month_to": "2099-01"}, "month_to", "in the future"),
        ({"month_from": "2020-12", "month_to": "2021-02"}, "month_from", "from January 2021"),
        ({"month_from": "garbage"}, "month_from", "Enter a month as YYYY-MM"),
        ({"month_from": "2026-13"}, "month_from", "Enter a month as YYYY-MM"),
        ({"month_to": "x" * 10_000}, "month_to", "Enter a month as YYYY-MM"),
        ({"accounts": ["x" * 10_000]}, "accounts", "may not be exported"),
        ({"month_from": ""}, "month_from", "required"),
        ({"mode": "zip-bomb"}, "mode", "valid choice"),
    ],
)
def test_f4_validation_messages(client, admin, pob_member, data, field, message):
    client.force_login(admin)
    post = {
        "accounts": [admin.account.uin],
        "month_from": "2026-01",
        "month_to": "2026-03",
        "mode": "combined",
        **data,
    }
    response = client.post(URL, post)
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert message in " ".join(response.context["form"].errors[field])
    assert "x" * 100 not in response.content.decode()  # a long input is not echoed back
    assert not BillExport.objects.exists()


def test_f4_twelve_months_up_to_this_month_are_accepted(client, admin):
    client.force_login(admin)
    with travel(2026, 12, 4, 10):
        response = client.post(
            URL,
            {
                "accounts": [admin.account.uin],
                "month_from": "2026-01",
                "month_to": "2026-12",
                "mode": "per_account",
            },
        )
    assert response.status_code == 302
    assert BillExport.objects.get().status == ExportStatus.QUEUED


# ------------------------------------------------------------------ the page, the task


def test_f4_request_runs_the_task_on_commit(
    client, books, admin, pob_member, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "all_pay_on_behalf": "on",
                "month_from": "2026-01",
                "month_to": "2026-03",
                "mode": "per_account",
            },
        )
    assert response.status_code == 302
    e = BillExport.objects.get()
    assert e.status == ExportStatus.DONE
    assert set(files(e)) == {name(pob_member.account)}
    page = client.get(URL).content.decode()
    assert reverse("billing:bill_export_download", args=[e.pk]) in page
    assert 'hx-trigger="every 2s"' not in page  # nothing in progress: no polling


def test_f4_progress_shown_and_polled_while_in_progress(client, admin, books):
    e = export(admin, [admin], build=False)
    BillExport.objects.filter(pk=e.pk).update(
        status=ExportStatus.RUNNING, lines_written=2000, lines_total=8000
    )
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert 'value="25"' in page and "2000 of 8000 lines (25%)" in page
    partial = client.get(URL, {"list": "1"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "2000 of 8000 lines" in partial.content.decode()
    assert "<form" not in partial.content.decode()  # only the table part


def test_f4_page_queries_do_not_grow_with_exports_or_members(
    client, catalog, org, admin, pob_member, django_assert_max_num_queries
):
    client.force_login(admin)
    for _ in range(3):
        export(admin, [admin, pob_member], build=False)
    for round_ in range(2):
        for i in range(3):
            join(org, admin, name=f"g{round_}{i}", permissions=[1, 2, 4])
            join(org, admin, name=f"p{round_}{i}", payer=org.admin_account)
        # session, user, membership, 2 permission sets, pay-on-behalf and granting members,
        # the exports, the unread messages badge
        with django_assert_max_num_queries(9):
            assert client.get(URL).status_code == 200


def test_f4_a_failure_is_recorded_never_raised(books, admin, monkeypatch):
    e = export(admin, [admin], build=False)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("billing.finance.exports.write_zip", broken)
    assert bill_export_build(e.pk) == "failed"
    e.refresh_from_db()
    assert e.status == ExportStatus.FAILED and e.error and e.result is None
    assert bill_export_build(e.pk) == "skipped"  # a second run does nothing


# ------------------------------------------------------------------ download


def test_f4_download_expires_after_24_hours(client, books, admin):
    with travel(2026, 5, 1, 10):
        e = export(admin, [admin])
    client.force_login(admin)
    url = reverse("billing:bill_export_download", args=[e.pk])
    with travel(2026, 5, 2, 9, 59):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == f'attachment; filename="{e.filename}"'
        assert response.content == bytes(e.result)
        assert bill_exports_expire() == 0
    with travel(2026, 5, 2, 10, 0, 1):
        assert client.get(url).status_code == 404  # before the sweep ran
        assert bill_exports_expire() == 1
    e.refresh_from_db()
    assert e.status == ExportStatus.EXPIRED and e.result is None
    assert client.get(url).status_code == 404


def test_f4_export_and_download_audited(client, books, admin, readonly_sub):
    e = export(admin, [admin])
    request = AuditRecord.objects.get(action="bill_export.request")
    assert request.actor == admin and request.object_id == str(e.pk)
    assert request.changes["accounts"] == [admin.account.uin]
    for user in (admin, readonly_sub):
        client.force_login(user)
        assert client.get(reverse("billing:bill_export_download", args=[e.pk])).status_code == 200
    downloads = AuditRecord.objects.filter(action="bill_export.download").order_by("pk")
    assert [d.actor for d in downloads] == [admin, readonly_sub]


def test_f4_other_org_download_404(client, books, admin, member, pob_member):
    e = export(admin, [admin])
    url = reverse("billing:bill_export_download", args=[e.pk])
    _org2, admin2 = make_org()
    for user in (admin2, member, pob_member, UserFactory()):
        client.force_login(user)
        assert client.get(url).status_code == 404
        page = client.get(URL)
        assert page.status_code == (200 if user == admin2 else 403)  # its own, empty list
        assert url not in page.content.decode()
    assert not AuditRecord.objects.filter(action="bill_export.download").exists()


def test_f4_sweep_fails_exports_whose_worker_died_or_never_came(books, admin, settings):
    running = export(admin, [admin], build=False)
    queued = export(admin, [admin], build=False)
    BillExport.objects.filter(pk=running.pk).update(
        status=ExportStatus.RUNNING, started_at=at(2026, 5, 1, 10)
    )
    BillExport.objects.filter(pk=queued.pk).update(created_at=at(2026, 5, 1, 10))
    with travel(2026, 5, 2, 10, 1):
        bill_exports_expire()
    for e in (running, queued):
        e.refresh_from_db()
        assert e.status == ExportStatus.FAILED and "Request it again" in e.error


def test_f4_the_workers_words_read_in_the_requesters_language(client, books, admin):
    """Issue 17: the worker writes why an export failed or what it left out (in English, the
    worker has no reader); a requester who reads Chinese reads them in Chinese."""
    running = export(admin, [admin], build=False)
    BillExport.objects.filter(pk=running.pk).update(
        status=ExportStatus.RUNNING, started_at=at(2026, 5, 1, 10)
    )
    with travel(2026, 5, 2, 10, 1):
        bill_exports_expire()
    running.refresh_from_db()
    assert running.error == "The export stopped before it was ready. Request it again."
    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    client.force_login(admin)
    with translation.override("en"):  # the page activates Chinese; the next test starts in English
        page = client.get(URL).content.decode()
    assert "导出在完成前中止，请重新发起导出。" in page and "Request it again" not in page


def test_f4_members_past_the_list_are_chosen_by_typing_their_uins(
    client, books, admin, pob_member, monkeypatch
):
    from billing.finance import forms as export_forms

    monkeypatch.setattr(export_forms, "LISTED", 0)
    client.force_login(admin)
    assert "Other members" in client.get(URL).content.decode()
    data = {"month_from": "2026-01", "month_to": "2026-03", "mode": "per_account"}
    refused = client.post(URL, data | {"other_uins": "123456789012"})
    assert refused.status_code == 422 and "123456789012" in refused.content.decode()
    assert not BillExport.objects.exists()
    accepted = client.post(URL, data | {"other_uins": f" {pob_member.account.uin}, "})
    assert accepted.status_code == 302
    assert BillExport.objects.count() == 1
