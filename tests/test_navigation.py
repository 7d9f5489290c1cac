"""The sidebar and the top bar's unread badge (SPEC §5) on every page. Issue 16 made their
links cheaper (reversed once per script prefix); what a user sees in them is still read on
every request (F1: revoking a permission hides it on the next page)."""

import re
from html import unescape

import pytest
from django.urls import set_script_prefix

from billing.services.messages import notify
from organizations import services
from tests.factories import sub_user

pytestmark = pytest.mark.django_db


def sidebar(response) -> dict[str, str]:
    """label -> href of the sidebar's links."""
    html = response.content.decode()
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    return {
        unescape(label).strip(): href
        for href, label in re.findall(r'href="([^"]+)"[^>]*><i class="[^"]+"></i>([^<]+)</a>', nav)
    }


def unread(response) -> str:
    return re.search(r'data-unread="(\d+)"', response.content.decode()).group(1)


def test_f1_revoking_a_permission_hides_its_sidebar_entries_on_the_next_request(client, admin):
    user = sub_user(admin.account, services.FINANCE_MANAGER_GROUP)
    client.force_login(user)
    assert "Billing Center" in sidebar(client.get("/users/"))
    user.groups.clear()  # every role group grants view_finance and view_org; none is left
    links = sidebar(client.get("/users/"))
    assert "Billing Center" not in links and "Cost analysis" not in links
    assert "Message center" not in links
    assert "Users & permissions" in links  # shown to everyone signed in


def test_sidebar_links_follow_the_script_prefix(client, admin):
    """The console mounted under a path (SCRIPT_NAME, which the WSGI handler makes the script
    prefix of the request) links there; links reversed for one prefix never serve another."""
    client.force_login(admin)
    plain = sidebar(client.get("/users/"))
    set_script_prefix("/console/")
    try:
        mounted = sidebar(client.get("/users/"))
    finally:
        set_script_prefix("/")
    assert plain["Billing Center"] == "/billing/"
    assert mounted["Billing Center"] == "/console/billing/"
    assert set(mounted.values()) == {f"/console{href}" for href in plain.values()}
    assert sidebar(client.get("/users/")) == plain


def test_unread_badge_counts_a_new_message_on_the_next_request(client, admin):
    client.force_login(admin)
    before = int(unread(client.get("/users/")))
    notify(admin.account, "A new message")
    assert int(unread(client.get("/users/"))) == before + 1
