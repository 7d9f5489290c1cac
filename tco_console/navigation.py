"""The console's navigation (SPEC §5): the sidebar and the top bar's unread badge.

The shell, in the manner of NetBox's `netbox/navigation/menu.py` (issue 12, Step C): it sits
above both apps, so it asks each for what decides an entry's visibility; the billing answers
are billing's selectors, remembered on the request's console context.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from billing import selectors as billing_selectors

# SPEC §5 sidebar, in its order: label, url name, icon, view names that light it up, who sees it.
SIDEBAR = [
    (_("Overview"), "home", "speedometer2", ("home",), lambda c: True),
    (
        _("Member account management"),
        "organizations:members",
        "diagram-3",
        ("organizations:member", "organizations:department"),
        lambda c: c.is_admin and c.can("organizations.view_org"),
    ),
    (
        _("Invitations"),
        "organizations:invitations",
        "envelope",
        ("organizations:invitation",),
        lambda c: c.can("organizations.view_org"),
    ),
    (
        _("Pay-on-behalf order management"),
        "billing:pay_on_behalf_orders",
        "credit-card-2-front",
        ("billing:pay_on_behalf_orders", "billing:order"),
        billing_selectors.pay_on_behalf_visible,
    ),
    (
        _("Pay-on-behalf bill management"),
        "billing:pob_bills",
        "receipt",
        ("billing:pob_bills",),
        billing_selectors.pay_on_behalf_visible,
    ),
    (
        _("Billing Center"),
        "billing:billing_center",
        "wallet2",
        ("billing:billing_center", "billing:top_up", "billing:bill_export"),
        lambda c: c.can("billing.view_finance"),
    ),
    (
        _("Cost analysis"),
        "billing:cost_analysis",
        "bar-chart-steps",
        ("billing:cost_analysis",),
        lambda c: c.can("billing.view_finance"),  # F6: admins and members, own account at least
    ),
    (
        _("Budgets"),
        "billing:budgets",
        "piggy-bank",
        ("billing:budget",),
        lambda c: c.is_admin and c.can("billing.view_finance"),
    ),
    (
        _("Fund transfer"),
        "billing:transfers",
        "arrow-left-right",
        ("billing:transfer", "billing:take_back"),
        lambda c: c.is_admin and c.can("billing.view_finance"),  # F12
    ),
    (
        _("Credit limits"),
        "billing:credit",
        "bank2",
        ("billing:credit",),
        lambda c: c.is_admin and c.can("billing.view_finance"),  # F14
    ),
    (
        _("Products"),
        "billing:products",
        "box-seam",
        ("billing:products", "billing:buy", "billing:activate", "billing:resource"),
        lambda c: c.can("billing.view_finance"),
    ),
    (
        _("Message center"),
        "billing:messages",
        "bell",
        ("billing:message",),
        lambda c: c.can("organizations.view_org"),
    ),
    (
        _("Service control policies"),
        "organizations:policies",
        "shield-check",
        ("organizations:policies", "organizations:member_policy"),
        lambda c: c.membership is not None and c.can("organizations.view_org"),
    ),
    (
        _("Users & permissions"),
        "organizations:users",
        "people",
        ("organizations:user", "organizations:api_key"),
        lambda c: True,
    ),
    (
        _("Audit log"),
        "organizations:audit",
        "journal-text",
        ("organizations:audit",),
        lambda c: c.can("organizations.view_audit"),
    ),
]


def _unread_messages(ctx):
    """The top bar's unread badge, or None for a user who may not read messages. A callable:
    the template calls it only when it renders the badge (full pages, not htmx partials), and
    the count is remembered on the console context, so a page costs one query at most."""
    if not ctx.can("organizations.view_org"):
        return None
    return lambda: billing_selectors.unread_messages(ctx)


@lru_cache(maxsize=32)
def _sidebar_urls(script_prefix: str, urlconf) -> tuple[str, ...]:
    """The sidebar's links, reversed once per script prefix and URL conf, the only things
    they depend on (issue 16: 15 reversals on every page). Who sees which entry is decided
    on every request (`visible(ctx)` below): permissions are read per request (F1)."""
    return tuple(reverse(name, urlconf=urlconf) for _label, name, *_rest in SIDEBAR)


def console_context(request):
    ctx = getattr(request, "console", None)
    if ctx is None or not request.user.is_authenticated or ctx.account is None:
        return {}
    current = request.resolver_match.view_name if request.resolver_match else ""
    urls = _sidebar_urls(get_script_prefix(), get_urlconf())
    items = [
        {
            "label": label,
            "url": url,
            "icon": icon,
            "active": any(current.startswith(prefix) for prefix in prefixes),
        }
        for (label, _name, icon, prefixes, visible), url in zip(SIDEBAR, urls, strict=True)
        if visible(ctx)
    ]
    return {"sidebar": items, "unread_messages": _unread_messages(ctx)}
