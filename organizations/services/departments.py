"""Departments (O3): a tree under Root, at most `TCO_MAX_DEPARTMENT_DEPTH` levels deep.

Every change locks the organization row first (`organizations.locks`), so concurrent moves
cannot build a cycle or push a subtree too deep; each writes its audit record (A4).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record
from ..hooks import money
from ..locks import lock_org
from ..models import Department, Membership, Organization, PolicyAttachment, User
from .policies import bind_full_access
from .rules import _check_department_name, _depth_error


@transaction.atomic(durable=True)
def department_create(
    *, organization: Organization, parent: Department, name: str, acting_user: User
) -> Department:
    org = lock_org(organization)
    parent = Department.objects.get(pk=parent.pk, organization=org)
    name = _check_department_name(org, name)
    if parent.depth + 1 > settings.TCO_MAX_DEPARTMENT_DEPTH:
        raise _depth_error()
    dept = Department.objects.create(
        organization=org, parent=parent, name=name, depth=parent.depth + 1
    )
    dept.path = f"{parent.path}{dept.pk}/"
    dept.save(update_fields=["path"])
    bind_full_access(org, department=dept)  # P1
    audit_record(
        actor=acting_user,
        action="department.create",
        message=Msg(
            gettext_noop("Added department %(name)s under %(parent)s"),
            name=name,
            parent=parent.name,
        ),
        organization=org,
        obj=dept,
    )
    return dept


@transaction.atomic(durable=True)
def department_rename(*, department: Department, name: str, acting_user: User) -> Department:
    org = lock_org(department.organization)
    dept = Department.objects.get(pk=department.pk, organization=org)
    if dept.is_root:
        raise DomainError(_("The Root department cannot be renamed."), field="name")
    old = dept.name
    dept.name = _check_department_name(org, name, exclude_pk=dept.pk)
    dept.save(update_fields=["name"])
    audit_record(
        actor=acting_user,
        action="department.rename",
        message=Msg(gettext_noop("Renamed department %(old)s to %(new)s"), old=old, new=dept.name),
        organization=org,
        obj=dept,
        changes={"name": [old, dept.name]},
    )
    return dept


@transaction.atomic(durable=True)
def department_move(
    *, department: Department, new_parent: Department, acting_user: User
) -> Department:
    """O3: move under another parent, never under itself or a descendant, never past depth 5.

    The organization lock serializes concurrent moves, and the checks run on fresh rows inside
    it, so two moves racing can neither build a cycle nor push a subtree below level 5.
    """
    org = lock_org(department.organization)
    dept = Department.objects.get(pk=department.pk, organization=org)
    parent = Department.objects.get(pk=new_parent.pk, organization=org)
    if dept.is_root:
        raise DomainError(_("The Root department cannot be moved."), field="parent")
    if parent.path.startswith(dept.path):
        raise DomainError(
            _("A department cannot be moved under itself or one of its sub-departments."),
            field="parent",
        )
    if parent.pk == dept.parent_id:
        return dept
    subtree = list(Department.objects.subtree_of(dept).order_by("depth", "pk"))
    height = max(d.depth for d in subtree) - dept.depth
    if parent.depth + 1 + height > settings.TCO_MAX_DEPARTMENT_DEPTH:
        raise _depth_error()
    old_path, old_parent_name = dept.path, dept.parent.name
    new_path = f"{parent.path}{dept.pk}/"
    delta = parent.depth + 1 - dept.depth
    for node in subtree:
        node.path = new_path + node.path[len(old_path) :]
        node.depth += delta
        if node.pk == dept.pk:
            node.parent = parent
    Department.objects.bulk_update(subtree, ["path", "depth", "parent"])
    audit_record(
        actor=acting_user,
        action="department.move",
        message=Msg(
            gettext_noop("Moved department %(name)s from %(old)s to %(new)s"),
            name=dept.name,
            old=old_parent_name,
            new=parent.name,
        ),
        organization=org,
        obj=dept,
        changes={"parent": [old_parent_name, parent.name]},
    )
    return Department.objects.get(pk=dept.pk)


@transaction.atomic(durable=True)
def department_delete(*, department: Department, acting_user: User) -> None:
    """O3: Root is never deleted; a department only when it has no members and no children."""
    org = lock_org(department.organization)
    dept = Department.objects.select_for_update(no_key=False).get(  # deleted below
        pk=department.pk, organization=org
    )
    if dept.is_root:
        raise DomainError(_("The Root department cannot be deleted."))
    if Membership.objects.filter(department=dept).exists():
        raise DomainError(
            _("There are members in this department. Move them out before deleting it."),
            code="FailedOperation.NodeNotEmpty",
        )
    if Department.objects.filter(parent=dept).exists():
        raise DomainError(
            _("This department has sub-departments. Delete or move them first."),
            code="FailedOperation.OrganizationNodeNotEmpty",
        )
    audit_record(
        actor=acting_user,
        action="department.delete",
        message=Msg(gettext_noop("Deleted department %(name)s"), name=dept.name),
        organization=org,
        obj=dept,
    )
    money().department_deleted(dept.pk)
    PolicyAttachment.objects.filter(department=dept).delete()  # P1: they go with it
    dept.delete()
