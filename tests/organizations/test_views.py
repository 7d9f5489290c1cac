"""Pages as a user meets them: htmx partials, forms that explain, bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations import services
from organizations.models import Department, Invitation, Membership
from tests.factories import UserFactory, join

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("url", ["/members/", "/invitations/?tab=sent", "/audit/"])
def test_list_pages_answer_htmx_with_the_partial_only(client, admin, member, url):
    client.force_login(admin)
    full = client.get(url)
    partial = client.get(url, **HTMX)
    assert full.status_code == partial.status_code == 200
    assert b"<html" in full.content and b"<html" not in partial.content
    assert b"<table" in partial.content
    assert b"sidebar" in full.content and b"sidebar" not in partial.content


def test_history_restore_requests_get_the_full_page(client, admin):
    client.force_login(admin)
    response = client.get(
        "/members/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert b"<html" in response.content


def test_member_search_filters_and_sorts(client, org, admin):
    root = Department.objects.get(organization=org, parent=None)
    sales = services.department_create(
        organization=org, parent=root, name="Sales", acting_user=admin
    )
    east = services.department_create(
        organization=org, parent=sales, name="East", acting_user=admin
    )
    join(org, admin, name="alpha-east", department=east)
    join(org, admin, name="beta-root", payer=org.admin_account)
    client.force_login(admin)
    page = client.get("/members/", {"q": "alpha"}, **HTMX).content.decode()
    assert "alpha-east" in page and "beta-root" not in page
    page = client.get("/members/", {"department": sales.pk}, **HTMX).content.decode()  # subtree
    assert "alpha-east" in page and "beta-root" not in page
    page = client.get("/members/", {"payment_mode": "behalf"}, **HTMX).content.decode()
    assert "beta-root" in page and "alpha-east" not in page
    page = client.get("/members/", {"sort": "-name"}, **HTMX).content.decode()
    assert page.index("beta-root") < page.index("alpha-east")


def test_pages_never_skip_or_repeat_rows_with_duplicate_sort_keys(client, org, admin, settings):
    settings.TCO_INVITATIONS_PER_24H = 100
    for i in range(30):
        join(org, admin, name=f"dup-{i:02d}")
    client.force_login(admin)
    seen = []
    for page in (1, 2):
        html = client.get(
            "/members/", {"sort": "member_type", "page": page}, **HTMX
        ).content.decode()
        seen += [f"dup-{i:02d}" for i in range(30) if f">dup-{i:02d}<" in html]
    assert sorted(seen) == [f"dup-{i:02d}" for i in range(30)]


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **HTMX).status_code == 200
    return len(ctx.captured_queries)


def test_member_list_query_count_is_pinned_and_constant(
    client, org, admin, settings, django_assert_max_num_queries
):
    settings.TCO_INVITATIONS_PER_24H = 100
    for _ in range(3):
        join(org, admin)
    client.force_login(admin)
    client.get("/members/")  # warm caches (content types, permissions)
    small = _count_queries(client, "/members/")
    for _ in range(40):
        join(org, admin, payer=org.admin_account)
    large = _count_queries(client, "/members/")
    assert small == large
    with django_assert_max_num_queries(10):  # 9 + the top bar's unread-message badge
        client.get("/members/")


def test_invalid_form_rerenders_with_422_and_changes_nothing(client, org, admin):
    client.force_login(admin)
    root = Department.objects.get(organization=org, parent=None)
    response = client.post(
        "/members/invite/",
        {"uin": "123456789012", "name": "ghost", "department": root.pk, "payment_mode": "self"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "No account with UIN 123456789012 exists." in response.content.decode()
    assert b"<html" not in response.content
    assert not Invitation.objects.exists()
    response = client.post(
        "/members/invite/", {"uin": "12", "name": "", "department": root.pk, "payment_mode": "self"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "A UIN is a 12-digit number." in body and "This field is required." in body


def test_successful_modal_closes_and_refreshes_the_table(client, org, admin):
    client.force_login(admin)
    root = Department.objects.get(organization=org, parent=None)
    response = client.post("/departments/add/", {"name": "Ops", "parent": root.pk}, **HTMX)
    assert response.status_code == 204
    trigger = response["HX-Trigger"]
    assert (
        "closeModal" in trigger
        and "membersChanged" in trigger
        and "Department Ops added." in trigger
    )


def test_pay_on_behalf_form_needs_a_payer(client, org, admin, outsider):
    client.force_login(admin)
    root = Department.objects.get(organization=org, parent=None)
    response = client.post(
        "/members/invite/",
        {"uin": outsider.account.uin, "name": "p", "department": root.pk, "payment_mode": "behalf"},
    )
    assert response.status_code == 422
    assert "Choose the account that pays on behalf of this member." in response.content.decode()


def test_outsider_creates_an_organization_from_the_overview(client, db):
    user = UserFactory()
    client.force_login(user)
    assert "Create organization" in client.get("/").content.decode()
    response = client.post("/organization/create/", follow=True)
    assert "Organization created" in response.content.decode()
    assert Membership.objects.get(account=user.account).is_admin


def test_sign_up_creates_an_account_with_a_new_uin(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "n@example.com",
            "account_name": "Newbie Inc",
            "enterprise_name": "Newbie Inc Ltd.",
            "password1": "A-strong-pass-2026",
            "password2": "A-strong-pass-2026",
        },
        follow=True,
    )
    assert response.status_code == 200
    membership_free = UserFactory._meta.model.objects.get(username="newbie")
    assert membership_free.is_owner and len(membership_free.account.uin) == 12
    assert "Welcome! Your account UIN is" in response.content.decode()


def test_sign_up_explains_bad_input(client, db):
    response = client.post(
        "/accounts/signup/",
        {"username": "x y", "email": "bad", "account_name": "", "password1": "a", "password2": "b"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        "Use letters, digits" in body
        and "Enter a valid email address." in body
        and "do not match" in body
    )


def test_member_overview_shows_org_payer_and_permissions(client, org, admin, pob_member):
    client.force_login(pob_member)
    page = client.get("/").content.decode()
    assert org.admin_account.name in page
    assert "Pay-on-behalf by" in page and "7 · Pay on behalf" in page


def test_member_quits_from_the_overview(client, org, admin, member):
    client.force_login(member)
    assert "Quit organization" in client.get("/").content.decode()
    response = client.post("/organization/quit/", follow=True)
    assert "You quit the organization" in response.content.decode()
    assert not Membership.objects.filter(account=member.account).exists()


def test_bulk_move_from_the_members_page(client, org, admin):
    root = Department.objects.get(organization=org, parent=None)
    dept = services.department_create(
        organization=org, parent=root, name="Target", acting_user=admin
    )
    users = [join(org, admin) for _ in range(2)]
    client.force_login(admin)
    response = client.post(
        "/members/move/", {"uins": [u.account.uin for u in users], "department": dept.pk}, **HTMX
    )
    assert response.status_code == 204
    assert Membership.objects.filter(department=dept).count() == 2


def test_o8_a_refused_bulk_move_says_why(client, org, admin, member, other_org):
    """Issue 11, point 9: the service's refusal is attached to the hidden `uins` field; the
    page showed nothing. Errors of hidden fields are shown above every form."""
    root = Department.objects.get(organization=org, parent=None)
    dept = services.department_create(
        organization=org, parent=root, name="Target", acting_user=admin
    )
    foreign = other_org[2]
    client.force_login(admin)
    for extra in ({}, HTMX):
        response = client.post(
            "/members/move/",
            {"uins": [member.account.uin, foreign.account.uin], "department": dept.pk},
            **extra,
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert 'data-testid="form-error"' in html
        assert "Some of the UINs do not belong to the organization." in html
    assert Membership.objects.get(account=member.account).department == root


def test_o7_the_admin_is_told_why_it_cannot_quit(client, org, admin):
    """Issue 11, point 12: the admin's quit was a bare 404; it now reaches the service's
    refusal, said at once and again if submitted, and nothing changes."""
    client.force_login(admin)
    page = client.get("/organization/quit/")
    assert page.status_code == 200
    assert "You cannot quit an organization created by yourself." in page.content.decode()
    for extra in ({}, HTMX):
        response = client.post("/organization/quit/", **extra)
        assert response.status_code == 422
        html = response.content.decode()
        assert 'data-testid="form-error"' in html
        assert "You cannot quit an organization created by yourself." in html
    assert Membership.objects.filter(account=admin.account, organization=org).exists()


def test_overview_counts_members_departments_and_invitations(client, org, admin, other_org):
    """SPEC §5 / O2: Overview's counts (members by kind and payment, departments, pending
    invitations and the seats they use); another organization's are not counted."""
    root = Department.objects.get(organization=org, parent=None)
    services.department_create(organization=org, parent=root, name="Sales", acting_user=admin)
    join(org, admin, name="invited-self-pay")
    join(org, admin, name="invited-pob", payer=org.admin_account)
    services.member_create(
        organization=org,
        acting_user=admin,
        name="created-pob",
        username="created-pob",
        password="Str0ng-pass-2026!",
        permissions=(1, 2, 7),
        payer=org.admin_account,
    )
    outsider = UserFactory()
    services.invitation_send(
        organization=org, acting_user=admin, uin=outsider.account.uin, name="pending"
    )
    client.force_login(admin)
    page = client.get("/").content.decode()
    summary = client.get("/").context["summary"]
    assert (summary.members, summary.invited, summary.created) == (3, 2, 1)
    assert (summary.pay_on_behalf, summary.self_pay) == (2, 1)
    assert (summary.departments, summary.pending_invitations) == (1, 1)
    assert summary.accounts_used == 3 + 1 + 1  # O2: the admin and the pending invitation
    assert 'data-testid="stat-members">3<' in page


def test_member_row_actions_follow_the_member_and_the_user(client, org, admin, readonly_sub):
    """O6–O9: an invited member's row offers edit, move and remove; a created member's, edit
    and move; the admin's own row, edit only; a read-only sub-user sees no action."""
    invited = join(org, admin, name="row-invited")
    created = services.member_create(
        organization=org,
        acting_user=admin,
        name="row-created",
        username="row-created",
        password="Str0ng-pass-2026!",
    )
    client.force_login(admin)
    page = client.get("/members/", **HTMX).content.decode()

    def actions(uin):
        return {
            verb
            for verb in ("edit", "move", "remove")
            if f'hx-get="/members/{uin}/{verb}/"' in page
        }

    assert actions(invited.account.uin) == {"edit", "move", "remove"}
    assert actions(created.account.uin) == {"edit", "move"}
    assert actions(org.admin_account.uin) == {"edit"}
    client.force_login(readonly_sub)
    page = client.get("/members/", **HTMX).content.decode()
    assert 'hx-target="#modal-content"' not in page.split("<tbody")[1].split("</tbody>")[0]
