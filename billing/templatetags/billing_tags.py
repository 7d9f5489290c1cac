"""Money on the billing pages (B1): two decimals, thousands separated, always with "CNY"."""

import functools
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from billing.money import q
from tco_console.msg import Msg

register = template.Library()


def format_cny(value, *, signed: bool = False) -> str:
    """`1,234.50 CNY`; `signed` puts + or − in front (transaction details, B13)."""
    if value is None or value == "":
        return "—"
    return _cny_pattern(get_language()) % {"amount": _number(value, signed)}


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


@functools.lru_cache(maxsize=16)
def _cny_pattern(language: str | None) -> str:
    """The money pattern of the active language (the argument keys the cache): a page of
    costs formats a thousand amounts, each lookup in the catalog is not free (issue 16)."""
    return _("%(amount)s CNY")


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


# Issue 16: the cost analysis chart and table hold hundreds of cells (31 days × 11 groups);
# built here in one pass, they cost a fraction of the same markup from template loops.


@register.simple_tag
def stacked_chart(chart: dict, chart_id: str, chart_title: str):
    """Stacked bars, one per period, a segment per group (billing/charts.py `stacked`), a
    legend, and the figures as text for screen readers. Plain string building with every
    value escaped: 31 periods × 11 groups through format_html cost more than the query."""
    parts, desc = [], []
    money = _MoneyHtml()
    escaped = {}  # a group's label and colour, escaped once for the whole chart
    for bar in chart["bars"]:
        period = escape(localize(bar["period"]))
        figures = []
        rects = []
        for s in bar["segments"]:
            key = (s["label"], s["color"])
            if key not in escaped:
                escaped[key] = (escape(s["label"]), escape(s["color"]))
            label, color = escaped[key]
            amount = money.text(s["value"])
            figures.append(f"{label} {amount}")
            rects.append(
                f'<rect x="{bar["x"]}" y="{s["y"]}" width="{bar["w"]}" height="{s["h"]}" '
                f'fill="{color}" data-series="{label}">'
                f"<title>{period} · {label}: {amount}</title></rect>"
            )
        desc.append(
            f"{period}: {money.text(bar['total'])}"
            + (f" ({', '.join(figures)})" if figures else "")
        )
        text = ""
        if bar["show_label"]:
            text = (
                f'<text x="{bar["cx"]}" y="{chart["text_y"]}" text-anchor="middle" '
                f'font-size="10" fill="currentColor">{period}</text>'
            )
        parts.append(f'<g data-period="{period}">{"".join(rects)}{text}</g>')
    legend = "".join(
        f'<li class="list-inline-item me-3"><svg width="10" height="10" aria-hidden="true">'
        f'<rect width="10" height="10" rx="2" fill="{escape(item["color"])}"/></svg> '
        f"{escape(item['label'])}</li>"
        for item in chart["legend"]
    )
    cid, w, h, base = escape(chart_id), chart["width"], chart["height"], chart["base"]
    return mark_safe(  # every value above is escaped or a number
        f'<svg role="img" aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {w} {h}" '
        f'width="100%" class="chart" data-testid="{cid}">'
        f'<title id="{cid}-title">{escape(chart_title)}</title>'
        f'<desc id="{cid}-desc">{"; ".join(desc)}</desc>'
        f'<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="currentColor" '
        f'stroke-opacity="0.25"/>{chr(10).join(parts)}</svg>'
        f'<ul class="list-inline small mb-0 mt-2" data-testid="{cid}-legend" '
        f'aria-label="{escape(_("Legend"))}">{legend}</ul>'
    )


@register.simple_tag
def cost_cells(row: list, foot: bool = False):
    """A cost analysis row (F6): its label as the row header, then each amount (plain string
    building, every value escaped: a page has about 400 of these cells). An amount (a
    Decimal) is written as `localize` and `format_cny` would write it, with the language's
    money pattern escaped once rather than each figure escaped: digits, separators and a
    minus sign need no escaping."""
    label, *amounts = row
    head = "" if foot else ' class="fw-normal text-nowrap"'
    money = _MoneyHtml()
    cells = "".join(
        f'<td class="text-end" data-value="{money.value(a)}">{money.text(a)}</td>' for a in amounts
    )
    return mark_safe(f'<th scope="row"{head}>{conditional_escape(label)}</th>{cells}')


class _MoneyHtml:
    """Amounts as `escape(localize(a))` and `escape(format_cny(a))` write them, for pages of
    hundreds (issue 16): for a Decimal, the language's money pattern is escaped once and the
    figure written straight (digits, separators and a minus sign need no escaping)."""

    def __init__(self):
        self.pattern = escape(_cny_pattern(get_language()))
        self.point = get_format("DECIMAL_SEPARATOR")
        self.grouped = settings.USE_THOUSAND_SEPARATOR  # localize would group: not here

    def _plain(self, a) -> bool:
        return isinstance(a, Decimal) and a.is_finite() and not self.grouped

    def value(self, a) -> str:
        return f"{a:f}".replace(".", self.point) if self._plain(a) else escape(localize(a))

    def text(self, a) -> str:
        if self._plain(a):
            return self.pattern % {"amount": _number(a, False)}
        return escape(format_cny(a))


@register.simple_tag
def split_chart(chart: dict, chart_id: str, chart_title: str):
    """Horizontal share bars (billing/charts.py `split`), each labelled and titled with its
    amount and share, or a note when nothing was billed. Written in one pass, every value
    escaped: Overview draws three, and through template loops they cost 7–10 ms of it at ten
    thousand members (issue 16)."""
    cid = escape(chart_id)
    if not chart or not chart["rows"]:
        note = escape(_("Nothing billed in this month."))
        return mark_safe(
            f'<p class="text-body-secondary small mb-0" data-testid="{cid}-empty">{note}</p>'
        )
    others = _("Others")
    figures, rows = [], []
    for row in chart["rows"]:
        label = row["label"] or others
        amount = escape(format_cny(row["value"]))
        share = escape(localize(row["share"]))
        name = escape(label)
        figures.append(f"{name} {amount} ({share}%)")
        bar = (
            f'<text x="0" y="17" font-size="12" fill="currentColor">'
            f"{escape(Truncator(label).chars(24))}</text>"
            f'<rect x="{chart["bar_x"]}" y="6" width="{row["w"]}" height="14" rx="2" '
            f'fill="{escape(row["color"])}"><title>{name}: {amount} ({share}%)</title></rect>'
        )
        if row.get("href"):
            bar = f'<a href="{escape(row["href"])}">{bar}</a>'
        rows.append(
            f'<g transform="translate(0 {row["y"]})" data-split-row>{bar}'
            f'<text x="{chart["value_x"]}" y="17" font-size="12" text-anchor="end" '
            f'fill="currentColor">{escape(cny_short(row["value"]))} · {share}%</text></g>'
        )
    w, h = chart["width"], chart["height"]
    return mark_safe(  # every value above is escaped or a number
        f'<svg role="img" aria-labelledby="{cid}-title" viewBox="0 0 {w} {h}" width="100%" '
        f'class="chart" data-testid="{cid}">'
        f'<title id="{cid}-title">{escape(chart_title)}: {"; ".join(figures)}</title>'
        f"{chr(10).join(rows)}</svg>"
    )


@register.simple_tag
def trend_chart(chart: dict, chart_id: str, chart_title: str):
    """A bar a month (billing/charts.py `trend`); a bar with an href drills into its month.
    Written in one pass, every value escaped, as `split_chart`."""
    if not chart:
        return ""
    cid = escape(chart_id)
    figures, bars = [], []
    for bar in chart["bars"]:
        month = f"{bar['month']:%Y-%m}"
        amount = escape(format_cny(bar["value"]))
        figures.append(f"{month}: {amount}")
        drawn = (
            f'<rect x="{bar["x"]}" y="{bar["y"]}" width="{bar["w"]}" height="{bar["h"]}" rx="2" '
            f'fill="var(--bs-primary)" data-month="{month}"><title>{month}: {amount}</title>'
            f'</rect><text x="{bar["cx"]}" y="{bar["label_y"]}" text-anchor="middle" '
            f'font-size="11" fill="currentColor" fill-opacity="0.75">'
            f"{escape(cny_short(bar['value']))}</text>"
            f'<text x="{bar["cx"]}" y="{chart["text_y"]}" text-anchor="middle" font-size="11" '
            f'fill="currentColor">{month}</text>'
        )
        if bar.get("href"):
            drawn = f'<a href="{escape(bar["href"])}" data-month="{month}">{drawn}</a>'
        bars.append(drawn)
    w, h, base = chart["width"], chart["height"], chart["base"]
    return mark_safe(  # every value above is escaped or a number
        f'<svg role="img" aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {w} {h}" '
        f'width="100%" class="chart" data-testid="trend-chart">'
        f'<title id="{cid}-title">{escape(chart_title)}</title>'
        f'<desc id="{cid}-desc">{"; ".join(figures)}</desc>'
        f'<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="currentColor" '
        f'stroke-opacity="0.25"/>{chr(10).join(bars)}</svg>'
    )


@register.simple_tag
def member_options(choices, *, selected=None, with_uin=True, note=""):
    """F3's account selector: an <option> a member (`member_view.Choice`: name, UIN), its
    label "name (UIN)" (or the name alone in a datalist's suggestions), then " · note".
    Built in one pass: a hundred of them through the template engine took 5 ms of Billing
    Center at ten thousand members (issue 16). Names and notes are escaped."""
    chosen = str(selected) if selected else None
    note = f" · {escape(note)}" if note else ""
    options = []
    for name, uin in choices:
        value = escape(uin)
        label = f"{escape(name)} ({value})" if with_uin else escape(name)
        mark = " selected" if uin == chosen else ""
        options.append(f'<option value="{value}"{mark}>{label}{note}</option>')
    return mark_safe("".join(options))
