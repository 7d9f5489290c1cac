"""Measure pay-as-you-go settlement against its physical floor (issue 16, B8; PostgreSQL):

    manage.py bench_settle --members 2000 --hours 4

Adds an organization-shaped backlog to the current database and leaves it there (the ledger
is append-only): run it on a scratch or bench database. `billing.bench_settle` has the details.
"""

import json

from django.core.management.base import BaseCommand

from billing.bench_settle import measure_settlement


class Command(BaseCommand):
    help = "Time settlement of a fresh pay-as-you-go backlog and the set-based floor."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=2_000)
        parser.add_argument("--resources-per-member", type=int, default=5)
        parser.add_argument("--hours", type=int, default=4)

    def handle(self, *args, members, resources_per_member, hours, **options):
        result = measure_settlement(
            self.stdout.write,
            members=members,
            resources_per_member=resources_per_member,
            hours=hours,
        )
        self.stdout.write(json.dumps(result, indent=2))
