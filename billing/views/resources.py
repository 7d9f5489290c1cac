"""A subscription's own actions (B10): renew, upgrade, downgrade and unsubscribe, each placed
as an order; and terminating a pay-as-you-go resource (B7). The resource comes through
`restrict("change")`: another account's is a 404 (A2)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.scoping import require_perm
from tco_console.viewkit import bound_data, confirm_view, form_view

from .. import services
from ..forms import ChangeSpecForm, RenewForm, UnsubscribeForm
from ..models import Resource, Spec
from ..models.choices import BillingMode
from ..selectors import payment_method
from ..services import payg, pricing
from ..templatetags.billing_tags import format_cny
from ._common import (
    BALANCE_CHANGED,
    MONEY_EVENTS,
    RESOURCES_CHANGED,
    placed_message,
    refund_message,
)


def _resource_or_404(
    request, instance_id: str, billing_mode: str = BillingMode.SUBSCRIPTION
) -> Resource:
    return get_object_or_404(
        Resource.objects.restrict(request.user, "change").select_related(
            "owner", "product", "spec", "region", "frozen_by"
        ),
        instance_id=instance_id,
        billing_mode=billing_mode,
    )


@login_required
def resource_renew(request, instance_id):
    require_perm(request, "billing.place_order")
    res = _resource_or_404(request, instance_id)
    form = RenewForm(bound_data(request))

    def on_valid(form):
        d = form.cleaned_data
        order = services.order_renew(
            resource=res,
            acting_user=request.user,
            months=d["months"],
            idempotency_key=d["idempotency_key"],
        )
        return placed_message(order)

    return form_view(
        request,
        form=form,
        title=_("Renew %(id)s") % {"id": res.instance_id},
        description=_("The period is extended from its current end date, at %(price)s a month.")
        % {"price": format_cny(res.spec.monthly_price)},
        submit_label=_("Place renewal order"),
        on_valid=on_valid,
        success_url=reverse("billing:products"),
        events=MONEY_EVENTS,
        template="billing/order_form.html",
        resource=res,
        payment=payment_method(res.owner),
    )


def _spec_choices(res: Resource, *, dearer: bool):
    specs = Spec.objects.filter(product=res.product_id, monthly_price__isnull=False)
    if dearer:
        specs = specs.filter(monthly_price__gt=res.spec.monthly_price)
    else:
        specs = specs.filter(monthly_price__lt=res.spec.monthly_price)
    return {s.pk: s for s in specs.order_by("rank", "pk")}


@login_required
def resource_upgrade(request, instance_id):
    require_perm(request, "billing.place_order")
    res = _resource_or_404(request, instance_id)
    specs = _spec_choices(res, dearer=True)
    now = timezone.now()
    choices = []
    for pk, s in specs.items():
        cost = pricing.upgrade_list_cost(res.spec, s, res.period_end, now)
        choices.append(
            (
                pk,
                _("%(spec)s — %(price)s per month (%(now)s now)")
                % {
                    "spec": s.display_name,
                    "price": format_cny(s.monthly_price),
                    "now": format_cny(pricing.price(res.owner, res.product, cost).payable),
                },
            )
        )
    form = ChangeSpecForm(bound_data(request), specs=choices)

    def on_valid(form):
        d = form.cleaned_data
        order = services.order_upgrade(
            resource=res,
            acting_user=request.user,
            spec=specs[d["spec"]],
            idempotency_key=d["idempotency_key"],
        )
        return placed_message(order)

    return form_view(
        request,
        form=form,
        title=_("Upgrade %(id)s") % {"id": res.instance_id},
        description=_(
            "An upgrade costs the price difference for the days left in the current period."
        ),
        submit_label=_("Place upgrade order"),
        on_valid=on_valid,
        success_url=reverse("billing:products"),
        events=MONEY_EVENTS,
        template="billing/order_form.html",
        resource=res,
        payment=payment_method(res.owner),
    )


@login_required
def resource_downgrade(request, instance_id):
    require_perm(request, "billing.place_order")
    res = _resource_or_404(request, instance_id)
    specs = _spec_choices(res, dearer=False)
    form = ChangeSpecForm(
        bound_data(request),
        specs=[
            (
                pk,
                _("%(spec)s — %(price)s per month")
                % {"spec": s.display_name, "price": format_cny(s.monthly_price)},
            )
            for pk, s in specs.items()
        ],
    )

    def on_valid(form):
        d = form.cleaned_data
        order = services.order_downgrade(
            resource=res,
            acting_user=request.user,
            spec=specs[d["spec"]],
            idempotency_key=d["idempotency_key"],
        )
        return refund_message(
            order,
            _("%(id)s now runs on %(spec)s.")
            % {"id": res.instance_id, "spec": order.spec.display_name},
        )

    return form_view(
        request,
        form=form,
        title=_("Downgrade %(id)s") % {"id": res.instance_id},
        description=_(
            "The price difference for the rest of the period is refunded to the accounts that "
            "paid for this resource, in proportion to their payments. Voucher parts are not "
            "returned."
        ),
        submit_label=_("Downgrade"),
        on_valid=on_valid,
        success_url=reverse("billing:products"),
        events=MONEY_EVENTS,
        template="billing/order_form.html",
        resource=res,
    )


@login_required
def resource_unsubscribe(request, instance_id):
    require_perm(request, "billing.place_order")
    res = _resource_or_404(request, instance_id)

    def on_valid(form):
        order = services.order_unsubscribe(
            resource=res,
            acting_user=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
        return refund_message(
            order, _("%(id)s is unsubscribed and terminated.") % {"id": res.instance_id}
        )

    return form_view(
        request,
        form=UnsubscribeForm(bound_data(request)),
        title=_("Unsubscribe %(id)s") % {"id": res.instance_id},
        description=_(
            "The resource is terminated now. The value of its remaining period is refunded to "
            "the accounts that paid for it, in proportion to their payments; voucher parts are "
            "not returned."
        ),
        submit_label=_("Unsubscribe"),
        danger=True,
        on_valid=on_valid,
        success_url=reverse("billing:products"),
        events=MONEY_EVENTS,
        template="billing/order_form.html",
        resource=res,
    )


@login_required
def resource_terminate(request, instance_id):
    require_perm(request, "billing.place_order")
    res = _resource_or_404(request, instance_id, BillingMode.PAYG)

    def on_confirm():
        done = payg.resource_terminate(resource=res, acting_user=request.user)
        return _(
            "%(id)s is terminated. Its freeze of %(amount)s was released; usage up to now is "
            "still settled."
        ) % {"id": done.instance_id, "amount": format_cny(res.frozen_amount)}

    return confirm_view(
        request,
        title=_("Terminate %(id)s") % {"id": res.instance_id},
        description=_(
            "The resource stops now and cannot be started again. Its freeze is released; the "
            "usage of its last cycle is settled at the end of that cycle."
        ),
        submit_label=_("Terminate"),
        danger=True,
        on_confirm=on_confirm,
        success_url=reverse("billing:products") + "?tab=payg",
        events=(RESOURCES_CHANGED, BALANCE_CHANGED),
        template="billing/order_form.html",
        resource=res,
    )
