"""F15: the end of a temporary credit. Seven days before it the member and its admin are told
once; when it comes, the temporary amount goes back to the admin, even into arrears. Both run
from the periodic task (`billing/tasks.py: lapse_temporary_credit`), each member in its own
short transaction. The allocation itself, the lock order and the write steps shared with it
are in `credit.py`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing.models import CreditAllocation, CreditChangeKind
from billing.models.choices import MessageCategory
from billing.money import ZERO
from billing.services import lifecycle
from billing.services.ledger import lock_wallets
from billing.services.messages import notify
from billing.templatetags.billing_tags import cny_msg
from organizations.audit import audit_record, organization_of
from organizations.locks import lock_accounts
from tco_console.msg import Msg

from .credit import move_credit, record_change, save_allocation
from .credit_reads import credit_path


@transaction.atomic(durable=True)
def credit_lapse(*, member_id: int, now: dt.datetime) -> bool:
    """F15: the member's temporary credit whose end has come goes back to the admin (member −,
    admin +), even into arrears (then B9 suspends what it pays for: an expired credit is
    gone). Re-checked under the locks, so two workers lapse it once."""
    allocation = CreditAllocation.objects.select_related("admin", "member").filter(pk=member_id)
    allocation = allocation.first()
    if allocation is None or not _due(allocation, now):
        return False
    admin, member = allocation.admin, allocation.member
    lock_accounts(admin, member)
    wallets = lock_wallets(admin, member)
    allocation = (
        CreditAllocation.objects.select_for_update(no_key=True).filter(pk=member_id).first()
    )
    if allocation is None or allocation.admin_id != admin.pk or not _due(allocation, now):
        return False  # another worker did it, or the admin changed it meanwhile
    old = (allocation.amount, allocation.temporary_amount)
    until = allocation.temporary_until
    move_credit(wallets, admin=admin, member=member, delta=-allocation.temporary_amount)
    save_allocation(
        allocation, admin=admin, member=member, amount=old[0], temporary_amount=ZERO, until=None
    )
    change = record_change(
        kind=CreditChangeKind.LAPSE,
        admin=admin,
        member=member,
        old=old,
        new=(old[0], ZERO),
        until=until,
        actor=None,
        now=now,
    )
    member_wallet = wallets[member.pk]
    audit_record(
        actor=None,
        action="finance.credit_lapse",
        message=Msg(
            gettext_noop("The temporary credit of %(amount)s allocated to %(uin)s lapsed"),
            amount=cny_msg(old[1]),
            uin=member.uin,
        ),
        organization=organization_of(admin),
        target_account=member,
        obj=change,
        changes={
            "temporary_amount": [str(old[1]), "0.00"],
            "member_credit_limit": str(member_wallet.credit_limit),
        },
    )
    notify(
        member,
        Msg(gettext_noop("Your temporary credit of %(amount)s has ended"), amount=cny_msg(old[1])),
        [  # the second line only in arrears
            Msg(
                gettext_noop("Your credit limit is now %(limit)s.%(arrears)s"),
                limit=cny_msg(member_wallet.credit_limit),
                arrears="",
            ),
            *(
                [
                    Msg(
                        gettext_noop(
                            "Your account is in arrears: top up to recover what it pays for."
                        )
                    )
                ]
                if member_wallet.in_arrears
                else []
            ),
        ],
        category=MessageCategory.FINANCE,
        link=reverse("billing:billing_center"),
    )
    lifecycle.reconcile(member, now=now)  # B9: into arrears → what it pays for is suspended
    lifecycle.reconcile(admin, now=now)
    return True


def _due(allocation: CreditAllocation, now) -> bool:
    return (
        allocation.temporary_amount > 0
        and allocation.temporary_until is not None
        and allocation.temporary_until <= now
    )


ENDING_NOTICE = dt.timedelta(days=7)  # F15: Tencent alerts 7 days before a temporary credit ends


@transaction.atomic(durable=True)
def credit_ending_notice(*, member_id: int, now: dt.datetime) -> bool:
    """F15: tell the member (and its admin) once that its temporary credit ends within 7 days.
    The conditional update is the "once": of two workers, one updates the row."""
    claimed = CreditAllocation.objects.filter(
        pk=member_id,
        temporary_amount__gt=0,
        temporary_until__gt=now,
        temporary_until__lte=now + ENDING_NOTICE,
        ending_notified_at__isnull=True,
    ).update(ending_notified_at=now)
    if not claimed:
        return False
    allocation = CreditAllocation.objects.select_related("member", "admin").get(pk=member_id)
    ends = timezone.localtime(allocation.temporary_until).strftime("%Y-%m-%d %H:%M")

    title = Msg(  # read in each reader's language (issue 17)
        gettext_noop("A temporary credit of %(amount)s ends on %(ends)s"),
        amount=cny_msg(allocation.temporary_amount),
        ends=ends,
    )

    notify(
        allocation.member,
        title,
        Msg(
            gettext_noop(
                "Your credit limit then falls by that amount. If you use it, top up before then, "
                "or your resources are suspended while your account is in arrears."
            )
        ),
        category=MessageCategory.FINANCE,
        link=reverse("billing:billing_center"),
    )
    notify(
        allocation.admin,
        title,
        Msg(gettext_noop("Allocated to %(uin)s."), uin=allocation.member.uin),
        category=MessageCategory.FINANCE,
        link=credit_path(allocation.member),
    )
    return True


def credits_lapse_due(now: dt.datetime | None = None) -> int:
    """F15: lapse every temporary credit whose end has come (the periodic task), each in its
    own short transaction; and announce those ending within 7 days, once each."""
    now = now or timezone.now()
    ending = list(
        CreditAllocation.objects.filter(
            temporary_amount__gt=0,
            temporary_until__gt=now,
            temporary_until__lte=now + ENDING_NOTICE,
            ending_notified_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ending:
        credit_ending_notice(member_id=pk, now=now)
    ids = list(
        CreditAllocation.objects.filter(temporary_amount__gt=0, temporary_until__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(credit_lapse(member_id=pk, now=now) for pk in ids)
