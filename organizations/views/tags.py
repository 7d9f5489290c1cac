"""F11 tags: edit a member's or a department's tags, and tag the members selected in the
members table at once. The admin account's users with manage_org only; another
organization's member or department is a 404 (A2), a user lacking the permission a 403."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _

from tco_console.errors import DomainError
from tco_console.viewkit import bound_data, form_view, require_admin

from .. import services
from ..forms import BulkTagsForm, TagsForm
from ..models import Membership
from .departments import department_or_404
from .events import MEMBERS_CHANGED
from .members import _member_or_404


def _as_text(tag_set) -> str:
    return "\n".join(f"{k}={v}" if v else k for k, v in (tag_set.tags if tag_set else ()))


@login_required
def member_tags(request, uin):
    m = _member_or_404(request, uin, "change")
    require_admin(request)
    form = TagsForm(bound_data(request), initial={"tags": _as_text(m.tag_set)})

    def on_valid(form):
        services.member_tags_set(
            membership=m, pairs=form.cleaned_data["tags"], acting_user=request.user
        )
        return _("Tags of %(name)s saved.") % {"name": m.name}

    return form_view(
        request,
        form=form,
        title=_("Tags of %(name)s") % {"name": m.name},
        submit_label=_("Save tags"),
        on_valid=on_valid,
        success_url=reverse("organizations:member_detail", args=[m.account.uin]),
        events=(MEMBERS_CHANGED,),
        template="organizations/tags_form.html",
    )


@login_required
def department_tags(request, pk):
    dept = department_or_404(request, pk)
    require_admin(request)
    form = TagsForm(bound_data(request), initial={"tags": _as_text(dept.tag_set)})

    def on_valid(form):
        services.department_tags_set(
            department=dept, pairs=form.cleaned_data["tags"], acting_user=request.user
        )
        return _("Tags of department %(name)s saved.") % {"name": dept.name}

    return form_view(
        request,
        form=form,
        title=_("Tags of department %(name)s") % {"name": dept.name},
        submit_label=_("Save tags"),
        on_valid=on_valid,
        success_url=reverse("organizations:members") + f"?department={dept.pk}",
        events=(MEMBERS_CHANGED,),
        template="organizations/tags_form.html",
    )


@login_required
def members_tags(request):
    """F11: add, replace or remove tags on the members selected in the table."""
    require_admin(request)
    uins = [u for u in (request.POST.getlist("uins") or request.GET.getlist("uins")) if u]
    form = BulkTagsForm(bound_data(request))

    def on_valid(form):
        wanted = set(form.cleaned_data["uins"])
        found = list(
            Membership.objects.restrict(request.user, "change").filter(account__uin__in=wanted)
        )
        if not wanted or len(found) != len(wanted):  # A2: only the organization's members
            raise DomainError(
                _("Some of the UINs do not belong to the organization.")
                if wanted
                else _("Select members in the table first."),
                code="FailedOperation.SomeUinsNotInOrganization",
                field="uins",
            )
        changed = services.members_tags_bulk(
            memberships=found,
            add=form.cleaned_data["add"],
            remove_keys=form.cleaned_data["remove"],
            acting_user=request.user,
        )
        return _("Tags changed on %(n)s of %(total)s member(s).") % {
            "n": changed,
            "total": len(found),
        }

    return form_view(
        request,
        form=form,
        title=_("Tag %(n)s selected members") % {"n": len(uins)},
        submit_label=_("Apply"),
        on_valid=on_valid,
        success_url=reverse("organizations:members"),
        events=(MEMBERS_CHANGED,),
        template="organizations/tags_form.html",
        uins=uins,
        bulk=True,
    )
