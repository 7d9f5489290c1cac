"""A3: the Django admin serves operators; every registered model's pages load for them."""

import pytest
from django.contrib import admin
from django.urls import reverse

from billing.demo import seed_billing
from tests.factories import UserFactory, join, make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return UserFactory(account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[])


def test_a3_every_admin_page_loads_for_operators(client, operator, catalog):
    org, admin_user = make_org()
    selfpay = join(org, admin_user, name="member-selfpay", allow_quit=True)
    join(org, admin_user, name="member-pob", payer=org.admin_account)
    seed_billing(org, admin_user, selfpay_user=selfpay)
    client.force_login(operator)
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, info
        obj = model_admin.get_queryset(changelist.wsgi_request).first()
        if obj is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            assert client.get(change).status_code == 200, info
        if model_admin.has_add_permission(changelist.wsgi_request):
            assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info


def test_a3_the_admin_is_closed_to_console_users(client, admin):
    client.force_login(admin)
    response = client.get("/admin/billing/wallet/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a3_operator_tops_up_and_sets_credit_through_the_ledger(client, operator, catalog, admin):
    from django.core.management import call_command

    from billing.models import Journal, Wallet
    from organizations.models import AuditRecord

    client.force_login(operator)
    Wallet.objects.create(account=admin.account)
    response = client.post(
        f"/admin/billing/wallet/{admin.account.pk}/change/",
        {"credit_limit": "500.00", "top_up": "120.50"},
    )
    assert response.status_code == 302
    wallet = Wallet.objects.get(account=admin.account)
    assert (str(wallet.cash), str(wallet.credit_limit)) == ("120.50", "500.00")
    assert Journal.objects.filter(kind="topup", created_by=operator).count() == 1
    assert (
        AuditRecord.objects.filter(
            actor=operator, action__in=["wallet.top_up", "wallet.credit_limit"]
        ).count()
        == 2
    )
    call_command("check_books")
