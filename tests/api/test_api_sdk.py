"""Issue 15: the official `tencentcloud-sdk-python-organization` drives the console through
`POST /` (TC3-HMAC-SHA256): DescribeOrganization, DescribeOrganizationNodes and
DescribeOrganizationMembers, the error envelope, and signature failures."""

import hashlib
import json
import time

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.organization.v20210331 import models, organization_client

from organizations import services
from organizations.models import ApiKey, ApiKeyStatus, Department
from tco_console.api import signature
from tco_console.api.errors import ApiError
from tco_console.secrets import encrypt
from tests.factories import join, sub_user

pytestmark = pytest.mark.django_db(transaction=True)


def make_key(user, secret_key="s3cret-key-for-tests-0123456789ab"):
    sid = f"AKID{user.pk:032d}"
    ApiKey.objects.create(user=user, secret_id=sid, secret_key_encrypted=encrypt(secret_key))
    return sid, secret_key


def client_for(live_server, sid, secret_key, language="en-US"):
    endpoint = live_server.url.removeprefix("http://")
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http"))
    profile.language = language
    return organization_client.OrganizationClient(
        credential.Credential(sid, secret_key), "", profile
    )


def call(models_module, api, action, **fields):
    """`api.<action>(<action>Request with fields)`, for either API version's models."""
    req = getattr(models_module, f"{action}Request")()
    for name, value in fields.items():
        setattr(req, name, value)
    return getattr(api, action)(req)


def error_code(models_module, api, action, **fields) -> str:
    with pytest.raises(TencentCloudSDKException) as error:
        call(models_module, api, action, **fields)
    return error.value.code


@pytest.fixture
def api(live_server, org, admin):
    return client_for(live_server, *make_key(admin))


def test_describe_organization_as_the_admin(api, org, admin):
    resp = api.DescribeOrganization(models.DescribeOrganizationRequest())
    root = Department.objects.get(organization=org, parent__isnull=True)
    assert resp.OrgId == org.pk and resp.RootNodeId == root.pk
    assert resp.HostUin == int(org.admin_account.uin) and resp.IsManager is True
    assert resp.OrgPolicyType == "Financial" and resp.IsAllowQuit == "Denied"
    assert resp.PayUin == "" and isinstance(resp.CreateTime, str)
    assert resp.RequestId


def test_describe_organization_as_a_pay_on_behalf_member(live_server, org, admin):
    member = join(org, admin, name="pob", payer=org.admin_account)
    api = client_for(live_server, *make_key(member))
    resp = api.DescribeOrganization(models.DescribeOrganizationRequest())
    assert resp.IsManager is False and resp.PayUin == org.admin_account.uin
    assert [p.Id for p in resp.OrgPermission] == [1, 2, 7]
    assert resp.OrgPermission[0].Name == "View bills"


def test_an_outsider_gets_organization_not_exist(live_server, outsider):
    api = client_for(live_server, *make_key(outsider))
    with pytest.raises(TencentCloudSDKException) as error:
        api.DescribeOrganization(models.DescribeOrganizationRequest())
    assert error.value.code == "ResourceNotFound.OrganizationNotExist"
    assert error.value.requestId


def test_members_and_nodes_page_like_tco(api, org, admin):
    root = Department.objects.get(organization=org, parent__isnull=True)
    ops = services.department_create(organization=org, parent=root, name="Ops", acting_user=admin)
    for i in range(3):
        join(org, admin, name=f"m-{i}", department=ops)
    req = models.DescribeOrganizationMembersRequest()
    req.Limit, req.Offset = 2, 0
    first = api.DescribeOrganizationMembers(req)
    assert first.Total == 4 and len(first.Items) == 2  # the admin and three members
    req.Offset = 2
    second = api.DescribeOrganizationMembers(req)
    names = [m.Name for m in first.Items + second.Items]
    assert sorted(names, key=str.lower) == names and len(set(names)) == 4
    member = next(m for m in second.Items + first.Items if m.Name == "m-0")
    assert member.NodeId == ops.pk and member.NodeName == "Ops"
    assert member.MemberType == "Invite" and member.PermissionStatus == "Confirmed"
    req = models.DescribeOrganizationMembersRequest()
    req.Limit, req.Offset, req.NodeId = 10, 0, ops.pk
    assert api.DescribeOrganizationMembers(req).Total == 3
    req = models.DescribeOrganizationNodesRequest()
    req.Limit, req.Offset = 10, 0
    nodes = api.DescribeOrganizationNodes(req)
    assert nodes.Total == 2
    assert [(n.Name, n.ParentNodeId) for n in nodes.Items] == [("Root", 0), ("Ops", root.pk)]


@pytest.mark.parametrize(
    ("limit", "offset", "code"),
    [
        (0, 0, "InvalidParameterValue"),
        (51, 0, "InvalidParameterValue"),
        (10, 5, "InvalidParameterValue"),
    ],
)
def test_paging_limits_are_tcos(api, limit, offset, code):
    req = models.DescribeOrganizationMembersRequest()
    req.Limit, req.Offset = limit, offset
    with pytest.raises(TencentCloudSDKException) as error:
        api.DescribeOrganizationMembers(req)
    assert error.value.code == code


def test_a_member_may_not_list_the_organization(live_server, org, admin):
    member = join(org, admin, name="plain")
    api = client_for(live_server, *make_key(member))
    req = models.DescribeOrganizationMembersRequest()
    req.Limit, req.Offset = 10, 0
    with pytest.raises(TencentCloudSDKException) as error:
        api.DescribeOrganizationMembers(req)
    assert error.value.code == "UnauthorizedOperation"


def test_a_read_only_sub_user_reads_the_organization(live_server, org, admin):
    reader = sub_user(admin.account, services.READ_ONLY_GROUP)
    api = client_for(live_server, *make_key(reader))
    assert api.DescribeOrganization(models.DescribeOrganizationRequest()).OrgId == org.pk


def test_wrong_secret_disabled_key_and_deactivated_user_are_refused(live_server, org, admin):
    sid, secret = make_key(admin)
    with pytest.raises(TencentCloudSDKException) as error:
        client_for(live_server, sid, "not-the-secret").DescribeOrganization(
            models.DescribeOrganizationRequest()
        )
    assert error.value.code == "AuthFailure.SignatureFailure"
    with pytest.raises(TencentCloudSDKException) as error:
        client_for(live_server, "AKIDUNKNOWN", secret).DescribeOrganization(
            models.DescribeOrganizationRequest()
        )
    assert error.value.code == "AuthFailure.SecretIdNotFound"
    ApiKey.objects.filter(secret_id=sid).update(status=ApiKeyStatus.DISABLED)
    with pytest.raises(TencentCloudSDKException) as error:
        client_for(live_server, sid, secret).DescribeOrganization(
            models.DescribeOrganizationRequest()
        )
    assert error.value.code == "AuthFailure.SecretIdNotFound"
    ApiKey.objects.filter(secret_id=sid).update(status=ApiKeyStatus.ENABLED)
    type(admin).objects.filter(pk=admin.pk).update(is_active=False)
    with pytest.raises(TencentCloudSDKException) as error:
        client_for(live_server, sid, secret).DescribeOrganization(
            models.DescribeOrganizationRequest()
        )
    assert error.value.code == "AuthFailure.SecretIdNotFound"


def test_the_key_records_its_last_use(api, admin):
    api.DescribeOrganization(models.DescribeOrganizationRequest())
    key = ApiKey.objects.get(user=admin)
    assert key.last_used_at is not None and key.last_used_action == "DescribeOrganization"


# ------------------------------------------------------------------ raw requests


def _signed(
    client,
    sid,
    secret,
    body: bytes,
    *,
    action="DescribeOrganization",
    ts=None,
    content_type="application/json",
    tamper=None,
):
    ts = str(ts if ts is not None else int(time.time()))
    date = time.strftime("%Y-%m-%d", time.gmtime(int(ts)))
    host = "testserver"
    sig = signature.signature_of(
        secret_key=secret,
        method="POST",
        query="",
        headers={"content-type": content_type, "host": host},
        signed_headers=("content-type", "host"),
        body=body,
        timestamp=ts,
        date=date,
    )
    auth = (
        f"TC3-HMAC-SHA256 Credential={sid}/{date}/organization/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={sig}"
    )
    return client.generic(
        "POST",
        "/",
        tamper(body) if tamper else body,
        content_type=content_type,
        HTTP_HOST=host,
        HTTP_AUTHORIZATION=auth,
        HTTP_X_TC_ACTION=action,
        HTTP_X_TC_VERSION="2021-03-31",
        HTTP_X_TC_TIMESTAMP=ts,
    )


def _code(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return json.loads(response.content)["Response"].get("Error", {}).get("Code")


def test_signature_failures_each_have_their_code(client, org, admin):
    sid, secret = make_key(admin)
    assert _code(_signed(client, sid, secret, b"{}")) is None
    assert _code(_signed(client, sid, secret, b"{}", tamper=lambda b: b'{"Lang":"en"}')) == (
        "AuthFailure.SignatureFailure"
    )
    assert _code(_signed(client, sid, secret, b"{}", ts=int(time.time()) - 301)) == (
        "AuthFailure.SignatureExpire"
    )
    assert _code(_signed(client, sid, secret, b"{}", content_type="text/plain")) == (
        "InvalidParameter"
    )
    bad = client.post(
        "/",
        b"{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer x",
        HTTP_X_TC_ACTION="DescribeOrganization",
        HTTP_X_TC_VERSION="2021-03-31",
        HTTP_X_TC_TIMESTAMP=str(int(time.time())),
    )
    assert _code(bad) == "AuthFailure.InvalidAuthorization"
    assert _code(_signed(client, sid, secret, b"{}", action="NoSuchThing")) == "InvalidAction"
    assert _code(_signed(client, sid, secret, b'{"Bogus": 1}')) == "UnknownParameter"
    assert _code(_signed(client, sid, secret, b"not json")) == "InvalidParameter"
    assert hashlib.sha256(b"{}").hexdigest()  # the empty request is "{}"


def test_the_console_overview_still_answers_get_and_refuses_other_posts(client, admin):
    client.force_login(admin)
    assert client.get("/").status_code == 200
    assert client.post("/", {}).status_code == 405


# ------------------------------------------------------------------ nodes (writes)


def test_nodes_are_added_renamed_moved_into_and_deleted_through_the_console_services(
    api, org, admin
):
    from organizations.models import AuditRecord, Membership

    root = Department.objects.get(organization=org, parent__isnull=True)
    req = models.AddOrganizationNodeRequest()
    req.ParentNodeId, req.Name = root.pk, "Platform"
    tag = models.Tag()
    tag.TagKey, tag.TagValue = "team", "infra"
    req.Tags = [tag]
    node_id = api.AddOrganizationNode(req).NodeId
    node = Department.objects.get(pk=node_id)
    assert node.parent_id == root.pk and node.tag_set.as_dict() == {"team": "infra"}
    audit = AuditRecord.objects.filter(action="department.create").latest("pk")
    assert audit.changes["via"] == "api" and audit.changes["secret_id"].startswith("AKID")

    with pytest.raises(TencentCloudSDKException) as error:
        api.AddOrganizationNode(req)  # the same name again
    assert error.value.code == "FailedOperation.OrganizationNodeNameUsed"

    upd = models.UpdateOrganizationNodeRequest()
    upd.NodeId, upd.Name = node_id, "Platform-Core"
    api.UpdateOrganizationNode(upd)
    assert Department.objects.get(pk=node_id).name == "Platform-Core"

    member = join(org, admin, name="mover")
    move = models.MoveOrganizationNodeMembersRequest()
    move.NodeId, move.MemberUin = node_id, [int(member.account.uin)]
    api.MoveOrganizationNodeMembers(move)
    assert Membership.objects.get(account=member.account).department_id == node_id

    delete = models.DeleteOrganizationNodesRequest()
    delete.NodeId = [node_id]
    with pytest.raises(TencentCloudSDKException) as error:
        api.DeleteOrganizationNodes(delete)
    assert error.value.code == "FailedOperation.NodeNotEmpty"
    move.NodeId = root.pk
    api.MoveOrganizationNodeMembers(move)
    api.DeleteOrganizationNodes(delete)
    assert not Department.objects.filter(pk=node_id).exists()


def test_node_writes_refuse_bad_input_and_other_organizations_nodes(api, org, admin):
    from tests.factories import make_org

    other_org, _other_admin = make_org()
    foreign = Department.objects.get(organization=other_org, parent__isnull=True)
    req = models.AddOrganizationNodeRequest()
    req.ParentNodeId, req.Name = foreign.pk, "Sneaky"
    with pytest.raises(TencentCloudSDKException) as error:
        api.AddOrganizationNode(req)
    assert error.value.code == "InvalidParameter.OrganizationNodeNotExist"
    root = Department.objects.get(organization=org, parent__isnull=True)
    req.ParentNodeId, req.Name = root.pk, "x" * 41
    with pytest.raises(TencentCloudSDKException) as error:
        api.AddOrganizationNode(req)
    assert error.value.code == "InvalidParameterValue"
    req.Name = None
    with pytest.raises(TencentCloudSDKException) as error:
        api.AddOrganizationNode(req)
    assert error.value.code == "MissingParameter"
    delete = models.DeleteOrganizationNodesRequest()
    delete.NodeId = [root.pk]
    with pytest.raises(TencentCloudSDKException) as error:
        api.DeleteOrganizationNodes(delete)
    assert error.value.code == "InvalidParameter"
    move = models.MoveOrganizationNodeMembersRequest()
    move.NodeId, move.MemberUin = root.pk, [999999999999]
    with pytest.raises(TencentCloudSDKException) as error:
        api.MoveOrganizationNodeMembers(move)
    assert error.value.code == "FailedOperation.SomeUinsNotInOrganization"
    assert Department.objects.filter(organization=org).count() == 1


def test_a_read_only_user_cannot_write(live_server, org, admin):
    reader = sub_user(admin.account, services.READ_ONLY_GROUP)
    api = client_for(live_server, *make_key(reader))
    req = models.AddOrganizationNodeRequest()
    req.ParentNodeId = Department.objects.get(organization=org, parent__isnull=True).pk
    req.Name = "Nope"
    with pytest.raises(TencentCloudSDKException) as error:
        api.AddOrganizationNode(req)
    assert error.value.code == "UnauthorizedOperation"


# ------------------------------------------------------------------ rate limit


def test_requests_past_tcos_rate_are_refused_per_key_and_action(client, org, admin):
    from organizations.models import ApiRateWindow
    from tco_console.api import ratelimit

    sid, _secret = make_key(admin)
    now = time.time()
    ApiRateWindow.objects.create(
        secret_id=sid, action="DescribeOrganizationNodes", second=int(now), count=20
    )
    ApiRateWindow.objects.create(
        secret_id=sid, action="DescribeOrganization", second=int(now), count=39
    )
    with pytest.raises(ApiError) as error:
        ratelimit.count(sid, "DescribeOrganizationNodes", now=now)
    assert error.value.code == "RequestLimitExceeded"
    ratelimit.count(sid, "DescribeOrganization", now=now)  # the 40th: allowed
    with pytest.raises(ApiError):
        ratelimit.count(sid, "DescribeOrganization", now=now)
    ratelimit.count(sid, "DescribeOrganizationNodes", now=now + 1)  # a new second
    ratelimit.count("AKIDOTHER", "DescribeOrganizationNodes", now=now)  # another key


def test_old_rate_windows_are_pruned(db):
    from organizations.models import ApiRateWindow
    from organizations.tasks import prune_api_rate_windows

    ApiRateWindow.objects.create(secret_id="a", action="x", second=int(time.time()) - 120)
    ApiRateWindow.objects.create(secret_id="a", action="x", second=int(time.time()))
    assert prune_api_rate_windows.call() == 1
    assert ApiRateWindow.objects.count() == 1


# ------------------------------------------------------------------ members (writes)


def test_invite_update_and_remove_a_member_through_the_console_services(
    live_server, api, org, admin
):
    from organizations.models import Invitation, Membership, PermissionChange
    from tests.factories import UserFactory

    root = Department.objects.get(organization=org, parent__isnull=True)
    invitee = UserFactory(account__entity=org.admin_account.entity)
    req = models.InviteOrganizationMemberRequest()
    req.MemberUin, req.Name, req.NodeId = int(invitee.account.uin), "api-invited", root.pk
    req.PolicyType, req.PermissionIds, req.IsAllowQuit = "Financial", [1, 2], "Allow"
    api.InviteOrganizationMember(req)
    invitation = Invitation.objects.get(invitee=invitee.account)
    assert invitation.name == "api-invited"
    with pytest.raises(TencentCloudSDKException) as error:
        api.InviteOrganizationMember(req)  # a second pending invitation
    assert error.value.code.startswith("FailedOperation")
    services.invitation_accept(invitation=invitation, acting_user=invitee)

    upd = models.UpdateOrganizationMemberRequest()
    upd.MemberUin, upd.Remark = int(invitee.account.uin), "from the API"
    upd.PolicyType, upd.PermissionIds = "Financial", [1, 2, 8]
    api.UpdateOrganizationMember(upd)
    m = Membership.objects.get(account=invitee.account)
    assert m.remark == "from the API" and m.permissions == [1, 2]  # F17: awaits consent
    assert PermissionChange.objects.get(account=invitee.account).new_permissions == [1, 2, 8]
    with pytest.raises(TencentCloudSDKException) as error:
        api.UpdateOrganizationMember(upd)
    assert error.value.code == "FailedOperation.ChangePermissionRecordExist"

    delete = models.DeleteOrganizationMembersRequest()
    delete.MemberUin = [int(org.admin_account.uin)]
    with pytest.raises(TencentCloudSDKException) as error:
        api.DeleteOrganizationMembers(delete)
    assert error.value.code == "FailedOperation.DisableQuitSelfCreatedOrganization"
    delete.MemberUin = [int(invitee.account.uin)]
    api.DeleteOrganizationMembers(delete)
    assert not Membership.objects.filter(account=invitee.account).exists()


def test_member_writes_validate_like_tco(api, org):
    root = Department.objects.get(organization=org, parent__isnull=True)
    req = models.InviteOrganizationMemberRequest()
    req.MemberUin, req.Name, req.NodeId = 999999999999, "ghost", root.pk
    req.PolicyType, req.PermissionIds = "Financial", [1, 2]
    with pytest.raises(TencentCloudSDKException) as error:
        api.InviteOrganizationMember(req)
    assert error.value.code.startswith(("ResourceNotFound", "InvalidParameter", "Failed"))
    req.PolicyType = "Other"
    with pytest.raises(TencentCloudSDKException) as error:
        api.InviteOrganizationMember(req)
    assert error.value.code == "FailedOperation.OrganizationPolicyIllegal"
    upd = models.UpdateOrganizationMemberRequest()
    upd.MemberUin = 123
    with pytest.raises(TencentCloudSDKException) as error:
        api.UpdateOrganizationMember(upd)
    assert error.value.code == "ResourceNotFound.MemberNotExist"


# ------------------------------------------------------------------ organization lifecycle


def test_create_quit_and_delete_an_organization_through_the_api(live_server, catalog):
    from organizations.models import Membership, Organization
    from tests.factories import EntityFactory, UserFactory

    owner = UserFactory(account__entity=EntityFactory())
    api = client_for(live_server, *make_key(owner))
    created = api.CreateOrganization(models.CreateOrganizationRequest())
    org = Organization.objects.get(pk=created.OrgId)
    assert org.admin_account == owner.account and created.NickName == owner.account.name
    with pytest.raises(TencentCloudSDKException) as error:
        api.CreateOrganization(models.CreateOrganizationRequest())
    assert error.value.code == "FailedOperation.OrganizationExistAlready"

    root = Department.objects.get(organization=org, parent__isnull=True)
    req = models.CreateOrganizationMemberRequest()
    req.Name, req.PolicyType, req.PermissionIds = "made", "Financial", [1, 2]
    req.NodeId, req.AccountName = root.pk, "made-by-api"
    tag = models.Tag()
    tag.TagKey, tag.TagValue = "env", "prod"
    req.Tags = [tag]
    uin = api.CreateOrganizationMember(req).Uin
    made = Membership.objects.get(account__uin=str(uin))
    assert made.member_type == "created" and made.tag_set.as_dict() == {"env": "prod"}

    quitter = join(org, owner, name="leaver", allow_quit=True)
    quit_api = client_for(live_server, *make_key(quitter))
    quit_req = models.QuitOrganizationRequest()
    quit_req.OrgId = org.pk
    quit_api.QuitOrganization(quit_req)
    assert not Membership.objects.filter(account=quitter.account).exists()

    with pytest.raises(TencentCloudSDKException) as error:
        api.DeleteOrganization(models.DeleteOrganizationRequest())
    assert error.value.code.startswith("FailedOperation")  # a created member remains


# ------------------------------------------------------------------ response models


def unset_fields(model, path="") -> list[str]:
    """Every field of an SDK response model (and of the models inside it) the answer left
    unset: `_deserialize` leaves a documented field None when the server did not send it."""
    from tencentcloud.common.abstract_model import AbstractModel

    missing = []
    for name, value in vars(model).items():
        if not name.startswith("_"):
            continue
        field = name[1:]
        if value is None:
            missing.append(f"{path}{field}")
        elif isinstance(value, AbstractModel):
            missing += unset_fields(value, f"{path}{field}.")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, AbstractModel):
                    missing += unset_fields(item, f"{path}{field}[].")
    return missing


def test_responses_fill_every_documented_field(api, org, admin):
    join(org, admin, name="someone", payer=org.admin_account)
    tag_holder = Department.objects.get(organization=org, parent__isnull=True)
    services.department_tags_set(department=tag_holder, pairs=[["k", "v"]], acting_user=admin)
    answers = [api.DescribeOrganization(models.DescribeOrganizationRequest())]
    req = models.DescribeOrganizationMembersRequest()
    req.Limit, req.Offset = 10, 0
    answers.append(api.DescribeOrganizationMembers(req))
    req = models.DescribeOrganizationNodesRequest()
    req.Limit, req.Offset = 10, 0
    answers.append(api.DescribeOrganizationNodes(req))
    problems = [f"{type(a).__name__}: {f}" for a in answers for f in unset_fields(a)]
    assert problems == []
    member = next(m for m in answers[1].Items if m.Name == "someone")
    assert isinstance(member.MemberUin, int) and isinstance(member.NodeId, int)
    assert isinstance(member.OrgPermission[0].Id, int) and isinstance(member.Name, str)


def test_a_batch_removal_is_refused_whole_when_one_member_cannot_leave(api, org, admin):
    from organizations.models import Membership

    free = join(org, admin, name="free-to-go")
    paid_for = join(org, admin, name="paid-for", payer=org.admin_account)
    delete = models.DeleteOrganizationMembersRequest()
    delete.MemberUin = [int(free.account.uin), int(paid_for.account.uin)]
    with pytest.raises(TencentCloudSDKException) as error:
        api.DeleteOrganizationMembers(delete)
    assert error.value.code == "FailedOperation.MemberExistDelegatePayerNotAllowDelete"
    assert Membership.objects.filter(account=free.account).exists()  # nothing half-done


def test_members_and_nodes_filter_by_tags_as_the_console_does(api, org, admin):
    from organizations.models import Membership

    tagged = join(org, admin, name="tagged")
    join(org, admin, name="untagged")
    services.member_tags_set(
        membership=Membership.objects.get(account=tagged.account),
        pairs=[["team", "infra"]],
        acting_user=admin,
    )
    req = models.DescribeOrganizationMembersRequest()
    req.Limit, req.Offset = 10, 0
    tag = models.Tag()
    tag.TagKey = "team"  # any value
    req.Tags = [tag]
    assert [m.Name for m in api.DescribeOrganizationMembers(req).Items] == ["tagged"]
    tag.TagValue = "data"
    assert api.DescribeOrganizationMembers(req).Total == 0
    nodes = models.DescribeOrganizationNodesRequest()
    nodes.Limit, nodes.Offset, nodes.Tags = 10, 0, [tag]
    assert api.DescribeOrganizationNodes(nodes).Total == 0
