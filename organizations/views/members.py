"""Members (O4, O6-O11): the members page with its department tree, a member's page, and
creating, editing, moving and removing members. Every object is fetched through `restrict()`
(A2: out of scope → 404, before the admin checks' 403)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from tco_console.converters import parse_pk
from tco_console.viewkit import bound_data, confirm_view, form_view, require_admin, table_page

from .. import selectors, services
from ..choices import FinancialPermission, MemberType, PaymentMode
from ..filtersets import MemberFilterSet
from ..forms import AdminMemberEditForm, CreateMemberForm, MemberEditForm, MoveMembersForm
from ..models import Department, Membership, PermissionChange
from ..scoping import object_or_404
from ..tables import MemberTable
from .departments import department_or_404
from .events import MEMBERS_CHANGED


@login_required
def members(request):
    org = require_admin(request, "organizations.view_org")
    qs = selectors.member_list(user=request.user).select_related("tag_set")  # F11
    filterset = MemberFilterSet(request.GET or None, queryset=qs)
    can_manage = request.console.can("organizations.manage_org")
    table = MemberTable(filterset.qs, can_manage=can_manage)
    selected_department = parse_pk(request.GET.get("department"))
    tree = selectors.department_tree(user=request.user, selected=selected_department)
    department = _selected_department(request, selected_department)
    if selected_department is None and tree is not None:
        department = tree.department  # Root, with its tags (F11)
    return table_page(
        request,
        "organizations/members.html",
        table=table,
        filterset=filterset,
        tree=tree,
        selected_department=selected_department,
        department=department,
        organization=org,
        can_manage=can_manage,
    )


def _selected_department(request, pk) -> Department | None:
    """The department picked in the tree, with its tags (F11), for its header."""
    if pk is None:
        return None
    return (
        Department.objects.restrict(request.user, "view").select_related("tag_set").filter(pk=pk)
    ).first()


def _member_or_404(request, uin: str, action: str = "view") -> Membership:
    """A2: another organization's member is a 404 (before the admin checks, which are 403)."""
    return object_or_404(
        Membership.objects.select_related("account", "department", "payer", "tag_set"),
        request,
        action,
        account__uin=uin,
    )


@login_required
def member_detail(request, uin):
    membership = _member_or_404(request, uin)
    require_admin(request, "organizations.view_org")
    changes = selectors.permission_changes(user=request.user, account=membership.account)
    return render(
        request,
        "organizations/member_detail.html",
        {
            "member": membership,
            "permission_changes": changes,  # F17
            "pending_change": selectors.pending_change(changes),
            "permission_labels": [FinancialPermission(p) for p in membership.permissions],
            "periods": selectors.membership_periods(
                account=membership.account, organization=membership.organization
            ),
            "history": selectors.audit_log(user=request.user).filter(
                target_account=membership.account, organization=membership.organization
            )[:20],
            "can_manage": request.console.can("organizations.manage_org"),
        },
    )


def _financial_initial(m) -> dict:
    return {
        "payment_mode": PaymentMode.PAY_ON_BEHALF if m.payer_id else PaymentMode.SELF_PAY,
        "payer": m.payer.uin if m.payer_id else "",
        "permissions": [p for p in m.permissions if p not in (1, 2, 7)],
    }


@login_required
def member_create(request):
    org = require_admin(request)
    form = CreateMemberForm(
        bound_data(request),
        departments=selectors.department_choices(user=request.user),
        payers=selectors.payer_choices(user=request.user),
        initial={"department": request.GET.get("department")},
    )

    def on_valid(form):
        d = form.cleaned_data
        m = services.member_create(
            organization=org,
            acting_user=request.user,
            name=d["name"],
            username=d["username"],
            password=d["password"],
            email=d["email"],
            remark=d["remark"],
            department=department_or_404(request, d["department"]),
            permissions=d["permissions"],
            payer=d["payer"],
        )
        return _("Created member account %(name)s with UIN %(uin)s.") % {
            "name": m.name,
            "uin": m.account.uin,
        }

    return form_view(
        request,
        form=form,
        title=_("Create member"),
        description=_(
            "Create a brand-new account inside the organization. It gets a new UIN and "
            "your enterprise entity, and it cannot quit."
        ),
        submit_label=_("Create member"),
        on_valid=on_valid,
        success_url=reverse("organizations:members"),
        events=(MEMBERS_CHANGED,),
        template="organizations/member_form.html",
    )


@login_required
def member_edit(request, uin):
    m = _member_or_404(request, uin, "change")
    require_admin(request)
    if m.is_admin:
        form = AdminMemberEditForm(
            bound_data(request), initial={"name": m.name, "remark": m.remark}
        )
    else:
        form = MemberEditForm(
            bound_data(request),
            payers=[a for a in selectors.payer_choices(user=request.user) if a.pk != m.account_id],
            initial={
                "name": m.name,
                "remark": m.remark,
                "allow_quit": m.allow_quit,
                **_financial_initial(m),
            },
        )

    def on_valid(form):
        d = form.cleaned_data
        updated = services.member_update(
            membership=m,
            acting_user=request.user,
            name=d["name"],
            remark=d["remark"],
            permissions=d.get("permissions", m.permissions),
            payer=d.get("payer"),
            allow_quit=d.get("allow_quit", False),
        )
        if updated.pending_change is not None:  # F17
            return _(
                "Member %(name)s updated. The change of its financial permissions or payer "
                "awaits the member's consent; until it accepts, the current ones stay in force."
            ) % {"name": d["name"]}
        return _("Member %(name)s updated.") % {"name": d["name"]}

    return form_view(
        request,
        form=form,
        title=_("Edit member %(name)s") % {"name": m.name},
        submit_label=_("Save"),
        on_valid=on_valid,
        success_url=reverse("organizations:member_detail", args=[m.account.uin]),
        events=(MEMBERS_CHANGED,),
        template="organizations/member_form.html",
        member=m,
        pending_change=(  # F17
            PermissionChange.objects.pending().filter(account_id=m.account_id).first()
            if m.member_type == MemberType.INVITED
            else None
        ),
    )


@login_required
def members_move(request, uin=None):
    """O8: move one member (from its row) or many (the selected rows) to a department."""
    member = _member_or_404(request, uin, "change") if uin is not None else None
    org = require_admin(request)
    if member is not None:
        uins = [member.account.uin]
        title = _("Move %(name)s") % {"name": member.name}
    else:
        uins = [u for u in (request.POST.getlist("uins") or request.GET.getlist("uins")) if u]
        title = _("Move %(n)s selected members") % {"n": len(uins)}
    form = MoveMembersForm(
        bound_data(request), departments=selectors.department_choices(user=request.user)
    )

    def on_valid(form):
        dept = department_or_404(request, form.cleaned_data["department"])
        moved = services.members_move(
            organization=org,
            uins=uins if uin is not None else form.cleaned_data["uins"],
            department=dept,
            acting_user=request.user,
        )
        if moved == 0:
            return _("The selected members are already in %(dept)s.") % {"dept": dept.name}
        return _("Moved %(n)s member(s) to %(dept)s.") % {"n": moved, "dept": dept.name}

    return form_view(
        request,
        form=form,
        title=title,
        submit_label=_("Move"),
        on_valid=on_valid,
        success_url=reverse("organizations:members"),
        events=(MEMBERS_CHANGED,),
        template="organizations/move_form.html",
        uins=uins,
    )


@login_required
def member_remove(request, uin):
    m = _member_or_404(request, uin, "change")
    require_admin(request)

    def on_confirm():
        services.member_remove(membership=m, acting_user=request.user)
        return _("Removed %(name)s (%(uin)s) from the organization.") % {
            "name": m.name,
            "uin": m.account.uin,
        }

    return confirm_view(
        request,
        title=_("Remove member %(name)s") % {"name": m.name},
        description=_(
            "The account %(uin)s leaves the organization; the account itself is not deleted."
        )
        % {"uin": m.account.uin},
        submit_label=_("Remove"),
        danger=True,
        on_confirm=on_confirm,
        success_url=reverse("organizations:members"),
        events=(MEMBERS_CHANGED,),
    )
