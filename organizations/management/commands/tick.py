"""Enqueue the periodic tasks that are due. Run every minute (make run does it for the demo).

Each task is idempotent, so enqueuing one twice, or two workers running it at once, is
harmless. Later issues add settlement, subscription expiry and the arrears sweep here.
"""

from django.core.management.base import BaseCommand

from organizations.tasks import expire_invitations

PERIODIC_TASKS = [expire_invitations]


class Command(BaseCommand):
    help = "Enqueue the periodic tasks (invitation expiry, ...) for the background workers."

    def handle(self, *args, **options):
        for t in PERIODIC_TASKS:
            result = t.enqueue()
            self.stdout.write(f"enqueued {t.name} ({result.id})")
