"""Load the standard product catalog (regions, products, specs, list prices) once after the
first `migrate` of a production start:

    manage.py load_catalog

Idempotent: it adds what is missing by code and leaves existing rows untouched, so it can be
rerun (after an upgrade that adds products) without undoing prices edited in the admin.
"""

from django.core.management.base import BaseCommand

from billing.catalog import ensure_catalog


class Command(BaseCommand):
    help = "Load the standard product catalog; rows that exist already are left as they are."

    def handle(self, *args, **options):
        created = ensure_catalog(update=False)
        self.stdout.write(f"Catalog loaded: {created} regions, products and specs added.")
