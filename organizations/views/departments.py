"""Departments (O3): add, rename, move and delete, from the members page's department tree,
which each action refreshes (MEMBERS_CHANGED)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from tco_console.converters import parse_pk
from tco_console.viewkit import bound_data, confirm_view, form_view, require_admin

from .. import selectors, services
from ..forms import DepartmentCreateForm, DepartmentMoveForm, DepartmentRenameForm
from ..models import Department
from ..scoping import object_or_404
from ..templatetags.org_tags import department_tree
from .events import MEMBERS_CHANGED


def department_or_404(request, pk) -> Department:
    """A2: a department of the admin's own organization, else a 404 (then manage_org, else a
    403). The member and invitation forms pick their department through it too."""
    return object_or_404(Department.objects.all(), request, "change", pk=pk)


@login_required
def department_add(request):
    org = require_admin(request)
    form = DepartmentCreateForm(
        bound_data(request),
        departments=selectors.department_choices(user=request.user),
        initial={"parent": request.GET.get("parent")},
    )

    def on_valid(form):
        parent = department_or_404(request, form.cleaned_data["parent"])
        dept = services.department_create(
            organization=org,
            parent=parent,
            name=form.cleaned_data["name"],
            acting_user=request.user,
        )
        return _("Department %(name)s added.") % {"name": dept.name}

    return form_view(
        request,
        form=form,
        title=_("Add department"),
        submit_label=_("Add"),
        on_valid=on_valid,
        success_url=reverse("organizations:members"),
        events=(MEMBERS_CHANGED,),
    )


@login_required
def department_rename(request, pk):
    dept = department_or_404(request, pk)
    require_admin(request)
    form = DepartmentRenameForm(bound_data(request), initial={"name": dept.name})

    def on_valid(form):
        services.department_rename(
            department=dept, name=form.cleaned_data["name"], acting_user=request.user
        )
        return _("Department renamed to %(name)s.") % {"name": form.cleaned_data["name"]}

    return form_view(
        request,
        form=form,
        title=_("Rename department %(name)s") % {"name": dept.name},
        submit_label=_("Rename"),
        on_valid=on_valid,
        success_url=reverse("organizations:members") + f"?department={dept.pk}",
        events=(MEMBERS_CHANGED,),
    )


@login_required
def department_move(request, pk):
    dept = department_or_404(request, pk)
    require_admin(request)
    choices = [
        (i, label) for i, label in selectors.department_choices(user=request.user) if i != dept.pk
    ]
    form = DepartmentMoveForm(
        bound_data(request), departments=choices, initial={"parent": dept.parent_id}
    )

    def on_valid(form):
        parent = department_or_404(request, form.cleaned_data["parent"])
        services.department_move(department=dept, new_parent=parent, acting_user=request.user)
        return _("Department %(name)s moved under %(parent)s.") % {
            "name": dept.name,
            "parent": parent.name,
        }

    return form_view(
        request,
        form=form,
        title=_("Move department %(name)s") % {"name": dept.name},
        submit_label=_("Move"),
        on_valid=on_valid,
        success_url=reverse("organizations:members") + f"?department={dept.pk}",
        events=(MEMBERS_CHANGED,),
    )


@login_required
def department_delete(request, pk):
    dept = department_or_404(request, pk)
    require_admin(request)

    def on_confirm():
        services.department_delete(department=dept, acting_user=request.user)
        return _("Department %(name)s deleted.") % {"name": dept.name}

    return confirm_view(
        request,
        title=_("Delete department %(name)s") % {"name": dept.name},
        description=_(
            "A department can be deleted only when it has no members and no sub-departments."
        ),
        submit_label=_("Delete"),
        danger=True,
        on_confirm=on_confirm,
        success_url=reverse("organizations:members"),
        events=(MEMBERS_CHANGED,),
    )


@login_required
def department_branch(request):
    """O3, issue 16: a department of a large tree with its sub-departments, for the tree's
    "Show sub-departments" button (each sub-department closed again, with its own button)."""
    require_admin(request, "organizations.view_org")
    pk = parse_pk(request.GET.get("node"))
    stack = [selectors.department_tree(user=request.user, selected=pk)]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if node.department.pk == pk:
            interactive = request.GET.get("interactive") == "1"
            return HttpResponse(department_tree(node, None, interactive, opened={pk}))
        stack.extend(node.children)
    raise Http404
