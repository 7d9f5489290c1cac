"""B9, B10: arrears suspend what an account pays for; a top-up recovers it; subscriptions expire.

`reconcile` runs inside the transaction that moved the money (settlement, top-up, credit-limit
change, payer change), after that transaction locked the paying account: every transaction
that touches a resource locks its paying account first, so locking resources here is safe.
Notices (B9): about subscription resources → the payer; about pay-as-you-go ones → the owner.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Resource, Wallet
from billing.models.choices import BillingMode, MessageCategory, ResourceStatus, SuspendReason
from organizations.audit import audit_record, organization_of
from organizations.locks import lock_accounts
from organizations.models import Account, Membership, User
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .ledger import payer_of
from .messages import notify
from .status import set_status

EXPIRY_NOTICE_DAYS = 7


def paid_by(account: Account):
    """Resources `account` pays for now: its own (unless a payer pays for it) and those of every
    member it pays on behalf of."""
    members = Membership.objects.filter(payer=account).values("account_id")
    own = Q(owner=account) & ~Q(owner__membership__payer__isnull=False)
    return Resource.objects.filter(own | Q(owner__in=members))


def _notify_resource(res: Resource, payer: Account, title: Msg, body: Msg | str = "") -> None:
    recipient = payer if res.billing_mode == BillingMode.SUBSCRIPTION else res.owner
    notify(recipient, title, body, category=MessageCategory.RESOURCE, resource=res)


def reconcile(
    account: Account, *, acting_user: User | None = None, now=None, in_arrears: bool | None = None
) -> tuple[int, int]:
    """Suspend or recover what `account` pays for, by its arrears: (suspended, recovered).
    `in_arrears` is read from its wallet unless given: settlement in batches (issue 16) passes
    the state the wallet had after an earlier cycle of the batch, as settling the cycles one
    at a time would have reconciled then."""
    now = now or timezone.now()
    if in_arrears is None:
        wallet = Wallet.objects.filter(account=account).first()
        in_arrears = wallet is not None and wallet.in_arrears
    if in_arrears:
        targets = list(
            paid_by(account)
            .filter(status=ResourceStatus.ACTIVE)
            .select_for_update(no_key=True, of=("self",))
            .order_by("pk")
        )
        set_status(targets, status=ResourceStatus.SUSPENDED, reason=SuspendReason.ARREARS, at=now)
        for res in targets:
            _notify_resource(
                res,
                account,
                Msg(
                    gettext_noop("%(id)s is suspended: the paying account %(uin)s is in arrears"),
                    id=res.instance_id,
                    uin=account.uin,
                ),
                Msg(gettext_noop("Top up the paying account to recover it.")),
            )
        if targets:
            audit_record(
                actor=acting_user,
                action="resource.suspend",
                message=Msg(
                    gettext_noop("%(n)s resource(s) suspended: %(uin)s is in arrears"),
                    n=len(targets),
                    uin=account.uin,
                ),
                target_account=account,
            )
        return len(targets), 0
    targets = list(
        paid_by(account)
        .filter(status=ResourceStatus.SUSPENDED, suspended_reason=SuspendReason.ARREARS)
        .select_for_update(no_key=True, of=("self",))
        .order_by("pk")
    )
    set_status(targets, status=ResourceStatus.ACTIVE, at=now)
    for res in targets:
        _notify_resource(
            res,
            account,
            Msg(gettext_noop("%(id)s recovered"), id=res.instance_id),
            Msg(gettext_noop("The paying account %(uin)s is out of arrears."), uin=account.uin),
        )
    if targets:
        audit_record(
            actor=acting_user,
            action="resource.recover",
            message=Msg(
                gettext_noop("%(n)s resource(s) recovered: %(uin)s is out of arrears"),
                n=len(targets),
                uin=account.uin,
            ),
            target_account=account,
        )
    return 0, len(targets)


@transaction.atomic(durable=True)
def account_reconcile(*, account: Account, acting_user: User | None = None) -> tuple[int, int]:
    """The arrears sweep for one account, as its own transaction."""
    lock_accounts(account)
    return reconcile(account, acting_user=acting_user)


def _lock_for_operator(resource: Resource) -> tuple[Resource, Account, bool]:
    """Lock the paying account, its wallet and the resource (`organizations.locks`' order:
    accounts by id → wallets by id → resource) and tell whether the paying account is in
    arrears now."""
    payer, _mode = payer_of(resource.owner)
    lock_accounts(resource.owner, payer)
    if payer_of(resource.owner)[0].pk != payer.pk:  # the payer changed before our lock
        raise DomainError(_("The resource's payer just changed. Try again."))
    wallet = Wallet.objects.select_for_update(no_key=True).filter(account=payer).first()
    res = (
        Resource.objects.select_for_update(no_key=True, of=("self",))
        .select_related("owner")
        .get(pk=resource.pk)
    )
    return res, payer, wallet is not None and wallet.in_arrears


@transaction.atomic(durable=True)
def resource_suspend_by_operator(
    *, resource: Resource, acting_user: User, reason: str = ""
) -> Resource:
    """A3, B9: an operator suspends a resource. The operator's reason wins over arrears: a
    resource suspended for arrears becomes suspended by the operator, so a top-up does not
    bring it back; only resource_resume_by_operator does."""
    res, payer, _in_arrears = _lock_for_operator(resource)
    if res.status not in (ResourceStatus.ACTIVE, ResourceStatus.SUSPENDED):
        raise DomainError(_("Only a running or suspended resource can be suspended."))
    if res.suspended_reason == SuspendReason.OPERATOR:
        raise DomainError(
            _("%(id)s is already suspended by an operator.") % {"id": res.instance_id}
        )
    old = [res.status, res.suspended_reason]
    set_status(
        [res], status=ResourceStatus.SUSPENDED, reason=SuspendReason.OPERATOR, at=timezone.now()
    )
    reason = (reason or "").strip()[:200]
    _notify_resource(
        res,
        payer,
        Msg(gettext_noop("%(id)s is suspended by an operator"), id=res.instance_id),
        reason or Msg(gettext_noop("Contact support to have it resumed.")),
    )
    audit_record(
        actor=acting_user,
        action="resource.operator_suspend",
        message=Msg(
            gettext_noop("Operator suspended %(id)s%(why)s"),
            id=res.instance_id,
            why=f": {reason}" if reason else "",
        ),
        organization=organization_of(res.owner),
        target_account=res.owner,
        obj=res,
        changes={
            "status": [old, [res.status, res.suspended_reason]],
            "reason": reason,
            "payer": payer.uin,
        },
    )
    return res


@transaction.atomic(durable=True)
def resource_resume_by_operator(
    *, resource: Resource, acting_user: User, reason: str = ""
) -> Resource:
    """A3, B9: an operator lifts its own suspension. It never lifts a suspension for arrears
    (that one ends when the paying account is out of arrears); and if the paying account is in
    arrears now, the resource stays suspended, for arrears, and recovers with a top-up."""
    res, payer, in_arrears = _lock_for_operator(resource)
    if res.status != ResourceStatus.SUSPENDED or res.suspended_reason != SuspendReason.OPERATOR:
        if res.status == ResourceStatus.SUSPENDED and res.suspended_reason == SuspendReason.ARREARS:
            raise DomainError(
                _(
                    "%(id)s is suspended because the paying account %(uin)s is in arrears: it "
                    "recovers when that account is topped up or its credit limit raised."
                )
                % {"id": res.instance_id, "uin": payer.uin}
            )
        raise DomainError(_("%(id)s is not suspended by an operator.") % {"id": res.instance_id})
    if in_arrears:
        set_status(
            [res], status=ResourceStatus.SUSPENDED, reason=SuspendReason.ARREARS, at=timezone.now()
        )
        title = Msg(
            gettext_noop(
                "%(id)s: the operator's suspension is lifted; still suspended for arrears"
            ),
            id=res.instance_id,
        )
        body = Msg(gettext_noop("Top up the paying account %(uin)s to recover it."), uin=payer.uin)
    else:
        set_status([res], status=ResourceStatus.ACTIVE, at=timezone.now())
        title, body = Msg(gettext_noop("%(id)s is resumed by an operator"), id=res.instance_id), ""
    reason = (reason or "").strip()[:200]
    _notify_resource(res, payer, title, reason or body)  # read in each reader's language
    audit_record(
        actor=acting_user,
        action="resource.operator_resume",
        message=Msg(
            gettext_noop("Operator resumed %(id)s%(still)s"),
            id=res.instance_id,
            still=Msg(gettext_noop(" (still suspended: %(uin)s is in arrears)"), uin=payer.uin)
            if in_arrears
            else "",
        ),
        organization=organization_of(res.owner),
        target_account=res.owner,
        obj=res,
        changes={
            "status": [
                [ResourceStatus.SUSPENDED, SuspendReason.OPERATOR],
                [res.status, res.suspended_reason],
            ],
            "reason": reason,
            "payer": payer.uin,
        },
    )
    return res


@transaction.atomic(durable=True)
def subscriptions_expire(*, now=None) -> int:
    """B10: subscriptions past their end date expire (idempotent; workers skip locked rows)."""
    now = now or timezone.now()
    due = list(
        Resource.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
        .filter(billing_mode=BillingMode.SUBSCRIPTION, period_end__lte=now)
        .filter(status__in=[ResourceStatus.ACTIVE, ResourceStatus.SUSPENDED])
        .select_related("owner")
        .order_by("pk")[:500]
    )
    set_status(due, status=ResourceStatus.EXPIRED, at=now)
    for res in due:
        payer, _mode = payer_of(res.owner)
        _notify_resource(
            res,
            payer,
            Msg(gettext_noop("%(id)s expired"), id=res.instance_id),
            Msg(gettext_noop("Renew it to use it again.")),
        )
    return len(due)


@transaction.atomic(durable=True)
def expiry_notices(*, now=None) -> int:
    """B9/B10: a notice to the payer 7 days before a subscription expires (once per period)."""
    now = now or timezone.now()
    due = list(
        Resource.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
        .filter(billing_mode=BillingMode.SUBSCRIPTION, status=ResourceStatus.ACTIVE)
        .filter(period_end__gt=now, period_end__lte=now + timedelta(days=EXPIRY_NOTICE_DAYS))
        .filter(
            Q(expiry_notice_at__isnull=True)
            | Q(expiry_notice_at__lt=now - timedelta(days=EXPIRY_NOTICE_DAYS))
        )
        .select_related("owner")
        .order_by("pk")[:500]
    )
    for res in due:
        payer, _mode = payer_of(res.owner)
        _notify_resource(
            res,
            payer,
            Msg(
                gettext_noop("%(id)s expires on %(date)s"),
                id=res.instance_id,
                date=f"{timezone.localtime(res.period_end):%Y-%m-%d}",
            ),
            Msg(gettext_noop("Renew it within 7 days to keep it running.")),
        )
        res.expiry_notice_at = now
    Resource.objects.bulk_update(due, ["expiry_notice_at"])
    return len(due)
