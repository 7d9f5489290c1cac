"""What the budget tests share (test_finance_budgets, test_finance_budget_alerts,
test_finance_budget_cache): console time (UTC+8) and a moved clock, a budget's fields with
one change, creating one for the `world` organization (tests/billing/conftest.py), and the
budget messages an account received."""

import datetime as dt

import time_machine

from billing.finance.budget_services import budget_create
from billing.models import Message
from billing.models.choices import MessageCategory
from tests.billing.helpers import D

CST = dt.timezone(dt.timedelta(hours=8))


def at(*args):
    return dt.datetime(*args, tzinfo=CST)


def travel(*args):
    return time_machine.travel(at(*args), tick=False)


PCT = [
    {"basis": "actual", "kind": "percentage", "value": D("50")},
    {"basis": "actual", "kind": "percentage", "value": D("80")},
    {"basis": "actual", "kind": "percentage", "value": D("100")},
]


def fields(**kw):
    base = {
        "name": "Cloud spend",
        "period": "month",
        "start": dt.date(2026, 3, 1),
        "end": None,
        "plan_type": "fixed",
        "amount": D("1000"),
        "planned_amounts": [],
        "scope": "organization",
        "departments": [],
        "members": [],
        "products": [],
        "thresholds": PCT,
        "notify_member_owners": False,
        "block_orders": False,
    }
    base.update(kw)
    return base


def create(world, **kw):
    return budget_create(organization=world["org"], acting_user=world["admin"], **fields(**kw))


def budget_messages(account):
    return Message.objects.filter(account=account, category=MessageCategory.BUDGET)
