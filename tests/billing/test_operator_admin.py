"""A3, B9: operators suspend and resume resources, and set credit limits, in the Django admin;
every such change goes through a service and is audited (A4)."""

import pytest
from django.core.management import call_command

from billing import services
from billing.models import Message, Resource, ResourceStatusChange, Wallet
from billing.models.choices import ResourceStatus, SuspendReason
from organizations.models import AuditRecord
from tests.billing.helpers import D, buy, fund
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return UserFactory(account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[])


@pytest.fixture
def resource(catalog, admin):
    fund(admin, "5000")
    order = buy(admin)
    return Resource.objects.get(pk=order.resource_id)


def _state(res):
    res.refresh_from_db()
    return res.status, res.suspended_reason


def _change(client, res, operation, reason=""):
    return client.post(
        f"/admin/billing/resource/{res.pk}/change/",
        {"operation": operation, "operation_reason": reason},
        follow=True,
    )


def _into_arrears(admin, res, operator):
    """Spend the cash on credit, then lower the credit limit: the account is in arrears."""
    services.wallet_set_credit_limit(account=admin.account, limit=D("100000"), acting_user=operator)
    while Wallet.objects.get(account=admin.account).cash >= 0:
        buy(admin, months=36)  # cash below zero, covered by credit
    services.wallet_set_credit_limit(account=admin.account, limit=D("0"), acting_user=operator)
    assert Wallet.objects.get(account=admin.account).in_arrears


def test_a3_operator_suspends_and_resumes_a_resource_in_the_admin(client, operator, resource):
    client.force_login(operator)
    response = _change(client, resource, "suspend", "abuse report #12")
    assert response.status_code == 200
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.OPERATOR)
    record = AuditRecord.objects.get(action="resource.operator_suspend")
    assert record.actor == operator and record.target_account == resource.owner
    assert "abuse report #12" in record.message
    notice = Message.objects.filter(resource=resource).latest("id")
    assert "suspended by an operator" in notice.title and notice.body == "abuse report #12"

    _change(client, resource, "resume")
    assert _state(resource) == (ResourceStatus.ACTIVE, "")
    assert AuditRecord.objects.filter(action="resource.operator_resume", actor=operator).exists()
    # B8: both changes are in the status history the usage meter reads.
    history = ResourceStatusChange.objects.filter(resource=resource).order_by("at", "id")
    assert [(h.status, h.suspended_reason) for h in history] == [
        (ResourceStatus.SUSPENDED, SuspendReason.OPERATOR),
        (ResourceStatus.ACTIVE, ""),
    ]


def test_a3_operator_suspends_selected_resources_with_the_list_action(client, operator, resource):
    client.force_login(operator)
    response = client.post(
        "/admin/billing/resource/",
        {"action": "suspend_selected", "_selected_action": [resource.pk]},
    )
    assert response.status_code == 302
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.OPERATOR)
    client.post(
        "/admin/billing/resource/", {"action": "resume_selected", "_selected_action": [resource.pk]}
    )
    assert _state(resource) == (ResourceStatus.ACTIVE, "")


def test_b9_operator_resume_does_not_lift_a_suspension_for_arrears(
    client, operator, admin, resource
):
    _into_arrears(admin, resource, operator)
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.ARREARS)
    client.force_login(operator)
    response = _change(client, resource, "resume")
    assert "in arrears" in response.content.decode()
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.ARREARS)
    assert not AuditRecord.objects.filter(action="resource.operator_resume").exists()


def test_b9_a_top_up_does_not_lift_an_operator_suspension(client, operator, admin, resource):
    _into_arrears(admin, resource, operator)
    client.force_login(operator)
    _change(client, resource, "suspend", "fraud check")  # the operator's reason wins
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.OPERATOR)
    fund(admin, "900000")  # out of arrears: arrears suspensions recover, not this one
    assert not Wallet.objects.get(account=admin.account).in_arrears
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.OPERATOR)
    _change(client, resource, "resume")
    assert _state(resource) == (ResourceStatus.ACTIVE, "")
    call_command("check_books")


def test_b9_operator_resume_in_arrears_leaves_it_suspended_for_arrears(
    client, operator, admin, resource
):
    client.force_login(operator)
    _change(client, resource, "suspend")
    _into_arrears(admin, resource, operator)
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.OPERATOR)
    _change(client, resource, "resume")
    assert _state(resource) == (ResourceStatus.SUSPENDED, SuspendReason.ARREARS)
    fund(admin, "900000")  # and a top-up now brings it back
    assert _state(resource) == (ResourceStatus.ACTIVE, "")


def test_a3_operator_cannot_suspend_a_terminated_resource_twice_or_at_all(
    client, operator, resource
):
    client.force_login(operator)
    _change(client, resource, "suspend")
    response = _change(client, resource, "suspend")
    assert "already suspended by an operator" in response.content.decode()
    Resource.objects.filter(pk=resource.pk).update(status=ResourceStatus.TERMINATED)
    response = _change(client, resource, "resume")
    assert "not suspended by an operator" in response.content.decode()
    assert _state(resource) == (ResourceStatus.TERMINATED, SuspendReason.OPERATOR)


def test_a3_operator_sets_a_credit_limit_on_an_account_that_never_moved_money(
    client, operator, admin
):
    assert not Wallet.objects.filter(account=admin.account).exists()
    client.force_login(operator)
    response = client.post(
        "/admin/billing/wallet/add/", {"account": admin.account.pk, "credit_limit": "300.00"}
    )
    assert response.status_code == 302
    wallet = Wallet.objects.get(account=admin.account)
    assert (wallet.cash, wallet.credit_limit) == (D("0.00"), D("300.00"))
    record = AuditRecord.objects.get(action="wallet.credit_limit")
    assert record.actor == operator and record.target_account == admin.account

    again = client.post(
        "/admin/billing/wallet/add/", {"account": admin.account.pk, "credit_limit": "900.00"}
    )
    assert again.status_code == 200  # the form refuses a second wallet; nothing changes
    assert Wallet.objects.get(account=admin.account).credit_limit == D("300.00")
    assert AuditRecord.objects.filter(action="wallet.credit_limit").count() == 1
