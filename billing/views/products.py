"""Products (SPEC §5): the catalog with the prices this account pays (B3, B14), its
resources by tab (subscriptions B10, pay-as-you-go B7, resource packs B8), and the two ways to
start one: buy by order (B4) or activate pay-as-you-go (B7)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.models import Account
from organizations.scoping import require_perm
from tco_console.htmx import is_partial
from tco_console.viewkit import bound_data, form_view, table_page

from .. import selectors, services
from ..filtersets import PackFilterSet, PaygResourceFilterSet, ResourceFilterSet
from ..forms import ActivateForm, BuyForm
from ..models import Product, Region, ResourcePack, Spec
from ..models.choices import BillingMode
from ..selectors import payment_method
from ..services import payg, pricing
from ..tables import PackTable, PaygResourceTable, ResourceTable
from ..templatetags.billing_tags import format_cny, format_quantity, unit_price
from ._common import BALANCE_CHANGED, MONEY_EVENTS, RESOURCES_CHANGED, partial_for, placed_message


def _buyable(spec: Spec) -> bool:
    """Bought by order for whole months: subscriptions, and resource packs (B8)."""
    return spec.monthly_price is not None and (
        spec.product.sells_subscription or spec.pack_quantity is not None
    )


def granted_products(user) -> list[Product] | None:
    """A1/P2: the products a sub-user was granted, or None when it may use them all."""
    if not user.product_limited:
        return None
    return list(user.products.order_by("position", "code"))


def _buyable_specs():
    return (
        Spec.objects.filter(monthly_price__isnull=False)
        .filter(Q(product__sells_subscription=True) | Q(pack_quantity__isnull=False))
        .select_related("product")
        .order_by("product__position", "rank", "pk")
    )


def _payg_specs():
    return (
        Spec.objects.filter(product__sells_payg=True, payg_price__isnull=False)
        .select_related("product")
        .order_by("product__position", "rank", "pk")
    )


def _catalog_cards(account: Account, granted: list[Product] | None) -> list[dict]:
    cards = []
    catalog = [p for p in selectors.catalog() if granted is None or p in granted]
    rates = pricing.rates_for(account, catalog)  # B3/B14: one lookup for the whole list
    for product in catalog:
        rows = []
        for spec in product.specs.all():
            rows.append(
                {
                    "spec": spec,
                    "pack": spec.pack_quantity is not None,
                    "payg": product.sells_payg and spec.payg_price is not None,
                    "price": (
                        pricing.price(account, product, spec.monthly_price, rate=rates[product.pk])
                        if _buyable(spec)
                        else None
                    ),
                }
            )
        cards.append(
            {
                "product": product,
                "specs": rows,
                "monthly": any(row["price"] for row in rows),
                "unit_column": product.sells_payg and not product.sells_subscription,
            }
        )
    return cards


def _subscriptions(request):
    """The account's subscription resources, with what each can still change to (in SQL)."""
    specs = Spec.objects.filter(product=OuterRef("product"), monthly_price__isnull=False)
    return (
        selectors.resources(user=request.user)
        .filter(billing_mode=BillingMode.SUBSCRIPTION)
        .annotate(
            has_dearer=Exists(specs.filter(monthly_price__gt=OuterRef("spec__monthly_price"))),
            has_cheaper=Exists(specs.filter(monthly_price__lt=OuterRef("spec__monthly_price"))),
        )
    )


# Products → the account's resources, one table per tab: subscriptions (B10), pay-as-you-go
# resources with their freezes (B7), resource packs (B8).
PRODUCT_TABS = ("subscriptions", "payg", "packs")


def _resource_list(request, tab: str):
    if tab == "payg":
        qs = (
            selectors.resources(user=request.user)
            .filter(billing_mode=BillingMode.PAYG)
            .select_related("frozen_by")
        )
        filterset, table = PaygResourceFilterSet, PaygResourceTable
    elif tab == "packs":
        qs = ResourcePack.objects.restrict(request.user, "view").select_related(
            "product", "spec", "order"
        )
        filterset, table = PackFilterSet, PackTable
    else:
        qs, filterset, table = _subscriptions(request), ResourceFilterSet, ResourceTable
    filterset = filterset(request.GET or None, queryset=qs)
    choice = filterset.filters["product"]  # A1: offer only the granted products
    choice.queryset = request.user.granted(choice.queryset, field="pk")
    return filterset, table(filterset.qs)


@login_required
def products(request):
    require_perm(request, "billing.view_finance")
    account = request.console.account
    partial = partial_for(request)
    tab = request.GET.get("tab")
    if tab not in PRODUCT_TABS:
        tab = PRODUCT_TABS[0]
    filterset, table = _resource_list(request, tab)
    extra = {}
    if not is_partial(request):
        extra["granted"] = granted_products(request.user)
        extra["cards"] = _catalog_cards(account, extra["granted"])
    if not is_partial(request) or partial == "payment":
        extra["payment"] = payment_method(account)
    return table_page(
        request,
        "billing/products.html",
        table=table,
        filterset=filterset,
        partial=partial,
        tab=tab,
        can_buy=request.console.can("billing.place_order"),
        **extra,
    )


def _spec_label(spec: Spec) -> str:
    args = {
        "product": spec.product.display_name,
        "spec": spec.display_name,
        "price": format_cny(spec.monthly_price),
    }
    if spec.pack_quantity is not None:
        return _("%(product)s · %(spec)s — resource pack, %(price)s per month") % args
    return _("%(product)s · %(spec)s — %(price)s per month") % args


@login_required
def buy(request):
    require_perm(request, "billing.place_order")
    account = request.console.account
    specs = {s.pk: s for s in request.user.granted(_buyable_specs())}
    regions = {r.pk: r for r in Region.objects.all()}
    chosen = specs.get(_int(request.POST.get("spec") or request.GET.get("spec")))
    form = BuyForm(
        bound_data(request),
        specs=[(pk, _spec_label(s)) for pk, s in specs.items()],
        regions=[(pk, str(r)) for pk, r in regions.items()],
        initial={"spec": request.GET.get("spec")},
    )

    def on_valid(form):
        d = form.cleaned_data
        order = services.order_buy(
            owner=account,
            acting_user=request.user,
            spec=specs[d["spec"]],
            region=regions[d["region"]],
            months=d["months"],
            idempotency_key=d["idempotency_key"],
        )
        return placed_message(order)

    if chosen is not None and chosen.pack_quantity is not None:
        title = _("Buy a resource pack")
        description = _(
            "A resource pack holds %(size)s usage units of %(product)s per month bought. Your "
            "own pay-as-you-go usage of %(product)s draws on it first, before anything is "
            "charged; it is never used for other accounts' usage."
        ) % {"size": format_quantity(chosen.pack_quantity), "product": chosen.product.display_name}
    else:
        title = _("Buy a subscription")
        description = _(
            "A monthly subscription starts as soon as its order is paid. List prices are per "
            "month; your offers apply."
        )
    return form_view(
        request,
        form=form,
        title=title,
        description=description,
        submit_label=_("Place order"),
        on_valid=on_valid,
        success_url=reverse("billing:products"),
        events=MONEY_EVENTS,
        template="billing/order_form.html",
        payment=payment_method(account),
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def activate(request):
    """B7: start a pay-as-you-go resource; one cycle's estimated fee is frozen on whoever pays
    (the payer in pay-on-behalf mode). The modal shows that amount and that account."""
    require_perm(request, "billing.place_order")
    account = request.console.account
    specs = {s.pk: s for s in request.user.granted(_payg_specs())}
    regions = {r.pk: r for r in Region.objects.all()}
    chosen = specs.get(_int(request.POST.get("spec") or request.GET.get("spec")))
    if chosen is None and specs:
        chosen = next(iter(specs.values()))
    form = ActivateForm(
        bound_data(request),
        specs=[
            (
                pk,
                _("%(product)s · %(spec)s — %(price)s per %(unit)s, settled %(cycle)s")
                % {
                    "product": s.product.display_name,
                    "spec": s.display_name,
                    "price": unit_price(s.payg_price),
                    "unit": s.product.display_unit,
                    "cycle": s.product.get_payg_cycle_display().lower(),
                },
            )
            for pk, s in specs.items()
        ],
        regions=[(pk, str(r)) for pk, r in regions.items()],
        initial={"spec": chosen.pk if chosen else None},
    )

    def on_valid(form):
        d = form.cleaned_data
        res = payg.resource_activate(
            owner=account,
            acting_user=request.user,
            spec=specs[d["spec"]],
            region=regions[d["region"]],
            idempotency_key=d["idempotency_key"],
        )
        return _(
            "%(id)s is running (%(spec)s). %(amount)s is frozen on %(name)s (%(uin)s) until "
            "it is terminated."
        ) % {
            "id": res.instance_id,
            "spec": res.spec.display_name,
            "amount": format_cny(res.frozen_amount),
            "name": res.frozen_by.name,
            "uin": res.frozen_by.uin,
        }

    return form_view(
        request,
        form=form,
        title=_("Activate a pay-as-you-go resource"),
        description=_(
            "Usage is metered and settled every cycle, at your price. Activating freezes one "
            "cycle's estimated fee on the account that pays for you; the freeze is released "
            "when the resource is terminated."
        ),
        submit_label=_("Activate"),
        on_valid=on_valid,
        success_url=reverse("billing:products") + "?tab=payg",
        events=(RESOURCES_CHANGED, BALANCE_CHANGED),
        template="billing/activate_form.html",
        payment=payment_method(account),
        spec=chosen,
        freeze=payg.estimated_cycle_fee(account, chosen) if chosen else None,
    )
