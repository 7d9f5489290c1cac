"""Enqueue the periodic tasks that are due. Run every minute (make run does it for the demo).

Each task is idempotent, so two workers running it at once is harmless: invitation expiry,
usage settlement, subscription expiry and the arrears sweep. A task that is already queued or
running is not enqueued again (they would pile up when one run takes longer than a minute);
a task RUNNING past TASKS_STALE_AFTER_SECONDS is reclaimed first (tco_console/periodic.py).
"""

from django.core.management.base import BaseCommand

from billing.tasks import (
    arrears_sweep,
    evaluate_budgets,
    expire_bill_exports,
    expire_subscriptions,
    lapse_temporary_credit,
    settle_usage,
)
from organizations.tasks import (
    expire_invitations,
    expire_permission_changes,
    prune_api_rate_windows,
)
from tco_console.periodic import enqueue_periodic

PERIODIC_TASKS = [
    expire_invitations,
    settle_usage,
    expire_subscriptions,
    arrears_sweep,
    evaluate_budgets,  # F8: alerts within a minute of the spend
    expire_bill_exports,  # F4: drop consolidated bills after 24 hours
    lapse_temporary_credit,  # F15: temporary credit ends within a minute of its end
    expire_permission_changes,  # F17: changes unanswered for 15 days
    prune_api_rate_windows,  # issue 15: the API's per-second counts of the last minute
]


class Command(BaseCommand):
    help = "Enqueue the periodic tasks (expiry, settlement, arrears) for the background workers."

    def handle(self, *args, **options):
        for t in PERIODIC_TASKS:
            result, reclaimed = enqueue_periodic(t)
            if reclaimed:
                self.stdout.write(f"reclaimed {reclaimed} stale running {t.name}")
            if result is None:
                self.stdout.write(f"skipped {t.name} (already queued or running)")
            else:
                self.stdout.write(f"enqueued {t.name} ({result.id})")
