"""Service control policies in the database (P1) and their enforcement on purchases and
activations (P2): refusals name the level that refused; policy changes are audited (A4)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Product
from billing.services import payg
from organizations import policies
from organizations import services as org_services
from organizations.models import AuditRecord, Membership, PolicyAttachment, PolicyEffect
from organizations.services import policies as scp
from organizations.services import sub_users as users
from tco_console.errors import DomainError
from tests.billing.helpers import buy, fund, product, region, spec
from tests.factories import join, update_and_accept

pytestmark = pytest.mark.django_db


def test_p2_seed_example_cvm_only_department_refuses_cbs_and_names_the_department(
    cvm_only, engineer
):
    with pytest.raises(DomainError) as refused:
        buy(engineer, "PREMIUM-100")
    assert "department Eng" in refused.value.message
    assert refused.value.code == policies.CODE_DENIED
    order = buy(engineer, "S5.SMALL2")  # CVM is allowed
    assert order.product.code == "p_cvm"


def test_p2_activation_is_refused_too(org, admin, cvm_only, engineer):
    with pytest.raises(DomainError, match="department Eng"):
        payg.resource_activate(
            owner=engineer.account,
            acting_user=engineer,
            spec=spec("CLB-STANDARD"),
            region=region(),
        )


def test_p2_a_deny_on_the_member_names_the_policy_and_the_member(org, admin, eng, engineer):
    deny = scp.policy_create(
        organization=org,
        name="No_CVM",
        effect=PolicyEffect.DENY,
        products=[product("p_cvm")],
        acting_user=admin,
    )
    scp.policy_attach(policy=deny, account=engineer.account, acting_user=admin)
    with pytest.raises(DomainError) as refused:
        buy(engineer, "S5.SMALL2")
    assert "No_CVM" in refused.value.message and "member engineer" in refused.value.message
    buy(engineer, "PREMIUM-100")  # everything else still allowed by FullAccessPolicy


def test_p2_root_without_the_full_access_policy_refuses_at_root(org, admin, eng, engineer):
    cvm = scp.policy_create(
        organization=org,
        name="Root_CVM",
        products=[product("p_cvm")],
        acting_user=admin,
    )
    root = org.departments.get(depth=0)
    full = org.policies.get(preset=True)
    scp.policy_attach(policy=cvm, department=root, acting_user=admin)
    scp.policy_detach(policy=full, department=root, acting_user=admin)
    with pytest.raises(DomainError, match="Root allows"):
        buy(engineer, "PREMIUM-100")


def test_p2_nothing_is_enforced_when_the_type_is_disabled_or_for_the_admin(
    org, admin, cvm_only, engineer
):
    fund(admin, "1000.00", admin)
    buy(admin, "PREMIUM-100")  # the management account is not subject to policies
    scp.policy_type_disable(organization=org, acting_user=admin)
    buy(engineer, "PREMIUM-100")


def test_p1_levels_are_read_in_three_queries_whatever_the_depth(org, admin, eng, cvm_only):
    parent = eng
    for depth in range(2, 6):
        parent = org_services.department_create(
            organization=org, parent=parent, name=f"D{depth}", acting_user=admin
        )
    deep = join(org, admin, name="deep", department=parent)
    membership = Membership.objects.select_related("department").get(account=deep.account)
    with CaptureQueriesContext(connection) as ctx:
        levels = policies.levels_for(membership)
    assert len(ctx.captured_queries) == 3
    assert [lv.kind for lv in levels] == ["root"] + ["department"] * 5 + ["member"]
    assert [p.name for p in levels[1].policies] == ["CVM_only"]


def test_policy_rules_and_audit(org, admin, eng, cvm_only, engineer):
    with pytest.raises(DomainError, match="already exists"):
        scp.policy_create(organization=org, name="CVM_only", all_products=True, acting_user=admin)
    with pytest.raises(DomainError, match="letters, digits"):
        scp.policy_create(organization=org, name="bad name!", all_products=True, acting_user=admin)
    with pytest.raises(DomainError, match="Choose the products"):
        scp.policy_create(organization=org, name="Empty", acting_user=admin)
    with pytest.raises(DomainError, match="is attached"):
        scp.policy_delete(policy=cvm_only, acting_user=admin)
    full = org.policies.get(preset=True)
    with pytest.raises(DomainError, match="preset"):
        scp.policy_delete(policy=full, acting_user=admin)
    with pytest.raises(DomainError, match="Disable service control policies"):
        org_services.organization_delete(organization=org, acting_user=admin)
    actions = set(AuditRecord.objects.filter(organization=org).values_list("action", flat=True))
    assert {"policy.enable", "policy.create", "policy.attach"} <= actions


def test_attachments_go_with_their_department_and_member(org, admin, cvm_only, engineer):
    deny = scp.policy_create(
        organization=org,
        name="Deny_all",
        effect=PolicyEffect.DENY,
        all_products=True,
        acting_user=admin,
    )
    scp.policy_attach(policy=deny, account=engineer.account, acting_user=admin)
    update_and_accept(
        membership=engineer.account.membership,
        acting_user=admin,
        name="engineer",
        remark="",
        permissions=[1, 2],
        payer=None,
        allow_quit=True,
    )
    org_services.member_remove(membership=engineer.account.membership, acting_user=admin)
    assert not PolicyAttachment.objects.filter(account=engineer.account).exists()
    eng = cvm_only.attachments.get().department
    org_services.department_delete(department=eng, acting_user=admin)
    assert not cvm_only.attachments.exists()


# ------------------------------------------------------------------ P3 pages


def test_p3_member_sees_its_effective_policy_level_by_level(client, cvm_only, engineer):
    client.force_login(engineer)
    html = client.get("/policies/").content.decode()
    levels = html.split('data-testid="policy-levels"')[1].split("</ol>")[0]
    assert levels.index("Root") < levels.index("department Eng") < levels.index("member engineer")
    assert "FullAccessPolicy" in levels and "CVM_only" in levels
    products = html.split('data-testid="policy-products"')[1]
    assert 'data-product="p_cvm" data-allowed="1"' in products
    assert 'data-product="p_cbs" data-allowed="0"' in products
    assert "No service control policy attached to department Eng allows" in products


def test_p3_admin_sees_policies_attachments_and_any_members_explainer(
    client, org, admin, cvm_only, engineer, other_org
):
    client.force_login(admin)
    html = client.get("/policies/").content.decode()
    assert "CVM_only" in html and "FullAccessPolicy" in html
    assert "department Eng" in html.split('data-testid="policy-attachments"')[1]
    html = client.get(f"/members/{engineer.account.uin}/policy/").content.decode()
    assert 'data-product="p_cbs" data-allowed="0"' in html
    foreign = other_org[2].account.uin
    assert client.get(f"/members/{foreign}/policy/").status_code == 404


# ------------------------------------------------------------------ management pages


def test_p1_admin_manages_policies_in_the_console(client, catalog, org, admin):
    client.force_login(admin)
    assert client.get("/policies/create/").status_code == 200
    client.post("/policies/type/")  # enable
    org.refresh_from_db()
    assert org.scp_enabled and org.policies.filter(preset=True).exists()
    cvm = Product.objects.get(code="p_cvm")
    response = client.post(
        "/policies/create/",
        {"name": "bad name!", "effect": "allow", "products": [cvm.pk]},
    )
    assert response.status_code == 422 and "letters, digits" in response.content.decode()
    assert not org.policies.filter(name="bad name!").exists()
    client.post("/policies/create/", {"name": "CVM_only", "effect": "allow", "products": [cvm.pk]})
    policy = org.policies.get(name="CVM_only")
    assert list(policy.products.values_list("code", flat=True)) == ["p_cvm"]
    html = client.get("/policies/").content.decode()
    assert "CVM_only" in html and 'data-testid="new-policy"' in html


def test_p3_dry_run_lists_who_would_lose_what_and_changes_nothing(
    client, org, admin, eng, engineer
):
    cvm = scp.policy_create(
        organization=org, name="CVM_only", products=[product("p_cvm")], acting_user=admin
    )
    full = org.policies.get(preset=True)
    client.force_login(admin)
    url = f"/policies/{cvm.pk}/attach/"
    # P1: Eng has FullAccessPolicy, so attaching CVM_only beside it changes nothing yet...
    html = client.post(url, {"department": eng.pk, "preview": "1"}).content.decode()
    assert f'data-member="{engineer.account.uin}"' not in html
    assert not PolicyAttachment.objects.filter(policy=cvm).exists()  # a preview only
    client.post(url, {"department": eng.pk})
    assert PolicyAttachment.objects.filter(policy=cvm, department=eng).exists()
    # ...and detaching FullAccessPolicy from Eng previews what the engineer would lose
    detach = f"/policies/{full.pk}/detach/"
    response = client.post(detach, {"department": eng.pk, "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    row = html.split(f'data-member="{engineer.account.uin}"')[1].split("</tr>")[0]
    assert "Cloud Block Storage" in row and "Cloud Virtual Machine" not in row
    assert PolicyAttachment.objects.filter(policy=full, department=eng).exists()
    client.post(detach, {"department": eng.pk})
    assert not PolicyAttachment.objects.filter(policy=full, department=eng).exists()
    # attaching it again previews the products coming back
    html = client.post(
        f"/policies/{full.pk}/attach/", {"department": eng.pk, "preview": "1"}
    ).content.decode()
    assert "Would gain" in html and "Cloud Block Storage" in html
    response = client.post(url, {"member_uin": "999999999999", "preview": "1"})
    assert response.status_code == 422 and "No member" in response.content.decode()


# ------------------------------------------------------------------ A1/P2: sub-users


@pytest.fixture
def buyer(engineer):
    """A resource-manager sub-user of the engineer's account."""
    from tests.factories import sub_user

    return sub_user(engineer.account, org_services.RESOURCE_MANAGER_GROUP)


def test_a1_sub_user_with_only_cvm_buys_cvm_and_is_refused_cbs(engineer, buyer):
    users.sub_user_set_products(
        user=buyer, all_products=False, products=[product("p_cvm")], acting_user=engineer
    )
    buyer.refresh_from_db()
    buy(buyer, "S5.SMALL2")
    with pytest.raises(DomainError, match="may not use Cloud Block Storage"):
        buy(buyer, "PREMIUM-100")
    buy(engineer, "PREMIUM-100")  # the owner is not limited by grants


def test_p2_owner_cannot_grant_a_product_outside_its_policy(cvm_only, engineer, buyer):
    with pytest.raises(DomainError) as refused:
        users.sub_user_set_products(
            user=buyer, all_products=False, products=[product("p_cbs")], acting_user=engineer
        )
    assert "department Eng" in refused.value.message
    users.sub_user_set_products(
        user=buyer, all_products=False, products=[product("p_cvm")], acting_user=engineer
    )
    with pytest.raises(DomainError, match="Not every product may be granted"):
        users.sub_user_set_products(
            user=buyer, all_products=True, products=[], acting_user=engineer
        )
    assert AuditRecord.objects.filter(action="user.products", target_account=engineer.account)


def test_p2_tightening_a_policy_blocks_grants_without_removing_them(
    org, admin, eng, engineer, buyer
):
    users.sub_user_set_products(
        user=buyer,
        all_products=False,
        products=[product("p_cvm"), product("p_cbs")],
        acting_user=engineer,
    )
    cvm = scp.policy_create(
        organization=org, name="CVM_only", products=[product("p_cvm")], acting_user=admin
    )
    scp.policy_attach(policy=cvm, department=eng, acting_user=admin)
    full = org.policies.get(preset=True)  # P1: CVM_only replaces Eng's FullAccessPolicy
    scp.policy_detach(policy=full, department=eng, acting_user=admin)
    buyer.refresh_from_db()
    assert [p.code for p in policies.blocked_grants(buyer)] == ["p_cbs"]
    assert buyer.products.count() == 2  # nothing removed silently
    with pytest.raises(DomainError, match="department Eng"):
        buy(buyer, "PREMIUM-100")


def test_only_the_owner_sets_product_permissions(engineer, buyer):
    with pytest.raises(DomainError, match="Only the account owner"):
        users.sub_user_set_products(user=buyer, all_products=True, products=[], acting_user=buyer)


# ------------------------------------------------------------------ P1: every target keeps a policy


def test_p1_detaching_the_last_policy_of_root_is_refused(client, org, admin, eng):
    root = org.departments.get(depth=0)
    full = org.policies.get(preset=True)
    with pytest.raises(DomainError) as refused:
        scp.policy_detach(policy=full, department=root, acting_user=admin)
    assert refused.value.code == "FailedOperation.OrganizationDetachLastPolicyError"
    assert PolicyAttachment.objects.filter(policy=full, department=root).exists()
    client.force_login(admin)
    response = client.post(f"/policies/{full.pk}/detach/", {"department": root.pk})
    assert response.status_code == 422
    assert "last policy attached to Root" in response.content.decode()
    assert PolicyAttachment.objects.filter(policy=full, department=root).exists()
    response = client.post(f"/policies/{full.pk}/detach/", {"department": root.pk, "preview": "1"})
    assert "last policy attached to Root" in response.content.decode()  # the dry run says so
    assert not AuditRecord.objects.filter(action="policy.detach").exists()


def test_p1_a_member_keeps_at_least_one_policy_too(org, admin, eng, engineer):
    full = org.policies.get(preset=True)
    with pytest.raises(DomainError, match="last policy attached to member engineer"):
        scp.policy_detach(policy=full, account=engineer.account, acting_user=admin)
    deny = scp.policy_create(
        organization=org,
        name="No_CVM",
        effect=PolicyEffect.DENY,
        products=[product("p_cvm")],
        acting_user=admin,
    )
    scp.policy_attach(policy=deny, account=engineer.account, acting_user=admin)
    scp.policy_detach(policy=full, account=engineer.account, acting_user=admin)  # one remains
    assert list(PolicyAttachment.objects.filter(account=engineer.account)) == [
        deny.attachments.get()
    ]


def test_p1_new_departments_and_members_get_full_access_while_enabled(client, org, admin, eng):
    """TCO binds FullAccessPolicy to every department and member created or joined while the
    type is enabled; the explainer shows it at each level and evaluation allows everything."""
    full = org.policies.get(preset=True)
    assert PolicyAttachment.objects.filter(policy=full, department=eng).exists()
    newcomer = join(org, admin, name="newcomer", department=eng)
    made = org_services.member_create(
        organization=org,
        acting_user=admin,
        name="made",
        username="made-here",
        password="Created-pw-2026",
        department=eng,
    )
    for account in (newcomer.account, made.account):
        assert PolicyAttachment.objects.filter(policy=full, account=account).exists()
        membership = Membership.objects.select_related("department").get(account=account)
        levels = policies.levels_for(membership)
        assert [[p.name for p in lv.policies] for lv in levels] == [["FullAccessPolicy"]] * 3
    client.force_login(admin)
    html = client.get(f"/members/{newcomer.account.uin}/policy/").content.decode()
    levels = html.split('data-testid="policy-levels"')[1].split("</ol>")[0]
    assert levels.count("FullAccessPolicy") == 3
    assert 'data-allowed="0"' not in html
    fund(newcomer, "1000.00", newcomer)
    buy(newcomer, "PREMIUM-100")


def test_p1_enabling_binds_full_access_to_every_department_and_member(catalog, org, admin):
    root = org.departments.get(depth=0)
    early = org_services.department_create(
        organization=org, parent=root, name="Early", acting_user=admin
    )
    member = join(org, admin, name="early-bird", department=early)
    scp.policy_type_enable(organization=org, acting_user=admin)
    full = org.policies.get(preset=True)
    targets = set(full.attachments.values_list("department_id", "account_id"))
    assert targets == {(root.pk, None), (early.pk, None), (None, member.account_id)}
    assert not PolicyAttachment.objects.filter(account=org.admin_account).exists()
    # re-enabling binds only targets left without a policy (made while disabled)
    scp.policy_type_disable(organization=org, acting_user=admin)
    late = org_services.department_create(
        organization=org, parent=root, name="Late", acting_user=admin
    )
    scp.policy_type_enable(organization=org, acting_user=admin)
    assert full.attachments.count() == 4
    assert full.attachments.filter(department=late).exists()
