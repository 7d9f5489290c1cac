"""Issue 15, P1–P3 through the official SDK: enable the type, create a policy from CAM-syntax
Content, attach it to a node and a member, read it back in every list, see the member's
effective policy, detach and delete, and the refusals in between."""

import json

import pytest
from tencentcloud.organization.v20210331 import models

from organizations.models import AuditRecord, Department, ServiceControlPolicy
from tests.api.test_api_sdk import call, client_for, error_code, make_key
from tests.factories import join

pytestmark = pytest.mark.django_db(transaction=True)
DENY_CVM = json.dumps(
    {"version": "2.0", "statement": [{"effect": "deny", "action": ["cvm:*"], "resource": "*"}]}
)


def _call(api, action, **fields):
    return call(models, api, action, **fields)


def _code(api, action, **fields):
    return error_code(models, api, action, **fields)


def test_policies_from_enable_to_delete(live_server, catalog, org, admin):
    api = client_for(live_server, *make_key(admin))
    member = join(org, admin, name="dev")
    uin = int(member.account.uin)
    root = Department.objects.get(organization=org, parent__isnull=True)

    assert _call(api, "DescribePolicyConfig", OrganizationId=org.pk).Status == 0
    assert _code(
        api, "CreatePolicy", Name="NoCvm", Content=DENY_CVM, Type="SERVICE_CONTROL_POLICY"
    ) == ("FailedOperation.OrganizationPolicyIsNotEnabled")
    _call(api, "EnablePolicyType", OrganizationId=org.pk, PolicyType="SERVICE_CONTROL_POLICY")
    assert _call(api, "DescribePolicyConfig", OrganizationId=org.pk).Status == 1
    assert _code(
        api, "EnablePolicyType", OrganizationId=org.pk, PolicyType="SERVICE_CONTROL_POLICY"
    ) == ("FailedOperation.OrganizationPolicyIsNotDisabled")

    pid = _call(
        api, "CreatePolicy", Name="NoCvm", Content=DENY_CVM, Type="SERVICE_CONTROL_POLICY"
    ).PolicyId
    policy = ServiceControlPolicy.objects.get(pk=pid)
    assert policy.effect == "deny" and [p.code for p in policy.products.all()] == ["p_cvm"]
    assert AuditRecord.objects.filter(action="policy.create").latest("pk").changes["via"] == "api"
    detail = _call(api, "DescribePolicy", PolicyId=pid)
    assert detail.Type == 1 and json.loads(detail.PolicyDocument)["statement"][0]["action"] == [
        "cvm:*"
    ]
    listed = _call(api, "ListPolicies", Rp=10, Page=1)
    assert {p.PolicyName for p in listed.List} == {"FullAccessPolicy", "NoCvm"}
    assert _call(api, "ListPolicies", Scope="Local").TotalNum == 1

    _call(api, "AttachPolicy", TargetId=uin, TargetType="MEMBER", PolicyId=pid)
    _call(api, "AttachPolicy", TargetId=root.pk, TargetType="NODE", PolicyId=pid)
    assert _code(api, "AttachPolicy", TargetId=uin, TargetType="MEMBER", PolicyId=pid).startswith(
        "FailedOperation"
    )
    targets = _call(api, "ListTargetsForPolicy", PolicyId=pid)
    assert {(t.RelatedType, t.Uin) for t in targets.List} == {(2, uin), (1, root.pk)}
    assert [t.NodePath for t in targets.List if t.RelatedType == 1] == [["Root"]]
    for_member = _call(api, "ListPoliciesForTarget", TargetId=uin)
    assert "NoCvm" in {x.StrategyName for x in for_member.List}
    effective = json.loads(
        _call(api, "DescribeEffectivePolicy", TargetId=uin).EffectivePolicy.PolicyContent
    )
    assert "cvm:*" not in effective["statement"][0]["action"]
    assert "cbs:*" in effective["statement"][0]["action"]

    assert _code(api, "DeletePolicy", PolicyId=pid) == "FailedOperation.OrganizationPolicyInUsed"
    _call(api, "UpdatePolicy", PolicyId=pid, Name="NoCvmAtAll")
    assert ServiceControlPolicy.objects.get(pk=pid).name == "NoCvmAtAll"
    _call(api, "DetachPolicy", TargetId=uin, TargetType="MEMBER", PolicyId=pid)
    _call(api, "DetachPolicy", TargetId=root.pk, TargetType="NODE", PolicyId=pid)
    _call(api, "DeletePolicy", PolicyId=pid)
    assert not ServiceControlPolicy.objects.filter(pk=pid).exists()
    assert _code(api, "DescribePolicy", PolicyId=pid) == "ResourceNotFound.PolicyNotExist"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("not json", "InvalidParameter.PolicyContentError"),
        ('{"version":"2.0","statement":[]}', "InvalidParameter.PolicyContentError"),
        ('{"statement":[{"effect":"maybe","action":["cvm:*"]}]}', "InvalidParameter.EffectError"),
        (
            '{"statement":[{"effect":"deny","action":["cvm:RunInstances"]}]}',
            "InvalidParameter.ActionError",
        ),
        (
            '{"statement":[{"effect":"deny","action":["nope:*"]}]}',
            "InvalidParameter.ActionServiceNotExist",
        ),
        (
            '{"statement":[{"effect":"deny","action":["cvm:*"],"resource":"qcs::cvm"}]}',
            "InvalidParameter.ResourceError",
        ),
        (
            '{"statement":[{"effect":"deny","action":["cvm:*"],"condition":{}}]}',
            "InvalidParameter.ConditionError",
        ),
    ],
)
def test_content_outside_the_console_model_is_refused(
    live_server, catalog, org, admin, content, code
):
    api = client_for(live_server, *make_key(admin))
    _call(api, "EnablePolicyType", OrganizationId=org.pk, PolicyType="SERVICE_CONTROL_POLICY")
    assert (
        _code(api, "CreatePolicy", Name="Bad", Content=content, Type="SERVICE_CONTROL_POLICY")
        == code
    )
    assert not ServiceControlPolicy.objects.filter(name="Bad").exists()


def test_tag_policies_and_other_organizations_are_refused(live_server, catalog, org, admin):
    from tests.factories import make_org

    api = client_for(live_server, *make_key(admin))
    other, _ = make_org()
    assert _code(api, "EnablePolicyType", OrganizationId=org.pk, PolicyType="TAG_POLICY") == (
        "InvalidParameter.ParamError"
    )
    assert _code(
        api, "EnablePolicyType", OrganizationId=other.pk, PolicyType="SERVICE_CONTROL_POLICY"
    ) == ("InvalidParameter.OrganizationNotExist")
    member = join(org, admin, name="plain")
    member_api = client_for(live_server, *make_key(member))
    assert _code(member_api, "ListPolicies") == "UnauthorizedOperation"
