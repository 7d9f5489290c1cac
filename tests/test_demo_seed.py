"""The demo (`manage.py seed_demo`) shows issue 13's features to a new user: the self-pay
member's recent bills in Billing Center (F1, F3), cost analysis by tag (F6, F11), a budget
between its two thresholds with the first one fired (F7, F8), and the books balance (F5).

One seed (about half a minute) at a fixed mid-month clock, so "this month" always has spend."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from billing.demo import DEPARTMENT_BUDGET, INVOICE_TITLE, SELFPAY_BUDGET
from billing.finance import budgets as sel
from billing.finance.reach import member_reach
from billing.models import (
    Budget,
    BudgetAlert,
    CreditAllocation,
    CreditChange,
    DailyCost,
    FundTransfer,
    Invoice,
    Message,
)
from billing.models.choices import MessageCategory
from organizations.models import ApiKey, Department, Membership, User
from organizations.scoping import ConsoleContext
from organizations.selectors import api_key_by_secret_id

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 5, 20, 10, 0, tzinfo=CST)


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_f3_f6_f7_f11_demo_shows_the_finance_features(client):
    with time_machine.travel(NOW, tick=False):
        _seed()
        admin = User.objects.get(username="admin")
        selfpay = Membership.objects.select_related("account").get(name="member-selfpay")
        uin = selfpay.account.uin

        # F1/F3: the admin reaches member-selfpay for 1, 2, 4, 8 and 9, and its bills of this
        # month and last are there.
        ctx = ConsoleContext.for_user(admin)
        for perm in (1, 2, 4, 8, 9):
            assert member_reach(ctx, uin, perm).account == selfpay.account
        months = set(
            DailyCost.objects.filter(payer=selfpay.account, owner=selfpay.account)
            .filter(day__gte=dt.date(2026, 4, 1))
            .values_list("bill_month", flat=True)
        )
        assert {dt.date(2026, 4, 1), dt.date(2026, 5, 1)} <= months
        client.force_login(admin)
        response = client.get("/billing/", {"account": uin, "tab": "bills"})
        html = response.content.decode()
        assert response.status_code == 200 and 'data-testid="member-view"' in html
        for month in ("2026-04", "2026-05"):
            assert f'<tr data-testid="trend-row" data-month="{month}">' in html

        # F6/F11: cost analysis over the last 30 days by `team` shows several teams, the
        # self-pay member's "finance" and "Untagged".
        response = client.get(
            "/billing/cost-analysis/",
            {
                "group_by": "tag:team",
                "granularity": "day",
                "start": "2026-04-21",
                "end": "2026-05-20",
            },
        )
        assert response.status_code == 200
        labels = {row[0] for row in response.context["body"]}
        assert {"platform", "data", "finance", "Untagged"} <= labels
        assert Department.objects.get(organization=selfpay.organization, name="Engineering").tag_set

        # F7/F8: the department budget is between its 50 % and 80 % thresholds, with the 50 %
        # alert (and its message to the admin); the self-pay member has a budget too.
        budget = Budget.objects.get(name=DEPARTMENT_BUDGET)
        figs = sel.figures(budget)
        assert Decimal(50) <= figs.percent < Decimal(80)
        assert list(
            BudgetAlert.objects.filter(budget=budget).values_list("threshold__value", flat=True)
        ) == [Decimal(50)]
        assert (
            Message.objects.filter(
                account=admin.account,
                category=MessageCategory.BUDGET,
                link__endswith=f"/{budget.pk}/",
            ).count()
            == 1
        )
        assert Budget.objects.get(name=SELFPAY_BUDGET).members.get() == selfpay.account
        assert client.get(f"/billing/budgets/{budget.pk}/").status_code == 200

        # F5: the books balance; a second run adds nothing.
        # F12: the admin transferred 800.00 to member-selfpay and took 200.00 back
        transfer = FundTransfer.objects.get(target=selfpay.account)
        assert (transfer.amount, transfer.taken_back) == (Decimal("800.00"), Decimal("200.00"))
        assert member_reach(ctx, uin, 3).account == selfpay.account
        # F14, F15: the admin allocated credit to member-selfpay, part of it temporary
        allocation = CreditAllocation.objects.get(member=selfpay.account)
        assert (allocation.amount, allocation.temporary_amount) == (
            Decimal("1000.00"),
            Decimal("500.00"),
        )
        page = client.get("/billing/credit/").content.decode()
        assert f'data-uin="{uin}"' in page and "1,500.00 CNY" in page
        # F16: the admin keeps member-selfpay's invoice title and requested an invoice for it
        invoice = Invoice.objects.get(account=selfpay.account)
        assert invoice.requested_by_admin == admin.account and invoice.title == INVOICE_TITLE[0]
        assert client.get("/billing/invoices/", {"account": uin}).status_code == 200
        # Issue 15: admin, member and outsider each hold the documented demo API key, and
        # `seed_demo --logins-only` prints it under the logins.
        from tco_console.management.commands.seed_demo import DEMO_API_KEYS

        logins = io.StringIO()
        call_command("seed_demo", "--logins-only", stdout=logins)
        for username, secret_id, secret_key in DEMO_API_KEYS:
            key, plain = api_key_by_secret_id(secret_id)
            assert (key.user.username, plain, key.enabled) == (username, secret_key, True)
            assert f"{secret_id} {secret_key}" in logins.getvalue()
        assert ApiKey.objects.count() == 3
        counts = (
            ApiKey.objects.count(),
            DailyCost.objects.count(),
            Budget.objects.count(),
            BudgetAlert.objects.count(),
            FundTransfer.objects.count(),
            CreditChange.objects.count(),
            Invoice.objects.count(),
        )
        _seed()
        assert counts == (
            ApiKey.objects.count(),
            DailyCost.objects.count(),
            Budget.objects.count(),
            BudgetAlert.objects.count(),
            FundTransfer.objects.count(),
            CreditChange.objects.count(),
            Invoice.objects.count(),
        )
        out = io.StringIO()
        call_command("check_books", stdout=out)
        assert "The books balance." in out.getvalue()
