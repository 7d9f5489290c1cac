"""Throughput under load (issue 16, target 3) on the configured database, e.g. one loaded with
`manage.py seed_scale`: see `billing.bench_load`.

    DATABASE_URL=postgres://… manage.py bench_load [--clients 20] [--seconds 30] [--workers N]
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from billing import bench_load, scale


class Command(BaseCommand):
    help = (
        "Start gunicorn as README's production section does on DATABASE_URL (loaded with "
        "seed_scale), read the main pages from concurrent signed-in clients, report "
        "requests a second, p50/p95/p99 and errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--seconds", type=float, default=30)
        parser.add_argument("--warmup", type=float, default=5)
        parser.add_argument(
            "--workers", type=int, help="gunicorn workers (default: tco_console/gunicorn_conf.py)"
        )

    def handle(self, *args, clients, seconds, warmup, workers, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_load reads a PostgreSQL database: set DATABASE_URL.")
        database_url = bench_load.database_url(connection.settings_dict)
        users = {
            role: (username, scale.PASSWORD)
            for role, username in (
                ("admin", scale.ADMIN_USERNAME),
                ("member", scale.MEMBER_USERNAME),
                ("selfpay", scale.SELF_PAY_USERNAME),
            )
        }
        try:
            result = bench_load.run_load(
                self.stdout.write,
                database_url=database_url,
                users=users,
                urls=bench_load.MAIN_PAGES,
                clients=clients,
                seconds=seconds,
                warmup=warmup,
                workers=workers,
            )
        except bench_load.LoadError as error:
            raise CommandError(str(error)) from None
        for line in bench_load.format_report(result):
            self.stdout.write(line)
