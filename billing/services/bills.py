"""B11: writing bill lines and keeping their monthly summaries exact, in the same transaction.

Callers hold the payer's account lock (every money service locks accounts first), so the
summary rows of one payer are never updated by two transactions at once.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import F

from billing.models import BillLine, BillSummary

FIELDS = ("list_cost", "discount", "voucher_amount", "cash_amount")


def record_bill_lines(lines: list[BillLine]) -> list[BillLine]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bill lines are written inside the money transaction")
    created = BillLine.objects.bulk_create(lines)
    totals = defaultdict(lambda: {f: 0 for f in FIELDS} | {"line_count": 0})
    for line in lines:
        key = (line.bill_month, line.payer_id, line.owner_id, line.product_id)
        for f in FIELDS:
            totals[key][f] += getattr(line, f)
        totals[key]["line_count"] += 1
    for (month, payer_id, owner_id, product_id), t in sorted(
        totals.items(), key=lambda kv: str(kv[0])
    ):
        key = {
            "bill_month": month,
            "payer_id": payer_id,
            "owner_id": owner_id,
            "product_id": product_id,
        }
        updated = BillSummary.objects.filter(**key).update(
            **{f: F(f) + t[f] for f in (*FIELDS, "line_count")}
        )
        if not updated:
            BillSummary.objects.create(**key, **t)
    return created
