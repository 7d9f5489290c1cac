"""Helpers the organizations rule tests share (test_rules_*.py)."""

from organizations import services
from organizations.models import Department


def invite(org, admin, user, **kw):
    kw.setdefault("name", f"n-{user.account.uin[-6:]}")
    return services.invitation_send(organization=org, acting_user=admin, uin=user.account.uin, **kw)


def chain(org, admin, depth):
    """Departments L1 … L<depth> nested under Root; returns the deepest."""
    parent = Department.objects.get(organization=org, parent=None)
    for level in range(1, depth + 1):
        parent = services.department_create(
            organization=org, parent=parent, name=f"L{level}", acting_user=admin
        )
    return parent
