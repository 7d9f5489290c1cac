"""Enqueue the periodic tasks that are due. Run every minute (make run does it for the demo).

Each task is idempotent, so enqueuing one twice, or two workers running it at once, is
harmless: invitation expiry, usage settlement, subscription expiry and the arrears sweep.
"""

from django.core.management.base import BaseCommand

from billing.tasks import arrears_sweep, expire_subscriptions, settle_usage
from organizations.tasks import expire_invitations

PERIODIC_TASKS = [expire_invitations, settle_usage, expire_subscriptions, arrears_sweep]


class Command(BaseCommand):
    help = "Enqueue the periodic tasks (expiry, settlement, arrears) for the background workers."

    def handle(self, *args, **options):
        for t in PERIODIC_TASKS:
            result = t.enqueue()
            self.stdout.write(f"enqueued {t.name} ({result.id})")
