"""Demo billing history for Acme Group, written through the real services with the clock moved
back (time-machine), so every order, journal and bill line is as the console would make it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import time_machine
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import services
from billing.catalog import ensure_catalog
from billing.models import Offer, Order, Region, Resource, Spec, Voucher
from billing.models.choices import OfferKind, ResourceStatus
from organizations.models import Membership, User
from tco_console.errors import DomainError

# (member name, spec code, months) bought in the history, oldest first
PURCHASES = [
    ("platform-prod", "S5.2XLARGE16", 6),
    ("platform-prod", "SSD-200", 6),
    ("platform-staging", "S5.MEDIUM4", 3),
    ("data-lake", "HA-4C8G", 6),
    ("dw-core", "HA-8C16G", 6),
    ("member-pob", "S5.MEDIUM4", 3),
    ("finance-erp", "BASIC-2C4G", 6),
    ("sales-crm", "S5.LARGE8", 3),
    ("sales-east-shop", "S5.SMALL2", 6),
    ("ops-monitoring", "S5.SMALL2", 6),
    ("mobile-app", "S5.MEDIUM4", 3),
    ("k8s-shared", "S5.2XLARGE16", 3),
    ("brand-site", "PREMIUM-100", 6),
]


def _user_of(membership: Membership) -> User:
    return User.objects.filter(account=membership.account, is_owner=True).first()


def _members(org) -> dict[str, Membership]:
    return {
        m.name: m for m in Membership.objects.filter(organization=org).select_related("account")
    }


def seed_billing(org, admin_user, *, selfpay_user) -> bool:
    """Returns False when the history is already there (idempotent)."""
    ensure_catalog()
    if Order.objects.filter(owner__membership__organization=org).exists():
        return False
    admin = org.admin_account
    region = Region.objects.get(code="ap-guangzhou")
    members = _members(org)
    start = timezone.now() - timedelta(days=150)

    with time_machine.travel(start, tick=False):
        Offer.objects.get_or_create(
            account=admin, product=None, kind=OfferKind.CONTRACT, defaults={"rate": D("0.90")}
        )
        Offer.objects.get_or_create(
            account=selfpay_user.account,
            product=None,
            kind=OfferKind.REBATE,
            defaults={"rate": D("0.95")},
        )
        Voucher.objects.get_or_create(
            code="ACME-WELCOME-800",
            defaults={
                "account": admin,
                "face_value": D("800"),
                "remaining": D("800"),
                "valid_from": start,
                "valid_until": start + timedelta(days=365),
            },
        )
        Voucher.objects.get_or_create(
            code="ACME-CDB-300",
            defaults={
                "account": admin,
                "face_value": D("300"),
                "remaining": D("300"),
                "valid_from": start,
                "valid_until": start + timedelta(days=400),
                "product": Spec.objects.get(code="HA-4C8G").product,
                "min_order_amount": D("1000"),
            },
        )
        services.wallet_top_up(account=admin, amount=D("26000"), acting_user=admin_user)
        services.wallet_top_up(
            account=selfpay_user.account, amount=D("3000"), acting_user=selfpay_user
        )

    moment = start + timedelta(hours=3)
    for name, spec_code, months in PURCHASES:
        member = members.get(name)
        if member is None:
            continue
        with time_machine.travel(moment, tick=False):
            services.order_buy(
                owner=member.account,
                acting_user=_user_of(member),
                spec=Spec.objects.get(code=spec_code),
                region=region,
                months=months,
            )
        moment += timedelta(days=2, hours=5)

    with time_machine.travel(start + timedelta(days=20), tick=False):
        services.order_buy(
            owner=selfpay_user.account,
            acting_user=selfpay_user,
            spec=Spec.objects.get(code="S5.LARGE8"),
            region=region,
            months=6,
        )
    # Monthly top-ups, upgrades, renewals and an unsubscribe over the months.
    for month in range(1, 5):
        with time_machine.travel(start + timedelta(days=30 * month), tick=False):
            services.wallet_top_up(account=admin, amount=D("1500"), acting_user=admin_user)
    _change(members, "platform-staging", start + timedelta(days=40), "upgrade", "S5.LARGE8")
    _change(members, "sales-crm", start + timedelta(days=70), "downgrade", "S5.MEDIUM4")
    _change(members, "mobile-app", start + timedelta(days=85), "renew", 3)
    _change(members, "member-pob", start + timedelta(days=88), "renew", 3)
    _change(members, "k8s-shared", start + timedelta(days=100), "unsubscribe", None)

    # Today: the payer is short, so the big purchases wait to be paid; a small one goes through.
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        for name, spec_code, months in (
            ("member-pob", "HA-4C8G", 12),
            ("platform-ci", "S5.MEDIUM4", 1),
            ("eng-tools", "HA-8C16G", 12),
        ):
            member = members.get(name)
            if member is not None:
                services.order_buy(
                    owner=member.account,
                    acting_user=_user_of(member),
                    spec=Spec.objects.get(code=spec_code),
                    region=region,
                    months=months,
                )
    pending = (
        Order.objects.filter(owner=members["member-pob"].account, status="to_be_paid").first()
        if "member-pob" in members
        else None
    )
    if pending is not None:
        services.order_apply(order=pending, acting_user=_user_of(members["member-pob"]))
    return True


def _change(members, name, when, kind, arg):
    member = members.get(name)
    if member is None:
        return
    resource = (
        Resource.objects.filter(owner=member.account)
        .exclude(status=ResourceStatus.TERMINATED)
        .first()
    )
    if resource is None:
        return
    user = _user_of(member)
    with time_machine.travel(when, tick=False):
        try:
            if kind == "upgrade":
                services.order_upgrade(
                    resource=resource, acting_user=user, spec=Spec.objects.get(code=arg)
                )
            elif kind == "downgrade":
                services.order_downgrade(
                    resource=resource, acting_user=user, spec=Spec.objects.get(code=arg)
                )
            elif kind == "renew":
                services.order_renew(resource=resource, acting_user=user, months=arg)
            else:
                services.order_unsubscribe(resource=resource, acting_user=user)
        except DomainError:
            return


# (member name, pay-as-you-go spec, days ago activated)
PAYG = [
    ("member-pob", "COS-STANDARD", 45),
    ("data-lake", "COS-IA", 45),
    ("sales-east-cdn", "CDN-TRAFFIC", 75),
    ("platform-prod", "CLB-STANDARD", 6),
    ("platform-staging", "S5.MEDIUM4", 3),
]
# A member that pays for two others and runs out of money: their resources get suspended.
ARREARS_PAYER, ARREARS_MEMBERS = "rnd-lab", ("eng-sandbox", "dw-sandbox")


def seed_payg(org, admin_user) -> bool:
    """Pay-as-you-go history, settled day by day (idempotent: skipped when resources exist)."""
    from billing.models.choices import BillingMode
    from billing.services import payg
    from billing.services.settlement import settle_due
    from organizations import services as org_services

    members = _members(org)
    accounts = [m.account for m in members.values()]
    if Resource.objects.filter(owner__in=accounts, billing_mode=BillingMode.PAYG).exists():
        return False
    region = Region.objects.get(code="ap-shanghai")
    now = timezone.now()
    for name, spec_code, days in PAYG:
        member = members.get(name)
        if member is None:
            continue
        with time_machine.travel(now - timedelta(days=days), tick=False):
            payg.resource_activate(
                owner=member.account,
                acting_user=_user_of(member),
                spec=Spec.objects.get(code=spec_code),
                region=region,
            )
    if "member-pob" in members:
        with time_machine.travel(now - timedelta(days=20), tick=False):
            pob = members["member-pob"]
            services.order_buy(
                owner=pob.account,
                acting_user=_user_of(pob),
                spec=Spec.objects.get(code="COS-PACK-300"),
                region=region,
                months=1,
            )

    payer = members.get(ARREARS_PAYER)
    if payer is not None:
        with time_machine.travel(now - timedelta(days=4), tick=False):
            services.wallet_top_up(
                account=payer.account, amount=D("12.00"), acting_user=_user_of(payer)
            )
            for name in ARREARS_MEMBERS:
                member = members.get(name)
                if member is None:
                    continue
                org_services.member_update(
                    membership=member,
                    acting_user=admin_user,
                    name=member.name,
                    remark=_("paid by rnd-lab"),
                    permissions=[1, 2, 7],
                    payer=payer.account,
                    allow_quit=False,
                )
                payg.resource_activate(
                    owner=member.account,
                    acting_user=_user_of(member),
                    spec=Spec.objects.get(code="S5.SMALL2"),
                    region=region,
                )
    # Settle the history a day at a time, as the workers would have.
    for days_ago in range(75, -1, -1):
        moment = now - timedelta(days=days_ago)
        with time_machine.travel(moment, tick=False):
            settle_due(until=moment)
    return True
