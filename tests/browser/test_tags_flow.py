"""F11 as a person clicks it: the admin selects two members in the members table, tags them
at once, sees the badges, and filters the table by the tag."""

import re

from playwright.sync_api import expect

from organizations.models import AuditRecord, Membership
from tests.browser.conftest import login
from tests.browser.test_organization_flows import (
    expect_toast,
    member_row,
    member_rows,
    open_members,
    open_modal,
    submit_modal,
)
from tests.factories import join


def test_f11_admin_tags_two_members_in_bulk_and_filters_by_the_tag(
    page, live_server, org, admin, password, shot
):
    alpha = join(org, admin, name="Alpha-Ops")
    beta = join(org, admin, name="Beta-Ops")
    join(org, admin, name="Gamma-Dev")
    login(page, live_server, admin.username, password)
    open_members(page)
    expect(member_rows(page)).to_have_count(4)  # the admin account and three members

    bulk_tags = page.get_by_test_id("bulk-tags")
    expect(bulk_tags).to_be_disabled()
    for name in ("Alpha-Ops", "Beta-Ops"):
        member_row(page, name).locator("input[name=uins]").check()
    expect(bulk_tags).to_be_enabled()
    modal = open_modal(page, bulk_tags, "Tag 2 selected members")
    expect(modal.get_by_test_id("selected-uins")).to_contain_text(alpha.account.uin)
    expect(modal.get_by_test_id("selected-uins")).to_contain_text(beta.account.uin)

    # a reserved key is refused in the modal and nothing changes
    modal.locator("textarea[name=add]").fill("qcs:env=prod")
    submit_modal(page, modal, "Apply", status=422)
    expect(modal.get_by_test_id("field-error-add")).to_contain_text("is reserved")
    modal.locator("textarea[name=add]").fill("env=prod\nteam=ops")
    shot(page, "01-bulk-tags-form")
    submit_modal(page, modal, "Apply", status=204)
    expect(modal).to_be_hidden()
    expect_toast(page, "Tags changed on 2 of 2 member(s).")

    # the refreshed table shows the badges
    for name in ("Alpha-Ops", "Beta-Ops"):
        expect(member_row(page, name).get_by_test_id("tag")).to_have_text(["env:prod", "team:ops"])
    expect(member_row(page, "Gamma-Dev").get_by_test_id("tag")).to_have_count(0)
    shot(page, "02-tagged")

    # filter the table by the tag (typed, then Enter)
    page.locator("#filter-form input[name=tag]").fill("env=prod")
    with page.expect_response(lambda r: "/members/?" in r.url and "tag=" in r.url) as response:
        page.locator("#filter-form input[name=tag]").press("Enter")
    assert response.value.status == 200
    expect(page).to_have_url(re.compile(r"[?&]tag=env%3Dprod(&|$)"))
    expect(member_rows(page)).to_have_count(2)
    expect(member_row(page, "Alpha-Ops")).to_be_visible()
    expect(member_row(page, "Beta-Ops")).to_be_visible()
    shot(page, "03-filtered-by-tag")

    tagged = Membership.objects.filter(tag_set__isnull=False).values_list("name", flat=True)
    assert sorted(tagged) == ["Alpha-Ops", "Beta-Ops"]
    assert AuditRecord.objects.filter(action="member.tags").count() == 2
