"""Helpers the billing page tests share (test_product_pages, test_order_pages,
test_page_scope_and_queries, test_bill_pages)."""

import json
import re
import uuid

from tests.billing.helpers import region, spec

HTMX = {"HTTP_HX_REQUEST": "true"}


def key() -> str:
    return uuid.uuid4().hex


def toasts(response) -> str:
    trigger = json.loads(response["HX-Trigger"])
    return " | ".join(t["text"] for t in trigger.get("toasts", []))


def events(response) -> set[str]:
    return set(json.loads(response["HX-Trigger"]))


def post_buy(client, code="S5.MEDIUM4", months=1, idempotency_key=None, **extra):
    return client.post(
        "/products/buy/",
        {
            "spec": spec(code).pk,
            "region": region().pk,
            "months": months,
            "idempotency_key": idempotency_key or key(),
        },
        **HTMX,
        **extra,
    )


def sidebar(html: str) -> list[str]:
    nav = html[html.index('aria-label="Console navigation"') : html.index("</nav>")]
    return [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"</i>(.*?)</a>", nav)]
