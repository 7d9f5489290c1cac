"""F5: the daily rollup of the bill lines written before it existed (their tags were never
recorded, so they are untagged)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from billing.services.bills import rebuild_daily_rows

    rebuild_daily_rows()


class Migration(migrations.Migration):
    dependencies = [("billing", "0013_daily_costs_and_tags")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
