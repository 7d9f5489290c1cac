"""Load the scale dataset into PostgreSQL (issue 5): see `billing.scale`."""

import resource
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing import scale
from organizations.models import Account


def progress_bar(stream):
    def make(total, desc):
        return tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, file=stream)

    return make


class Command(BaseCommand):
    help = (
        "Load a large dataset (one organization, its departments and members, and bill line "
        "items over 12 months) into an empty PostgreSQL database, with COPY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=10_000)
        parser.add_argument("--departments", type=int, default=1_000)
        parser.add_argument("--line-items", type=int, default=10_000_000)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty every console table of this database first (everything is lost).",
        )

    def handle(self, *args, members, departments, line_items, months, reset, **options):
        try:
            scale.require_postgresql()
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        if members < 1 or departments < 1 or line_items < 1 or not 1 <= months <= 120:
            raise CommandError("members, departments and line items must be positive.")
        if reset:
            scale.reset()
        elif Account.objects.exists():
            raise CommandError(
                "The database is not empty. Use a database of its own, or --reset to empty it."
            )
        began = time.monotonic()
        data = scale.seed(
            members=members,
            departments=departments,
            line_items=line_items,
            months=months,
            progress=progress_bar(self.stderr._out),
            phases=self.phase,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {line_items:,} line items for {members:,} members in "
                f"{departments:,} departments in {time.monotonic() - began:.0f} s."
            )
        )
        # the peak resident memory of this process (Linux reports kilobytes)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"Peak resident memory: {peak:.0f} MB.")
        self.stdout.write(
            f"Log in as {scale.ADMIN_USERNAME} (the payer, admin of {data.organization}) or "
            f"{scale.MEMBER_USERNAME} (a pay-on-behalf member) or {scale.SELF_PAY_USERNAME} (a "
            f"self-paying member); password {scale.PASSWORD}."
        )

    def phase(self, name, seconds, rows):
        rate = f", {rows / seconds:,.0f} rows/s" if rows and seconds else ""
        self.stdout.write(f"  {name}: {seconds:.1f} s{rate}")
