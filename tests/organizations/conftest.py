"""Fixtures for the policy and sub-user tests: an organization with policies enabled, a
department Eng, the seed's CVM-only policy, and a funded member in Eng (P1, P2)."""

import pytest

from organizations import services as org_services
from organizations.models import PolicyEffect
from organizations.services import policies as scp
from tests.billing.helpers import fund, product
from tests.factories import join


@pytest.fixture
def eng(catalog, org, admin):
    scp.policy_type_enable(organization=org, acting_user=admin)
    root = org.departments.get(depth=0)
    eng = org_services.department_create(
        organization=org, parent=root, name="Eng", acting_user=admin
    )
    return eng


@pytest.fixture
def cvm_only(org, admin, eng):
    policy = scp.policy_create(
        organization=org,
        name="CVM_only",
        effect=PolicyEffect.ALLOW,
        products=[product("p_cvm")],
        acting_user=admin,
    )
    scp.policy_attach(policy=policy, department=eng, acting_user=admin)
    # P1: Eng got FullAccessPolicy when it was made; CVM_only replaces it
    full = org.policies.get(preset=True)
    scp.policy_detach(policy=full, department=eng, acting_user=admin)
    return policy


@pytest.fixture
def engineer(org, admin, eng):
    user = join(org, admin, name="engineer", department=eng)
    fund(user, "5000.00", user)
    return user
