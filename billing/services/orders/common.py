"""What placing, paying and refunding orders share: the order number, the double-submit check
(idempotency key), the months rule, and locking a subscription resource.

Locks follow the one lock order of both apps, written in `organizations.locks`: here, the
order row (for an existing order), the accounts by primary key (which also serializes against
membership changes, which lock the same rows), their wallets, the resource, the voucher. State
read before the locks is re-read after them.
"""

from __future__ import annotations

import secrets

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Order, Resource
from billing.models.choices import BillingMode, OrderKind, OrderStatus, ResourceStatus
from organizations.models import Account
from tco_console.errors import DomainError
from tco_console.msg import Msg

MAX_MONTHS = 36


def kind_label(order: Order) -> Msg:
    """The order's type as a label read in each reader's language (issue 17)."""
    return Msg.of(OrderKind(order.kind).label)


def order_memo(order: Order) -> Msg:
    """B13: the memo of an order's journal (payment, refund): its type and number."""
    # Translators: a ledger memo: an order's type ("Renewal") and its number
    return Msg(gettext_noop("%(kind)s %(no)s"), kind=kind_label(order), no=order.order_no)


def order_no(now) -> str:
    """A new order number: the time to the second and six random digits (20 digits; the URL
    converter in tco_console/converters.py matches this shape)."""
    return f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def existing_order(owner: Account, idempotency_key: str | None) -> Order | None:
    """A double submit (same key) returns the order the first submit made."""
    if not idempotency_key:
        return None
    return Order.objects.filter(owner=owner, idempotency_key=idempotency_key).first()


def check_months(months: int) -> int:
    if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise DomainError(
            _("Choose between 1 and %(max)s months.") % {"max": MAX_MONTHS}, field="months"
        )
    return months


def no_open_order(resource: Resource) -> None:
    pending = Order.objects.filter(resource=resource, status=OrderStatus.TO_BE_PAID).first()
    if pending is not None:
        raise DomainError(
            _("Order %(no)s for this resource is awaiting payment. Pay or cancel it first.")
            % {"no": pending.order_no}
        )


def lock_resource(resource: Resource) -> Resource:
    res = (
        Resource.objects.select_for_update(no_key=True, of=("self",))
        .select_related("spec", "product", "region")
        .get(pk=resource.pk)
    )
    if res.billing_mode != BillingMode.SUBSCRIPTION:
        raise DomainError(
            _("Only subscription resources can be renewed, upgraded, downgraded or unsubscribed.")
        )
    if res.status == ResourceStatus.TERMINATED:
        raise DomainError(_("The resource %(id)s is terminated.") % {"id": res.instance_id})
    return res
