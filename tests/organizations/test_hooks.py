"""Issue 12, step B: organizations reaches billing only through organizations.hooks, which
billing implements and registers at start-up; with nothing registered a membership change
fails loudly instead of skipping billing's side of it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from billing.membership import BillingMembershipMoney
from organizations import hooks
from organizations import services as org_services
from organizations.models import Organization
from tests.factories import UserFactory


def test_billing_registers_its_implementation_at_start_up():
    assert isinstance(hooks.money(), BillingMembershipMoney)
    assert isinstance(hooks.money(), hooks.MembershipMoney)


def test_money_raises_when_nothing_is_registered(monkeypatch):
    monkeypatch.setattr(hooks, "_money", None)  # restored after the test
    with pytest.raises(ImproperlyConfigured):
        hooks.money()


def test_a_membership_change_without_billing_fails_and_rolls_back(monkeypatch, db):
    user = UserFactory()
    monkeypatch.setattr(hooks, "_money", None)
    with pytest.raises(ImproperlyConfigured):
        org_services.organization_create(account=user.account, acting_user=user)
    assert not Organization.objects.filter(admin_account=user.account).exists()


def test_register_refuses_what_does_not_implement_the_seam():
    with pytest.raises(TypeError):
        hooks.register(object())
    assert isinstance(hooks.money(), BillingMembershipMoney)  # the registration is untouched
