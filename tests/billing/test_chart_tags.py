"""SPEC §5's charts as billing_tags draws them (issue 16: written in one pass instead of
template loops): every label is text, never markup; "Others" names the unlabelled share; an
empty split says so; a bar or a row with an href links to it."""

import datetime as dt
from decimal import Decimal

from billing import charts
from billing.templatetags.billing_tags import split_chart, trend_chart


def test_split_chart_escapes_labels_and_links_and_names_the_rest():
    chart = charts.split(
        [
            {"label": '<img src=x onerror="1">', "value": Decimal("30"), "href": "/b/?a=1&m=2"},
            {"label": None, "value": Decimal("10")},
        ]
    )
    html = split_chart(chart, "member-split", "Cash & more")
    assert "<img" not in html and "&lt;img src=x onerror=&quot;1&quot;&gt;" in html
    assert '<a href="/b/?a=1&amp;m=2">' in html
    assert html.count("<a ") == 1 and html.count("data-split-row") == 2
    assert '<title id="member-split-title">Cash &amp; more: ' in html
    assert "Others 10.00 CNY (25.0%)" in html and "30 · 75.0%" in html


def test_split_chart_without_rows_says_nothing_was_billed():
    html = split_chart(charts.split([]), "product-split", "Cash paid by product")
    assert 'data-testid="product-split-empty"' in html and "Nothing billed" in html
    assert "<svg" not in html


def test_trend_chart_links_each_month_to_its_bills():
    rows = [
        {"bill_month": dt.date(2026, 11, 1), "cash_amount": Decimal("1234.5")},
        {"bill_month": dt.date(2026, 12, 1), "cash_amount": Decimal("0")},
    ]
    chart = charts.trend(rows, href=lambda d: f"/bills/?month={d:%Y-%m}&x=<y>")
    html = trend_chart(chart, "overview-trend", "Six months")
    assert '<desc id="overview-trend-desc">2026-11: 1,234.50 CNY; 2026-12: 0.00 CNY</desc>' in html
    assert '<a href="/bills/?month=2026-11&amp;x=&lt;y&gt;" data-month="2026-11">' in html
    assert "x=<y>" not in html
