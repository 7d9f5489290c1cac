"""Server-rendered SVG charts (SPEC §5: spend trend, splits by member, product, department).

The view computes the geometry; `templates/billing/inc/chart_*.html` draws it. No JavaScript,
so the charts render wherever the page does, and each has a text alternative.
"""

from __future__ import annotations

from decimal import Decimal

TREND_WIDTH, TREND_HEIGHT = 720, 200
SPLIT_WIDTH, SPLIT_ROW = 480, 26
PALETTE = ("#0052d9", "#2ba471", "#e37318", "#8e56dd", "#d54941", "#8b8b8b")


def _peak(values) -> Decimal:
    return max((abs(v) for v in values), default=0) or Decimal(1)


def trend(rows: list[dict], *, field: str = "cash_amount", href=None) -> dict:
    """One bar per month (oldest first), scaled to the largest; `href(month)` links a bar."""
    top, bottom, gap = 22, 24, 18
    n = max(len(rows), 1)
    bar = (TREND_WIDTH - gap * (n + 1)) / n
    peak = _peak(r[field] for r in rows)
    bars = []
    for i, row in enumerate(rows):
        value = row[field]
        h = float(abs(value) / peak) * (TREND_HEIGHT - top - bottom)
        x = gap + i * (bar + gap)
        bars.append(
            {
                "x": round(x, 1),
                "y": round(TREND_HEIGHT - bottom - h, 1),
                "w": round(bar, 1),
                "h": round(h, 1),
                "cx": round(x + bar / 2, 1),
                "label_y": round(max(TREND_HEIGHT - bottom - h - 6, 12), 1),
                "month": row["bill_month"],
                "value": value,
                "href": href(row["bill_month"]) if href else "",
            }
        )
    return {
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "base": TREND_HEIGHT - bottom,
        "text_y": TREND_HEIGHT - 6,
        "bars": bars,
    }


def split(items: list[dict]) -> dict:
    """Horizontal bars of shares: `items` are {"label", "value", "href"?}, largest first."""
    total = sum((i["value"] for i in items), Decimal(0))
    peak = _peak(i["value"] for i in items)
    label_w, value_w = 170, 120
    bar_w = SPLIT_WIDTH - label_w - value_w
    rows = []
    for n, item in enumerate(items):
        value = item["value"]
        rows.append(
            {
                **item,
                "y": n * SPLIT_ROW,
                "w": round(max(float(abs(value) / peak) * bar_w, 1), 1),
                "share": round(float(value / total) * 100, 1) if total else 0,
                # "others" (no label) always grey; the named shares take the palette in order
                "color": PALETTE[-1] if item["label"] is None else PALETTE[n % (len(PALETTE) - 1)],
            }
        )
    return {
        "width": SPLIT_WIDTH,
        "height": max(len(rows), 1) * SPLIT_ROW,
        "bar_x": label_w,
        "value_x": SPLIT_WIDTH,
        "rows": rows,
    }


STACKED_WIDTH, STACKED_HEIGHT = 720, 240
# F6: ten named series and "Others" (grey, last)
SERIES_PALETTE = (
    "#0052d9",
    "#2ba471",
    "#e37318",
    "#8e56dd",
    "#d54941",
    "#029cd4",
    "#b5a400",
    "#e851b3",
    "#5a6b7b",
    "#7a4d2b",
)
OTHERS_COLOR = "#b0b0b0"


def stacked(periods: list, series: list[dict], *, max_labels: int = 12) -> dict:
    """Stacked bars, one per period: `series` are {"label", "values" (one Decimal per
    period), "others"?}, bottom first. Negative cells (net refunds) are drawn as 0; the
    text alternative and the table give the exact figures."""
    top, bottom, gap = 12, 24, 4
    n = max(len(periods), 1)
    bar = max((STACKED_WIDTH - gap * (n + 1)) / n, 1)
    heights = [sum((max(s["values"][i], Decimal(0)) for s in series), Decimal(0)) for i in range(n)]
    peak = max(heights, default=0) or Decimal(1)
    scale = (STACKED_HEIGHT - top - bottom) / float(peak)
    every = max(1, -(-n // max_labels))  # label at most `max_labels` periods
    legend = []
    for k, s in enumerate(series):
        color = OTHERS_COLOR if s.get("others") else SERIES_PALETTE[k % len(SERIES_PALETTE)]
        legend.append({"label": s["label"], "color": color})
    bars = []
    for i, period in enumerate(periods):
        x = gap + i * (bar + gap)
        y = float(STACKED_HEIGHT - bottom)
        segments = []
        for s, key in zip(series, legend, strict=True):
            value = s["values"][i]
            h = float(max(value, Decimal(0))) * scale
            y -= h
            if h > 0:
                segments.append(
                    {
                        "y": round(y, 1),
                        "h": round(h, 1),
                        "color": key["color"],
                        "label": s["label"],
                        "value": value,
                    }
                )
        bars.append(
            {
                "period": period,
                "x": round(x, 1),
                "w": round(bar, 1),
                "cx": round(x + bar / 2, 1),
                "total": sum((s["values"][i] for s in series), Decimal(0)),
                "segments": segments,
                "show_label": i % every == 0,
            }
        )
    return {
        "width": STACKED_WIDTH,
        "height": STACKED_HEIGHT,
        "base": STACKED_HEIGHT - bottom,
        "text_y": STACKED_HEIGHT - 6,
        "bars": bars,
        "legend": legend,
    }
