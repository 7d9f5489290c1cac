"""Periodic billing work for django-tasks-db workers, enqueued by `manage.py tick`. Each task
is idempotent: running it twice, or on two workers at once, has the effect of running it once."""

from django.tasks import task
from django.utils import timezone

from billing.finance import credit_lapse, exports
from billing.finance.budget_services import budgets_evaluate
from billing.models import Wallet
from billing.services import lifecycle
from billing.services.settlement import settle_due
from organizations.models import Account


@task()
def settle_usage() -> int:
    """B8: settle every cycle that has ended."""
    return settle_due(until=timezone.now())


@task()
def expire_subscriptions() -> int:
    """B10: expire subscriptions past their end, and send 7-day notices."""
    total = 0
    while (n := lifecycle.subscriptions_expire()) > 0:
        total += n
    while lifecycle.expiry_notices() > 0:
        pass
    return total


@task()
def arrears_sweep() -> int:
    """B9 safety net: reconcile every account that is in arrears or has arrears suspensions."""
    accounts = Wallet.objects.filter(cash__lt=0).values_list("account_id", flat=True)
    count = 0
    for account in Account.objects.filter(pk__in=list(accounts)):
        lifecycle.account_reconcile(account=account)
        count += 1
    return count


@task()
def evaluate_budgets() -> int:
    """F8: evaluate every budget (alerts once per threshold and period, F10 order blocks)."""
    return budgets_evaluate(timezone.now())


@task()
def lapse_temporary_credit() -> int:
    """F15: temporary credit allocated to members whose end has come goes back to the admin."""
    return credit_lapse.credits_lapse_due(timezone.now())


# F4: defined beside their services (billing.finance.exports), which enqueue the build.
build_bill_export = exports.build_bill_export
expire_bill_exports = exports.expire_bill_exports
