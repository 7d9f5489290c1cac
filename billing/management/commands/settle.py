"""Settle pay-as-you-go usage up to a moment (B8), e.g. to build history for a demo:

    manage.py settle --until 2026-11-01T00:00:00+08:00

Idempotent: cycles already settled are skipped, so it can be rerun or run beside the workers.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.services.settlement import settle_due


class Command(BaseCommand):
    help = "Settle every pay-as-you-go cycle that ended by --until (default: now)."

    def add_arguments(self, parser):
        parser.add_argument("--until", help="ISO date-time, e.g. 2026-11-01T00:00:00+08:00")

    def handle(self, *args, until=None, **options):
        moment = timezone.now()
        if until:
            moment = parse_datetime(until)
            if moment is None:
                raise CommandError(f"--until {until!r} is not an ISO date-time")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        interactive = sys.stdout.isatty()

        def progress(done, total):
            width = 30
            filled = width * done // max(total, 1)
            line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} resources"
            if interactive or done == total:
                self.stdout.write(line, ending="\n" if done == total else "")
                self.stdout.flush()

        settled = settle_due(until=moment, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"Settled {settled} cycle(s) up to {moment.isoformat()}.")
        )
