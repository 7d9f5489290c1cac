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
                updated = org_services.member_update(
                    membership=member,
                    acting_user=admin_user,
                    name=member.name,
                    remark=_("paid by rnd-lab"),
                    permissions=[1, 2, 7],
                    payer=payer.account,
                    allow_quit=False,
                )
                if updated.pending_change is not None:  # F17: an invited member consents
                    org_services.permission_change_accept(
                        change=updated.pending_change, acting_user=_user_of(member)
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


# F3, F6: the self-pay member's own spend over the recent weeks, so the admin switching to it in
# Billing Center sees bills this month and last, and cost analysis over 30 days shows it: daily
# storage from 50 days ago, and a one-month subscription bought on each of these days ago.
SELFPAY = "member-selfpay"
SELFPAY_STORAGE_DAYS = 50
SELFPAY_ORDERS = {33: "S5.MEDIUM4", 12: "SSD-200", 0: "PREMIUM-100"}


def seed_selfpay(org) -> bool:
    """Idempotent: skipped once the member has a pay-as-you-go resource. Runs after
    `seed_payg` (whose own check would otherwise see this resource and skip)."""
    from billing.models.choices import BillingMode
    from billing.services import payg
    from billing.services.settlement import settle_resource

    member = _members(org).get(SELFPAY)
    if member is None:
        return False
    if Resource.objects.filter(owner=member.account, billing_mode=BillingMode.PAYG).exists():
        return False
    user = _user_of(member)
    region = Region.objects.get(code="ap-guangzhou")
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=SELFPAY_STORAGE_DAYS), tick=False):
        services.wallet_top_up(account=member.account, amount=D("2500"), acting_user=user)
        storage = payg.resource_activate(
            owner=member.account,
            acting_user=user,
            spec=Spec.objects.get(code="COS-STANDARD"),
            region=region,
        )
    # A day at a time, in order: that day's purchase, then the cycles that ended by then.
    for days_ago in range(SELFPAY_STORAGE_DAYS - 1, -1, -1):
        moment = now - timedelta(days=days_ago)
        with time_machine.travel(moment, tick=False):
            if days_ago in SELFPAY_ORDERS:
                services.order_buy(
                    owner=member.account,
                    acting_user=user,
                    spec=Spec.objects.get(code=SELFPAY_ORDERS[days_ago]),
                    region=region,
                    months=1,
                )
            storage.refresh_from_db(fields=["settled_until"])  # only the cycles still due
            settle_resource(storage, until=moment)
    return True


# F12: the admin transferred funds to the self-pay member three weeks ago and took part back.
TRANSFERS = ((21, D("800.00")), (7, D("-200.00")))


def seed_transfers(org, admin_user) -> bool:
    """Idempotent: skipped once the admin has transferred anything (or cannot: no member
    granting 3, or not enough cash)."""
    from billing.finance.transfers import fund_take_back, fund_transfer_in
    from billing.models import FundTransfer

    member = _members(org).get(SELFPAY)
    if member is None or FundTransfer.objects.filter(source=org.admin_account).exists():
        return False
    now = timezone.now()
    record = None
    try:
        for days_ago, amount in TRANSFERS:
            with time_machine.travel(now - timedelta(days=days_ago), tick=False):
                if amount > 0:
                    record = fund_transfer_in(
                        membership=member, amount=amount, acting_user=admin_user
                    )
                else:
                    fund_take_back(record=record, amount=-amount, acting_user=admin_user)
    except DomainError:
        return False
    return True


# F14, F15: an operator gave the admin a credit line; it allocated part of it to the self-pay
# member, permanently and (a little more) until the end of next week.
CREDIT_LINE = D("5000.00")
CREDIT_PERMANENT, CREDIT_TEMPORARY, CREDIT_DAYS = D("1000.00"), D("500.00"), 8


def seed_credit(org, admin_user) -> bool:
    """Idempotent: skipped once the admin allocated any credit (or cannot: no member granting
    10, or too little available)."""
    import datetime as dt

    from billing.finance import credit
    from billing.models import CreditChange, Wallet

    member = _members(org).get(SELFPAY)
    admin = org.admin_account
    if member is None or CreditChange.objects.filter(admin=admin).exists():
        return False
    wallet = Wallet.objects.filter(account=admin).first()
    if wallet is None or wallet.credit_limit < CREDIT_LINE:
        services.wallet_set_credit_limit(account=admin, limit=CREDIT_LINE, acting_user=None)
    last_day = timezone.localdate() + timedelta(days=CREDIT_DAYS)
    try:
        credit.credit_allocate(
            admin_account=admin,
            member_account=member.account,
            amount=CREDIT_PERMANENT,
            temporary_amount=CREDIT_TEMPORARY,
            temporary_until=timezone.make_aware(
                dt.datetime.combine(last_day + timedelta(days=1), dt.time.min)
            ),
            acting_user=admin_user,
        )
    except DomainError:
        return False
    return True


# F16: the admin keeps member-selfpay's invoice title and requested an invoice for it.
INVOICE_TITLE = ("Acme Finance Services Ltd", "91440300MA5FINANCE")
INVOICE_AMOUNT = D("100.00")


def seed_invoicing(org, admin_user) -> bool:
    """Idempotent: skipped once member-selfpay has a title (or cannot: no member granting 5,
    or less than INVOICE_AMOUNT invoiceable)."""
    from billing.finance.invoicing import invoice_title_create, member_invoice_request
    from billing.models import InvoiceTitle
    from billing.services.invoices import invoiceable

    member = _members(org).get(SELFPAY)
    if member is None or InvoiceTitle.objects.filter(account=member.account).exists():
        return False
    title, tax_number = INVOICE_TITLE
    try:
        invoice_title_create(
            account=member.account,
            membership=member,
            acting_user=admin_user,
            title=title,
            tax_number=tax_number,
            address="88 Keyuan Road, Nanshan, Shenzhen",
        )
        if invoiceable(member.account) >= INVOICE_AMOUNT:
            member_invoice_request(
                membership=member,
                acting_user=admin_user,
                title=title,
                tax_number=tax_number,
                amount=INVOICE_AMOUNT,
            )
    except DomainError:
        return False
    return True


BUDGET_DEPARTMENT = "Engineering"
DEPARTMENT_BUDGET = "Engineering monthly"
SELFPAY_BUDGET = "member-selfpay monthly"
TARGET_SHARE = D("0.72")  # this month's spend is ~72 % of the department budget


def _month_spend(org, owners_q) -> D:
    """F6's measure (voucher + cash) of this month so far over the rows the admin reaches for
    budgets (F1, F2), narrowed to `owners_q`: what the budget will show once created."""
    from django.db.models import Sum

    from billing.finance import budgets as sel
    from billing.finance import reach
    from billing.models import DailyCost

    today = timezone.localdate()
    total = DailyCost.objects.filter(
        reach.cost_q(sel.admin_reach(org), sel.BUDGETS),
        owners_q,
        day__gte=today.replace(day=1),
        day__lte=today,
    ).aggregate(spend=Sum("voucher_amount") + Sum("cash_amount"))["spend"]
    return sel.money(total or 0)


def _near_threshold(spend: D, share: D) -> D:
    """An amount that `spend` is about `share` of (whole yuan when that is close enough)."""
    if spend <= 0:
        return D("100.00")
    amount = (spend / share).quantize(D("0.01"))
    return amount.quantize(D("1")) if amount >= 100 else amount


def seed_budgets(org, admin_user) -> int:
    """F7/F8: a monthly budget on a department at ~72 % of its amount (its 50 % threshold has
    fired, 80 % has not) and one scoped to the self-pay member; then one evaluation, as the
    tick would run it, so the 50 % alert and its message exist. Idempotent by name."""
    from django.db.models import Q

    from billing.finance.budget_services import budget_create, budgets_evaluate
    from billing.models import Budget
    from organizations.models import Department

    live = set(Budget.objects.live().filter(organization=org).values_list("name", flat=True))
    start = timezone.localdate().replace(day=1)
    common = {
        "period": "month",
        "start": start,
        "end": None,
        "plan_type": "fixed",
        "planned_amounts": [],
        "products": [],
        "notify_member_owners": False,
        "block_orders": False,
    }
    created = 0
    dept = Department.objects.filter(organization=org, name=BUDGET_DEPARTMENT).first()
    if dept is not None and DEPARTMENT_BUDGET not in live:
        owners = Membership.objects.filter(
            organization=org, department__path__startswith=dept.path
        ).values("account_id")
        spend = _month_spend(org, Q(owner_id__in=owners))
        budget_create(
            organization=org,
            acting_user=admin_user,
            name=DEPARTMENT_BUDGET,
            amount=_near_threshold(spend, TARGET_SHARE),
            scope="departments",
            departments=[dept],
            members=[],
            thresholds=[
                {"basis": "actual", "kind": "percentage", "value": D("50")},
                {"basis": "actual", "kind": "percentage", "value": D("80")},
            ],
            **common,
        )
        created += 1
    selfpay = _members(org).get(SELFPAY)
    if selfpay is not None and SELFPAY_BUDGET not in live:
        spend = _month_spend(org, Q(owner_id=selfpay.account_id))
        budget_create(
            organization=org,
            acting_user=admin_user,
            name=SELFPAY_BUDGET,
            amount=_near_threshold(spend, D("0.40")),
            scope="members",
            departments=[],
            members=[selfpay.account],
            thresholds=[
                {"basis": "actual", "kind": "percentage", "value": D("90")},
                {"basis": "forecast", "kind": "percentage", "value": D("100")},
            ],
            **common,
        )
        created += 1
    if created:
        budgets_evaluate()
    return created
