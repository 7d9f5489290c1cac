"""Pay-as-you-go resources: activate, terminate, freezes (B7), and the usage meter.

The meter is deterministic: a cycle's usage is a function of the resource's seed and the
cycle's start (SHA-256), scaled by the product's profile and by the part of the cycle the
resource was running. docs/usage.md documents the profiles.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Journal, Resource, ResourceStatusChange, Spec
from billing.models.choices import (
    BillingMode,
    Book,
    Cycle,
    JournalKind,
    MessageCategory,
    ResourceStatus,
)
from billing.money import ZERO
from organizations.audit import audit_record, organization_of
from organizations.models import Account, User
from organizations.policies import require_allowed, require_user_may
from tco_console.errors import DomainError
from tco_console.msg import Msg

from . import pricing
from .ledger import Line, begin, lock_wallets, new_instance_id, post
from .messages import notify
from .status import set_status

# product code → (low, high) usage per full cycle; CVM/CLB run one instance per hour.
METER_PROFILES = {
    "p_cvm": (Decimal(1), Decimal(1)),
    "p_clb": (Decimal(1), Decimal(1)),
    "p_cos": (Decimal(5), Decimal(25)),  # 500 GB – 2.5 TB stored, in 100 GB-days
    "p_cdn": (Decimal("0.5"), Decimal(5)),  # 0.5 – 5 TB of traffic a month
}
QUANTUM = Decimal("0.0001")


def cycle_bounds(cycle: str, moment: datetime) -> tuple[datetime, datetime]:
    """The settlement cycle containing `moment`, in the console's time zone (UTC+8)."""
    local = timezone.localtime(moment)
    if cycle == Cycle.HOURLY:
        start = local.replace(minute=0, second=0, microsecond=0)
        return start, start + timedelta(hours=1)
    if cycle == Cycle.DAILY:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, pricing.add_months(start, 1)


def cycles_due(
    cycle: str,
    *,
    settled_until: datetime | None,
    period_start: datetime,
    ended_at: datetime | None,
    until: datetime,
):
    """B8: the whole cycles of a resource not yet settled that ended by `until`, oldest first:
    from the one `settled_until` starts (or the one its period started in) up to the one it
    ended in. A generator of (start, end) pairs."""
    cursor = settled_until or cycle_bounds(cycle, period_start)[0]
    while True:
        start, end = cycle_bounds(cycle, cursor)
        if end > until or (ended_at is not None and start >= ended_at):
            return
        yield start, end
        cursor = end


def running_seconds(res: Resource, start: datetime, end: datetime, changes=None) -> int:
    """Seconds of [start, end) during which `res` was running: after its period start, before
    it ended, and not suspended (or expired) by its status history (B8/B9). `changes` are its
    ResourceStatusChange rows up to `end`, in order; read from the database when not given."""
    lo = max(start, res.period_start)
    hi = min(end, res.ended_at) if res.ended_at else end
    if hi <= lo:
        return 0
    if changes is None:
        changes = ResourceStatusChange.objects.filter(resource=res, at__lt=hi).order_by("at", "pk")
    running, since, status = 0, lo, ResourceStatus.ACTIVE  # running from its period start
    for change in changes:
        if change.at >= hi:
            break
        if change.at > since:
            if status == ResourceStatus.ACTIVE:
                running += (change.at - since).total_seconds()
            since = change.at
        status = change.status
    if status == ResourceStatus.ACTIVE:
        running += (hi - since).total_seconds()
    return int(running)


def meter(res: Resource, start: datetime, end: datetime, changes=None) -> Decimal:
    """Usage of `res` in the cycle [start, end): deterministic, scaled by the share of the cycle
    it was running, so nothing while it was suspended. It depends only on what the resource did
    during the cycle (its status history), never on its status now (B8)."""
    low, high = METER_PROFILES.get(res.product.code, (Decimal(1), Decimal(1)))
    digest = hashlib.sha256(f"{res.meter_seed}:{start.isoformat()}".encode()).digest()
    u = Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64)
    seconds = running_seconds(res, start, end, changes)
    fraction = Decimal(seconds) / Decimal(int((end - start).total_seconds()))
    return ((low + (high - low) * u) * fraction).quantize(QUANTUM)


def estimated_cycle_fee(owner: Account, spec: Spec) -> Decimal:
    """B7: one cycle's estimated fee: mid-profile usage at the owner's price, at least a cent."""
    low, high = METER_PROFILES.get(spec.product.code, (Decimal(1), Decimal(1)))
    p = pricing.price(owner, spec.product, (low + high) / 2 * spec.payg_price)
    return max(p.payable, Decimal("0.01"))


def _freeze_lines(account: Account, amount: Decimal, res: Resource) -> list[Line]:
    return [
        Line(Book.FROZEN, amount, account=account, owner=res.owner, resource=res),
        Line(Book.FREEZE_OFFSET, -amount, owner=res.owner, resource=res),
    ]


@transaction.atomic(durable=True)
def resource_activate(
    *, owner: Account, acting_user: User, spec: Spec, region, idempotency_key: str | None = None
) -> Resource:
    """Start a pay-as-you-go resource; freeze one cycle's estimated fee on whoever pays (B7)."""
    spec = Spec.objects.select_related("product").get(pk=spec.pk)
    if not spec.product.sells_payg or spec.payg_price is None:
        raise DomainError(
            _("%(product)s is not sold pay-as-you-go.") % {"product": spec.product.display_name},
            field="spec",
        )
    payer, _mode, wallets = begin(owner)
    require_allowed(owner, spec.product, acting_user)  # P2: the member's service control policies
    key = f"activate:{owner.pk}:{idempotency_key}" if idempotency_key else None
    if key and (done := Journal.objects.filter(idempotency_key=key).first()) is not None:
        return done.entries.exclude(resource=None).first().resource  # a double submit
    freeze = estimated_cycle_fee(owner, spec)
    wallet = wallets[payer.pk]
    if wallet.available < freeze:
        raise DomainError(
            _(
                "Activating needs %(freeze)s CNY of available funds to freeze (one cycle's "
                "estimated fee); %(payer)s has %(available)s CNY available."
            )
            % {"freeze": freeze, "payer": payer.name, "available": wallet.available},
            code="FailedOperation.InsufficientBalance",
        )
    now = timezone.now()
    res = Resource.objects.create(
        instance_id=new_instance_id(spec.product),
        owner=owner,
        product=spec.product,
        spec=spec,
        region=region,
        billing_mode=BillingMode.PAYG,
        status=ResourceStatus.ACTIVE,
        period_start=now,
        settled_until=cycle_bounds(spec.product.payg_cycle, now)[0],
        meter_seed=secrets.randbelow(2**31),
        frozen_by=payer,
        frozen_amount=freeze,
    )
    post(
        kind=JournalKind.FREEZE,
        lines=_freeze_lines(payer, freeze, res),
        wallets=wallets,
        memo=Msg(gettext_noop("Freeze for %(id)s"), id=res.instance_id),
        acting_user=acting_user,
        at=now,
        idempotency_key=key,
    )
    audit_record(
        actor=acting_user,
        action="resource.activate",
        message=Msg(
            gettext_noop("Activated %(id)s (%(spec)s); froze %(freeze)s CNY on %(payer)s"),
            id=res.instance_id,
            spec=spec.names,  # in the reader's language (issue 17)
            freeze=freeze,
            payer=payer.uin,
        ),
        organization=organization_of(owner),
        target_account=owner,
        obj=res,
    )
    return res


def release_freeze(
    res: Resource, wallets: dict, *, acting_user: User | None, now, memo: Msg
) -> None:
    if res.frozen_by_id is None or res.frozen_amount == 0:
        return
    post(
        kind=JournalKind.UNFREEZE,
        lines=_freeze_lines(res.frozen_by, -res.frozen_amount, res),
        wallets=wallets,
        memo=memo,
        acting_user=acting_user,
        at=now,
    )
    res.frozen_by, res.frozen_amount = None, ZERO


@transaction.atomic(durable=True)
def resource_terminate(*, resource: Resource, acting_user: User) -> Resource:
    """Stop a pay-as-you-go resource: its freeze is released; its last cycle is still settled."""
    holder = Resource.objects.get(pk=resource.pk).frozen_by
    _payer, _mode, wallets = begin(resource.owner, holder)
    res = (
        Resource.objects.select_for_update(no_key=True, of=("self",))
        .select_related("frozen_by")
        .get(pk=resource.pk)
    )
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    if res.billing_mode != BillingMode.PAYG:
        raise DomainError(_("Subscriptions end by unsubscribing, not by terminating."))
    if res.status == ResourceStatus.TERMINATED:
        raise DomainError(_("%(id)s is already terminated.") % {"id": res.instance_id})
    if res.frozen_by_id is not None and res.frozen_by_id not in wallets:
        # The freeze moved to another account after we read it: its wallet is not locked.
        raise DomainError(_("The resource's payer changed just now; please try again."))
    now = timezone.now()
    release_freeze(
        res,
        wallets,
        acting_user=acting_user,
        now=now,
        memo=Msg(gettext_noop("Released freeze of %(id)s"), id=res.instance_id),
    )
    res.ended_at = now
    set_status(
        [res],
        status=ResourceStatus.TERMINATED,
        at=now,
        fields=("ended_at", "frozen_by", "frozen_amount"),
    )
    notify(  # B9: notices about pay-as-you-go resources go to the owner
        res.owner,
        Msg(gettext_noop("%(id)s terminated"), id=res.instance_id),
        Msg(
            gettext_noop("Its freeze was released; its last cycle is settled when the cycle ends.")
        ),
        category=MessageCategory.RESOURCE,
        resource=res,
    )
    audit_record(
        actor=acting_user,
        action="resource.terminate",
        message=Msg(gettext_noop("Terminated %(id)s"), id=res.instance_id),
        organization=organization_of(res.owner),
        target_account=res.owner,
        obj=res,
    )
    return res


def move_freezes(*, owner: Account, to: Account, acting_user: User | None, now=None) -> int:
    """B7: the owner's running pay-as-you-go resources' freezes move to `to` (its new payer,
    or itself). Call inside the membership service's transaction after it locked the accounts."""
    now = now or timezone.now()
    resources = list(
        Resource.objects.filter(owner=owner, billing_mode=BillingMode.PAYG, frozen_by__isnull=False)
        .exclude(frozen_by=to)
        .exclude(status=ResourceStatus.TERMINATED)
        .select_related("frozen_by")
        .order_by("pk")
    )
    if not resources:
        return 0
    wallets = lock_wallets(to, *[r.frozen_by for r in resources])
    releases, freezes = [], []
    for res in resources:
        releases += _freeze_lines(res.frozen_by, -res.frozen_amount, res)
        freezes += _freeze_lines(to, res.frozen_amount, res)
        res.frozen_by = to
    memo = Msg(gettext_noop("Freezes of %(uin)s moved to %(to)s"), uin=owner.uin, to=to.uin)
    post(
        kind=JournalKind.UNFREEZE,
        lines=releases,
        wallets=wallets,
        acting_user=acting_user,
        at=now,
        memo=memo,
    )
    post(
        kind=JournalKind.FREEZE,
        lines=freezes,
        wallets=wallets,
        acting_user=acting_user,
        at=now,
        memo=memo,
    )
    Resource.objects.bulk_update(resources, ["frozen_by"])
    return len(resources)
