"""A1/A2: every URL pattern × every role → the expected status, and no other account's data.

A new URL pattern fails `test_every_url_pattern_is_in_the_matrix` until it is added here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from billing.catalog import ensure_catalog
from billing.finance.budget_services import budget_create
from billing.finance.invoicing import invoice_title_create
from billing.finance.transfers import fund_transfer_in
from billing.models import Message, Product
from billing.services.payg import resource_activate
from organizations import services
from organizations.models import Department
from tests.billing.helpers import buy, fund, region, spec
from tests.factories import UserFactory, join, make_org, sub_user

ROLES = ["anonymous", "outsider", "member", "admin", "readonly_sub", "member_sub"]
LOGIN = 302

# url name → expected GET status per role (anonymous, outsider, member, admin, readonly_sub,
# member_sub: a resource manager sub-user of the member account, granted Cloud Block Storage
# only, so the member's CVM resources are out of its sight)
EXPECTED = {
    "home": (LOGIN, 200, 200, 200, 200, 200),
    "login": (200, 302, 302, 302, 302, 302),
    "logout": (405, 405, 405, 405, 405, 405),
    "signup": (200, 302, 302, 302, 302, 302),
    "set_language": (405, 405, 405, 405, 405, 405),  # issue 17: POST only
    "organizations:organization_create": (LOGIN, 405, 405, 405, 405, 405),
    "organizations:organization_delete": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:organization_quit": (LOGIN, 404, 200, 200, 403, 403),
    "organizations:members": (LOGIN, 403, 403, 200, 200, 403),
    # issue 16: a branch of a large tree; without ?node= there is no department to answer
    # (tests/organizations/test_department_tree.py asks for real ones)
    "organizations:department_branch": (LOGIN, 403, 403, 404, 404, 403),
    "organizations:member_invite": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:member_create": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:members_move": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:member_detail": (LOGIN, 404, 404, 200, 200, 404),
    "organizations:member_edit": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:member_move": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:member_remove": (LOGIN, 404, 404, 200, 403, 404),
    # F11: tags, by the admin account's users with manage_org
    "organizations:members_tags": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:member_tags": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:department_tags": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:department_add": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:department_rename": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:department_move": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:department_delete": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:invitations": (LOGIN, 200, 200, 200, 200, 200),
    "organizations:invitation_cancel": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:invitation_accept": (LOGIN, 200, 404, 404, 404, 404),
    "organizations:invitation_decline": (LOGIN, 200, 404, 404, 404, 404),
    # F17: POST-only buttons (accept/deny: the member's users; cancel: the admin's); a GET is
    # a 405 for everyone signed in, a POST outside the scope a 404 (test_f17_* below)
    "organizations:permission_change_accept": (LOGIN, 405, 405, 405, 405, 405),
    "organizations:permission_change_deny": (LOGIN, 405, 405, 405, 405, 405),
    "organizations:permission_change_cancel": (LOGIN, 405, 405, 405, 405, 405),
    "organizations:audit": (LOGIN, 200, 200, 200, 200, 403),
    # P3: the own effective policy (or the admin's overview); a member's, for the admin only
    "organizations:policies": (LOGIN, 200, 200, 200, 200, 200),
    "organizations:member_policy": (LOGIN, 404, 404, 200, 200, 404),
    # policy management: the admin account with manage_org; the policy is the org's own.
    # A2: object URLs (a member, department, invitation or policy of the admin's
    # organization) are a 404 outside the organization's admin account, a 403 for its
    # users that lack the permission; pages without an object stay 403.
    "organizations:policy_type": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:policy_create": (LOGIN, 403, 403, 200, 403, 403),
    "organizations:policy_edit": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:policy_delete": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:policy_attach": (LOGIN, 404, 404, 200, 403, 404),
    "organizations:policy_detach": (LOGIN, 404, 404, 200, 403, 404),
    # billing: the resource is the member's, the order a to-be-paid one the admin pays for
    "billing:products": (LOGIN, 200, 200, 200, 200, 200),
    "billing:buy": (LOGIN, 200, 200, 200, 403, 200),
    "billing:resource_renew": (LOGIN, 404, 200, 404, 403, 404),
    "billing:resource_upgrade": (LOGIN, 404, 200, 404, 403, 404),
    "billing:resource_downgrade": (LOGIN, 404, 200, 404, 403, 404),
    "billing:resource_unsubscribe": (LOGIN, 404, 200, 404, 403, 404),
    "billing:pay_on_behalf_orders": (LOGIN, 200, 200, 200, 200, 200),
    # pay-on-behalf bills: the admin sees pob-secret's items, nobody else sees them
    "billing:pob_bills": (LOGIN, 200, 200, 200, 200, 200),
    "billing:pob_bills_export": (LOGIN, 200, 200, 200, 200, 200),
    "billing:orders_pay_bulk": (LOGIN, 200, 200, 200, 403, 403),
    "billing:orders_cancel_bulk": (LOGIN, 200, 200, 200, 403, 403),
    "billing:order_pay": (LOGIN, 404, 404, 200, 403, 403),
    "billing:order_cancel": (LOGIN, 404, 404, 200, 403, 403),
    "billing:order_apply": (LOGIN, 404, 404, 404, 403, 404),
    "billing:billing_center": (LOGIN, 200, 200, 200, 200, 200),
    "billing:top_up": (LOGIN, 200, 200, 200, 403, 403),
    # exports of the user's own account (self-paid bills, transaction details)
    "billing:self_paid_export": (LOGIN, 200, 200, 200, 200, 200),
    "billing:transactions_export": (LOGIN, 200, 200, 200, 200, 200),
    # F4 consolidated bills: the admin account's users with view_finance; the file is the org's
    "billing:bill_exports": (LOGIN, 403, 403, 200, 200, 403),
    "billing:bill_export_download": (LOGIN, 404, 404, 200, 200, 404),
    # F6: every account's users with view_finance (the admin's org view, a member its own)
    "billing:cost_analysis": (LOGIN, 200, 200, 200, 200, 200),
    "billing:cost_analysis_export": (LOGIN, 200, 200, 200, 200, 200),
    "billing:invoices": (LOGIN, 200, 200, 200, 200, 200),
    "billing:invoice_request": (LOGIN, 200, 200, 200, 403, 403),
    # F16 invoicing for members: titles of the user's own account; a self-pay member's that
    # grants 5 (and requests and the switch for it) by the admin account's manage_finance users
    "billing:invoice_title_add": (LOGIN, 200, 200, 200, 403, 403),
    "billing:invoice_title_edit": (LOGIN, 404, 404, 200, 403, 404),
    "billing:invoice_title_delete": (LOGIN, 404, 404, 200, 403, 404),
    "billing:member_invoice_request": (LOGIN, 404, 404, 200, 403, 404),
    "billing:member_self_invoicing": (LOGIN, 404, 404, 200, 403, 404),
    # the pay-as-you-go resource is the member's; the message the admin's (its order to pay)
    "billing:activate": (LOGIN, 200, 200, 200, 403, 200),
    "billing:resource_terminate": (LOGIN, 404, 200, 404, 403, 404),
    # F7 budgets: the admin account's pages (view_finance reads, manage_finance writes)
    "billing:budgets": (LOGIN, 403, 403, 200, 200, 403),
    "billing:budget_create": (LOGIN, 403, 403, 200, 403, 403),
    "billing:budget_detail": (LOGIN, 404, 404, 200, 200, 404),
    "billing:budget_edit": (LOGIN, 404, 404, 200, 403, 404),
    "billing:budget_delete": (LOGIN, 404, 404, 200, 403, 404),
    # F12 fund transfer: the admin account's page; a transfer record is the admin's object
    "billing:transfers": (LOGIN, 403, 403, 200, 200, 403),
    "billing:transfer_in": (LOGIN, 404, 404, 200, 403, 404),
    "billing:take_back": (LOGIN, 404, 404, 200, 403, 404),
    # F14 credit limits: the admin account's page (view_finance reads, manage_finance sets a
    # member's credit); the member here grants 10
    "billing:credit": (LOGIN, 403, 403, 200, 200, 403),
    "billing:credit_allocate": (LOGIN, 403, 403, 200, 403, 403),
    "billing:messages": (LOGIN, 200, 200, 200, 200, 200),
    "billing:messages_read_all": (LOGIN, 200, 200, 200, 200, 200),
    "billing:message": (LOGIN, 404, 404, 200, 200, 404),
    # A1: every account user sees the page; only an account's owner manages its sub-users,
    # and the sub-user here is the member's (anyone else's owner gets 404)
    "organizations:users": (LOGIN, 200, 200, 200, 200, 200),
    "organizations:user_create": (LOGIN, 200, 200, 200, 403, 403),
    "organizations:user_edit": (LOGIN, 404, 200, 404, 403, 403),
    "organizations:user_deactivate": (LOGIN, 404, 200, 404, 403, 403),
    "organizations:user_reactivate": (LOGIN, 404, 200, 404, 403, 403),
    # issue 15 (K3): every account user manages its own API keys; an owner also its
    # sub-users'. The key here is member_sub's: its owner (member) and itself reach it, anyone
    # else gets 404 (and never sees its SecretId)
    "organizations:api_keys": (LOGIN, 200, 200, 200, 200, 200),
    "organizations:api_key_create": (LOGIN, 200, 200, 200, 200, 200),
    "organizations:api_key_disable": (LOGIN, 404, 200, 404, 404, 200),
    "organizations:api_key_enable": (LOGIN, 404, 200, 404, 404, 200),
    "organizations:api_key_delete": (LOGIN, 404, 200, 404, 404, 200),
}


def url_names(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            yield from url_names(p, prefix + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


@pytest.fixture
def world(db):
    org, admin = make_org()
    member = join(org, admin, name="the-member", allow_quit=True, permissions=[1, 2, 10])
    sibling = join(org, admin, name="sibling-secret")
    root = Department.objects.get(organization=org, parent=None)
    dept = services.department_create(
        organization=org, parent=root, name="Dept-A", acting_user=admin
    )
    outsider = UserFactory(account__name="outsider-acct")
    invitation = services.invitation_send(
        organization=org, acting_user=admin, uin=outsider.account.uin, name="invited-one"
    )
    org2, admin2 = make_org()
    foreign = join(org2, admin2, name="foreign-secret")
    ensure_catalog()
    fund(member, "500.00", member)
    resource = buy(member, "S5.MEDIUM4").resource
    payg = resource_activate(
        owner=member.account, acting_user=member, spec=spec("S5.SMALL2"), region=region()
    )
    pob = join(org, admin, name="pob-secret", payer=org.admin_account)
    order = buy(pob, "S5.LARGE8")  # the admin account has no funds: to be paid
    notice = Message.objects.get(account=org.admin_account, order=order)
    from organizations.services import policies as policy_services

    policy_services.policy_type_enable(organization=org, acting_user=admin)
    member_sub = sub_user(member.account, services.RESOURCE_MANAGER_GROUP)
    member_sub.all_products = False
    member_sub.save()
    member_sub.products.set(Product.objects.filter(code="p_cbs"))
    budget = budget_create(
        organization=org,
        acting_user=admin,
        name="budget-of-org",
        period="month",
        start=timezone.localdate().replace(day=1),
        end=None,
        plan_type="fixed",
        amount="100",
        scope="members",
        members=[pob.account],
    )
    # F17: a change awaiting the member's consent (its Overview and its page show it)
    services.member_update(
        membership=member.account.membership,
        acting_user=admin,
        name="the-member",
        remark="",
        permissions=[1, 2, 8],
        payer=None,
        allow_quit=True,
    )
    funded = join(org, admin, name="funded-secret", permissions=[1, 2, 3])
    fund(admin, "100.00", admin)
    transfer = fund_transfer_in(
        membership=funded.account.membership, amount="10.00", acting_user=admin
    )
    invoiced = join(org, admin, name="invoiced-secret", permissions=[1, 2, 5])
    title = invoice_title_create(
        account=invoiced.account,
        membership=invoiced.account.membership,
        acting_user=admin,
        title="Invoiced Secret Title",
        tax_number="91110000100000000X",
    )
    from organizations.services.api_keys import api_key_create

    api_key, _secret = api_key_create(user=member_sub, acting_user=member)
    return {
        "api_key": api_key,
        "invoicing": {"uin": invoiced.account.uin, "title": title.pk},
        "transfer": {"uin": funded.account.uin, "pk": transfer.pk},
        "budget": budget.pk,
        "policy": org.policies.get(),
        "users": {
            "anonymous": None,
            "outsider": outsider,
            "member": member,
            "admin": admin,
            "readonly_sub": sub_user(admin.account, services.READ_ONLY_GROUP),
            "member_sub": member_sub,
        },
        "kwargs": {"uin": sibling.account.uin, "pk": dept.pk},
        "invitation": invitation,
        "foreign": [foreign.account.uin, "foreign-secret", admin2.account.uin],
        "sibling": [sibling.account.uin, "sibling-secret"],
        "admin2": admin2,
        "org2_dept": Department.objects.get(organization=org2, parent=None),
        "billing": {
            "instance_id": resource.instance_id,
            "order_no": order.order_no,
            "payg_instance_id": payg.instance_id,
            "message": notice.pk,
        },
        "pob": [pob.account.uin, "pob-secret", order.order_no],
        "bill_export": _bill_export(org, admin),
    }


def _bill_export(org, admin):
    """F4: a ready consolidated bills file of the admin account."""
    from django.utils import timezone

    from billing.finance.exports import bill_export_build, bill_export_request

    month = timezone.localdate().replace(day=1)
    export = bill_export_request(
        organization=org,
        accounts=[org.admin_account],
        month_from=month,
        month_to=month,
        mode="combined",
        acting_user=admin,
    )
    bill_export_build(export.pk)
    return export.pk


def test_every_url_pattern_is_in_the_matrix():
    assert set(url_names()) == set(EXPECTED)


def build_url(name, world):
    from django.urls import reverse

    if name in {
        "organizations:invitation_cancel",
        "organizations:invitation_accept",
        "organizations:invitation_decline",
    }:
        return reverse(name, kwargs={"pk": world["invitation"].pk})
    billing = world["billing"]
    if name == "billing:resource_terminate":
        return reverse(name, kwargs={"instance_id": billing["payg_instance_id"]})
    if name.startswith("billing:budget_") and name != "billing:budget_create":
        return reverse(name, kwargs={"pk": world["budget"]})
    if name == "billing:credit_allocate":  # F14: a member that grants 10
        return reverse(name) + f"?account={world['users']['member'].account.uin}"
    if name == "billing:bill_export_download":
        return reverse(name, kwargs={"pk": world["bill_export"]})
    if name == "billing:transfer_in":
        return reverse(name, kwargs={"uin": world["transfer"]["uin"]})
    if name == "billing:take_back":
        return reverse(name, kwargs={"pk": world["transfer"]["pk"]})
    if name in {"billing:invoice_title_edit", "billing:invoice_title_delete"}:
        return reverse(name, kwargs={"pk": world["invoicing"]["title"]})
    if name in {"billing:member_invoice_request", "billing:member_self_invoicing"}:
        return reverse(name, kwargs={"uin": world["invoicing"]["uin"]})
    if name == "billing:message":
        return reverse(name, kwargs={"pk": billing["message"]})
    if name.startswith("organizations:api_key_") and name != "organizations:api_key_create":
        return reverse(name, kwargs={"pk": world["api_key"].pk})
    if name.startswith("organizations:user_") and name != "organizations:user_create":
        return reverse(name, kwargs={"pk": world["users"]["member_sub"].pk})
    if name.startswith("organizations:policy_") and name != "organizations:policy_type":
        if name == "organizations:policy_create":
            return reverse(name)
        return reverse(name, kwargs={"pk": world["policy"].pk})
    for kwargs in (
        {},
        {"uin": world["kwargs"]["uin"]},
        {"pk": world["kwargs"]["pk"]},
        {"instance_id": billing["instance_id"]},
        {"order_no": billing["order_no"]},
    ):
        try:
            return reverse(name, kwargs=kwargs)
        except Exception:
            continue
    raise AssertionError(name)


@pytest.mark.parametrize("role", ROLES)
def test_a2_permission_matrix(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    forbidden = list(world["foreign"])
    if role in {"outsider", "member", "member_sub"}:
        forbidden += world["sibling"] + world["pob"] + ["funded-secret"]
        forbidden += ["invoiced-secret", "Invoiced Secret Title"]
    if role not in {"member", "member_sub"}:
        # The member's own bills and transactions name its resources to all its users; only
        # the resource pages follow a sub-user's product permissions (404 above).
        forbidden.append(world["billing"]["instance_id"])
    if role == "outsider":
        # K3/K4: member_sub's key. The organization's audit log names its SecretId to the
        # admin account (as it names a member's sub-user changes); nobody outside sees it.
        forbidden.append(world["api_key"].secret_id)
    if role == "outsider":
        # The organization's audit log names a member's activations (resource.activate) to
        # the admin account; nobody outside the organization sees them.
        forbidden.append(world["billing"]["payg_instance_id"])
    failures = []
    for name, expected in EXPECTED.items():
        url = build_url(name, world)
        response = client.get(url)
        want = expected[ROLES.index(role)]
        if response.status_code != want:
            failures.append(f"{name} {url}: {response.status_code} != {want}")
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode(errors="replace")
        leaked = [s for s in forbidden if s in body]
        if leaked:
            failures.append(f"{name} {url}: leaks {leaked}")
    assert not failures, "\n".join(failures)


def test_a2_another_organizations_objects_are_404(client, world):
    client.force_login(world["users"]["admin"])
    foreign_uin = world["foreign"][0]
    for path in ("", "edit/", "move/", "remove/"):
        assert client.get(f"/members/{foreign_uin}/{path}").status_code == 404
    dept = world["org2_dept"].pk
    for path in ("rename", "move", "delete"):
        assert client.get(f"/departments/{dept}/{path}/").status_code == 404
        assert (
            client.post(f"/departments/{dept}/{path}/", {"name": "x", "parent": dept}).status_code
            == 404
        )


def test_a2_post_to_a_foreign_object_changes_nothing(client, world):
    client.force_login(world["users"]["admin"])
    uin = world["foreign"][0]
    assert client.post(f"/members/{uin}/remove/").status_code == 404
    from organizations.models import Membership

    assert Membership.objects.filter(account__uin=uin).exists()


# A2 (issue 11, point 11): each family of the admin's object URLs, for an outsider, a member
# of the same organization and the admin of another organization: 404, GET and POST.
def _object_urls(world):
    from django.urls import reverse

    uin, dept, inv, policy = (
        world["kwargs"]["uin"],
        world["kwargs"]["pk"],
        world["invitation"].pk,
        world["policy"].pk,
    )
    return [
        *(reverse(f"organizations:member_{n}", args=[uin]) for n in ("detail", "edit", "move")),
        reverse("organizations:member_remove", args=[uin]),
        reverse("organizations:member_policy", args=[uin]),
        reverse("organizations:member_tags", args=[uin]),
        reverse("organizations:department_tags", args=[dept]),
        *(reverse(f"organizations:department_{n}", args=[dept]) for n in ("rename", "move")),
        reverse("organizations:department_delete", args=[dept]),
        reverse("organizations:invitation_cancel", args=[inv]),
        *(
            reverse(f"organizations:policy_{n}", args=[policy])
            for n in ("edit", "delete", "attach", "detach")
        ),
    ]


@pytest.mark.parametrize("who", ["outsider", "member", "admin2"])
def test_a2_the_admins_object_urls_are_404_outside_its_organization(client, world, who):
    from organizations.models import Invitation, Membership

    user = world["admin2"] if who == "admin2" else world["users"][who]
    client.force_login(user)
    for url in _object_urls(world):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "parent": world["kwargs"]["pk"]}).status_code == 404
    assert Membership.objects.filter(account__uin=world["kwargs"]["uin"]).exists()
    assert Department.objects.filter(pk=world["kwargs"]["pk"], name="Dept-A").exists()
    assert Invitation.objects.get(pk=world["invitation"].pk).status == "pending"


def test_a2_a_sub_user_of_the_admin_account_without_the_permission_gets_403(client, world):
    client.force_login(world["users"]["readonly_sub"])
    for url in _object_urls(world):
        if "/policy/" in url or url.rstrip("/").endswith(world["kwargs"]["uin"]):
            assert client.get(url).status_code == 200, url  # read-only pages
        else:
            assert client.get(url).status_code == 403, url
