"""Money on the billing pages (B1): two decimals, thousands separated, always with "CNY"."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.money import q
from tco_console.msg import Msg

register = template.Library()


def format_cny(value, *, signed: bool = False) -> str:
    """`1,234.50 CNY`; `signed` puts + or − in front (transaction details, B13)."""
    if value is None or value == "":
        return "—"
    return _("%(amount)s CNY") % {"amount": _number(value, signed)}


def cny_msg(value) -> Msg | str:
    """`format_cny` for stored text (an audit record): read in each reader's language."""
    if value is None or value == "":
        return "—"
    return Msg(gettext_noop("%(amount)s CNY"), amount=_number(value, False))


def _number(value, signed: bool) -> str:
    amount = q(Decimal(value))
    text = f"{abs(amount):,.2f}"
    if amount < 0:
        sign = "−"
    elif signed and amount > 0:
        sign = "+"
    else:
        sign = ""
    return f"{sign}{text}"


@register.filter
def cny(value) -> str:
    return format_cny(value)


@register.filter
def signed_cny(value) -> str:
    return format_cny(value, signed=True)


@register.filter
def unit_price(value) -> str:
    """Pay-as-you-go unit prices keep up to 4 decimals (the catalog's precision), never fewer
    than 2."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    text = f"{amount:,.2f}" if amount == q(amount) else f"{amount.normalize():,f}"
    return _("%(amount)s CNY") % {"amount": text}


def format_quantity(value) -> str:
    """Usage units (B8): as many decimals as they need, at most the meter's four."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value).normalize()
    if amount == amount.to_integral_value():
        return f"{amount:,.0f}"
    return f"{amount:,f}"


@register.filter
def quantity(value) -> str:
    return format_quantity(value)


@register.filter
def cny_short(value) -> str:
    """Chart labels: whole yuan, thousands separated (`12,345`), the axis says CNY."""
    if value is None or value == "":
        return ""
    return f"{q(Decimal(value)):,.0f}"
