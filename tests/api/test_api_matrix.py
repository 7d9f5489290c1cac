"""Issue 15: the permission matrix of the API. Every action (both versions) for every role
answers as the console would: the admin's owner and managers act, read-only users read,
members and their sub-users see only what is theirs, outsiders see no organization, and no
answer names another organization's data. Driven through signed requests to the test client
(the SDK's own wire format is proven in test_api_sdk)."""

import json
import time

import pytest

from organizations import services
from organizations.models import Department
from tco_console.api import signature
from tco_console.api.endpoint import VERSIONS
from tests.api.test_api_sdk import make_key
from tests.factories import UserFactory, join, make_org, sub_user

pytestmark = pytest.mark.django_db

READS = {
    ("2021-03-31", "DescribeOrganization"): {},
    ("2021-03-31", "DescribeOrganizationNodes"): {"Limit": 10, "Offset": 0},
    ("2021-03-31", "DescribeOrganizationMembers"): {"Limit": 10, "Offset": 0},
    ("2021-03-31", "DescribeOrganizationFinancialByMember"): {"Month": "2026-01"},
    ("2021-03-31", "DescribeOrganizationFinancialByMonth"): {},
    ("2021-03-31", "DescribeOrganizationFinancialByProduct"): {"Month": "2026-01"},
    ("2021-03-31", "ListPolicies"): {},
    ("2018-12-25", "GetOrganization"): {},
    ("2018-12-25", "ListOrganizationNodes"): {},
    ("2018-12-25", "ListOrganizationMembers"): {},
    ("2018-12-25", "ListOrganizationInvitations"): {"Invited": 1},
}
# (role → expected error code or None for success) per read; the rest default to the row's
OK, NO_ORG, DENIED = None, "ResourceNotFound.OrganizationNotExist", "UnauthorizedOperation"
ROLES = ("admin", "orgmanager", "readonly", "member", "member_sub", "outsider")
ORG_WIDE = {
    "admin": OK,
    "orgmanager": OK,
    "readonly": OK,
    "member": DENIED,
    "member_sub": DENIED,
    "outsider": NO_ORG,
}
FINANCE = {**ORG_WIDE, "orgmanager": OK}
OWN = {
    "admin": OK,
    "orgmanager": OK,
    "readonly": OK,
    "member": OK,
    "member_sub": OK,
    "outsider": NO_ORG,
}
EXPECTED = {
    "DescribeOrganization": OWN,
    "GetOrganization": OWN,
    "ListOrganizationInvitations": {r: OK for r in ROLES},
    "DescribeOrganizationFinancialByMember": FINANCE,
    "DescribeOrganizationFinancialByMonth": FINANCE,
    "DescribeOrganizationFinancialByProduct": FINANCE,
}


def call(client, sid, secret, version, action, params):
    body = json.dumps(params).encode()
    ts = str(int(time.time()))
    date = time.strftime("%Y-%m-%d", time.gmtime(int(ts)))
    sig = signature.signature_of(
        secret_key=secret,
        method="POST",
        query="",
        headers={"content-type": "application/json", "host": "testserver"},
        signed_headers=("content-type", "host"),
        body=body,
        timestamp=ts,
        date=date,
    )
    response = client.generic(
        "POST",
        "/",
        body,
        content_type="application/json",
        HTTP_HOST="testserver",
        HTTP_AUTHORIZATION=(
            f"TC3-HMAC-SHA256 Credential={sid}/{date}/organization/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={sig}"
        ),
        HTTP_X_TC_ACTION=action,
        HTTP_X_TC_VERSION=version,
        HTTP_X_TC_TIMESTAMP=ts,
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return json.loads(response.content)["Response"]


@pytest.fixture
def world(db):
    org, admin = make_org()
    member = join(org, admin, name="the-member")
    join(org, admin, name="sibling-secret")
    org2, admin2 = make_org()
    join(org2, admin2, name="foreign-secret")
    users = {
        "admin": admin,
        "orgmanager": sub_user(admin.account, services.ORG_MANAGER_GROUP),
        "readonly": sub_user(admin.account, services.READ_ONLY_GROUP),
        "member": member,
        "member_sub": sub_user(member.account, services.RESOURCE_MANAGER_GROUP),
        "outsider": UserFactory(),
    }
    keys = {role: make_key(user) for role, user in users.items()}
    return {"org": org, "keys": keys, "foreign": ["foreign-secret", admin2.account.uin]}


def test_every_action_is_in_a_matrix_row_or_the_write_list():
    actions = {a for table in VERSIONS.values() for a in table}
    assert {a for _v, a in READS} | WRITE_ACTIONS == actions


@pytest.mark.parametrize("role", ROLES)
def test_reads_per_role_and_nothing_from_another_organization(client, world, role):
    sid, secret = world["keys"][role]
    failures = []
    for (version, action), params in READS.items():
        answer = call(client, sid, secret, version, action, params)
        want = EXPECTED.get(action, ORG_WIDE)[role]
        got = answer.get("Error", {}).get("Code")
        if got != want:
            failures.append(f"{action}: {got} != {want}")
        leaked = [s for s in world["foreign"] if s in json.dumps(answer)]
        if role != "outsider" and leaked:
            failures.append(f"{action}: leaks {leaked}")
        if role in ("member", "member_sub") and "sibling-secret" in json.dumps(answer):
            failures.append(f"{action}: a member sees its sibling")
    assert not failures, "\n".join(failures)


WRITE_ACTIONS = {
    "CreateOrganization",
    "DeleteOrganization",
    "QuitOrganization",
    "AddOrganizationNode",
    "UpdateOrganizationNode",
    "DeleteOrganizationNodes",
    "MoveOrganizationNodeMembers",
    "CreateOrganizationMember",
    "InviteOrganizationMember",
    "UpdateOrganizationMember",
    "DeleteOrganizationMembers",
    "EnablePolicyType",
    "DisablePolicyType",
    "DescribePolicyConfig",
    "CreatePolicy",
    "UpdatePolicy",
    "DeletePolicy",
    "DescribePolicy",
    "AttachPolicy",
    "DetachPolicy",
    "ListPoliciesForTarget",
    "ListTargetsForPolicy",
    "DescribeEffectivePolicy",
    "SendOrganizationInvitation",
    "AcceptOrganizationInvitation",
    "DenyOrganizationInvitation",
    "CancelOrganizationInvitation",
    "GetOrganizationMember",
}


@pytest.mark.parametrize("role", ["readonly", "member", "member_sub", "outsider"])
def test_writes_are_refused_to_everyone_but_the_admins_managers(client, world, role):
    sid, secret = world["keys"][role]
    root = Department.objects.get(organization=world["org"], parent__isnull=True)
    org_id = world["org"].pk
    writes = [
        ("AddOrganizationNode", {"ParentNodeId": root.pk, "Name": "x"}),
        ("UpdateOrganizationNode", {"NodeId": root.pk, "Name": "y"}),
        ("DeleteOrganizationNodes", {"NodeId": [root.pk]}),
        ("EnablePolicyType", {"OrganizationId": org_id, "PolicyType": "SERVICE_CONTROL_POLICY"}),
        ("CreatePolicy", {"Name": "p", "Content": "{}", "Type": "SERVICE_CONTROL_POLICY"}),
        ("DeleteOrganizationMembers", {"MemberUin": [1]}),
    ]
    for action, params in writes:
        code = call(client, sid, secret, "2021-03-31", action, params).get("Error", {}).get("Code")
        assert code in (DENIED, NO_ORG), (action, code)
    assert Department.objects.filter(organization=world["org"]).count() == 1
