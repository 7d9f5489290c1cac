"""F7–F10 pages: the organization's budgets, one budget's figures and alerts, and the
create, edit and delete forms. The admin account's users with view_finance read them, those
with manage_finance write them (403 otherwise); members get 403 on the pages and 404 on a
budget's URL, as any other account's object (A2)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.scoping import object_or_404
from tco_console.viewkit import bound_data, confirm_view, form_view, require_admin

from ..finance import budget_services as services
from ..finance import budgets as sel
from ..finance.forms_budgets import BudgetForm, initial_of
from ..models import Budget, BudgetBlock
from ..models.budgets import BudgetScope

EVENTS = ("budgetsChanged",)


@login_required
def budgets(request):
    require_admin(request, "billing.view_finance")
    rows = [(b, sel.stored_figures(b)) for b in sel.budgets_for(request.user)]
    return render(
        request,
        "billing/budgets.html",
        {"rows": rows, "can_manage": request.console.can("billing.manage_finance")},
    )


@login_required
def budget_detail(request, pk):
    budget = object_or_404(
        Budget.objects.select_related("organization__admin_account"), request, "view", pk=pk
    )
    figures = sel.figures(budget)
    thresholds = [
        (t, sel.threshold_target(t, figures.amount) if figures else None)
        for t in budget.thresholds.all()
    ]
    return render(
        request,
        "billing/budget_detail.html",
        {
            "budget": budget,
            "figures": figures,
            "thresholds": thresholds,
            "alerts": sel.alerts_of(budget),
            "blocked": BudgetBlock.objects.filter(budget=budget).count(),
            # a budget's departments or members matter to its scope only (F7)
            "departments": list(budget.departments.all())
            if budget.scope == BudgetScope.DEPARTMENTS
            else [],
            "members": list(budget.members.all()) if budget.scope == BudgetScope.MEMBERS else [],
            "products": list(budget.products.all()),
            "can_manage": request.console.can("billing.manage_finance"),
        },
    )


def _form_page(request, form, *, title, submit_label, on_valid):
    return form_view(
        request,
        form=form,
        title=title,
        submit_label=submit_label,
        on_valid=on_valid,
        success_url=reverse("billing:budgets"),
        events=EVENTS,
        template="billing/budget_form.html",
    )


@login_required
def budget_create(request):
    organization = require_admin(request, "billing.manage_finance")
    form = BudgetForm(bound_data(request), organization=organization)

    def on_valid(form):
        budget = services.budget_create(
            organization=organization, acting_user=request.user, **form.service_kwargs()
        )
        return _("Budget %(name)s created.") % {"name": budget.name}

    return _form_page(
        request, form, title=_("Create a budget"), submit_label=_("Create"), on_valid=on_valid
    )


@login_required
def budget_edit(request, pk):
    budget = object_or_404(Budget.objects.all(), request, "change", pk=pk)
    initial, thresholds = initial_of(budget)
    form = BudgetForm(
        bound_data(request),
        organization=budget.organization,
        initial=initial,
        thresholds=thresholds,
    )

    def on_valid(form):
        b = services.budget_update(budget=budget, acting_user=request.user, **form.service_kwargs())
        return _("Budget %(name)s saved.") % {"name": b.name}

    return _form_page(
        request,
        form,
        title=_("Edit budget %(name)s") % {"name": budget.name},
        submit_label=_("Save"),
        on_valid=on_valid,
    )


@login_required
def budget_delete(request, pk):
    budget = object_or_404(Budget.objects.all(), request, "change", pk=pk)

    def on_confirm():
        services.budget_delete(budget=budget, acting_user=request.user)
        return _("Budget %(name)s deleted.") % {"name": budget.name}

    return confirm_view(
        request,
        on_confirm=on_confirm,
        title=_("Delete budget %(name)s?") % {"name": budget.name},
        description=_(
            "Its alerts stop and any order block it set is lifted. Its alert history is kept."
        ),
        submit_label=_("Delete"),
        danger=True,
        success_url=reverse("billing:budgets"),
        events=EVENTS,
    )
