"""B8/B9: resources' status history, which the usage meter reads per cycle.

Backfill: a resource runs from its period start until its first recorded change, so only the
resources that are not running now get a row: terminated since they ended, expired since their
period end, and suspended since the end of their last settled cycle (the earliest moment the
settlement that most likely suspended them could have run; their period start if none). The
exact moment of past suspensions was never stored; this keeps every unsettled cycle of a
suspended resource charged as before (nothing), and every later change is recorded exactly.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    Resource = apps.get_model("billing", "Resource")
    Change = apps.get_model("billing", "ResourceStatusChange")
    rows = []
    for res in Resource.objects.exclude(status="active").iterator(chunk_size=2000):
        if res.status == "terminated":
            at = res.ended_at or res.period_end or res.period_start
        elif res.status == "expired":
            at = res.period_end or res.period_start
        else:
            at = max(res.settled_until or res.period_start, res.period_start)
        rows.append(
            Change(resource=res, status=res.status, suspended_reason=res.suspended_reason, at=at)
        )
        if len(rows) >= 2000:
            Change.objects.bulk_create(rows)
            rows = []
    Change.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_resource_manager_role"),
    ]

    operations = [
        migrations.CreateModel(
            name="ResourceStatusChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("active", "Running"),
                            ("suspended", "Suspended"),
                            ("expired", "Expired"),
                            ("terminated", "Terminated"),
                        ],
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "suspended_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("arrears", "Paying account in arrears"),
                            ("operator", "Suspended by an operator"),
                        ],
                        default="",
                        max_length=10,
                        verbose_name="suspended because",
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="since")),
                (
                    "resource",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="status_changes",
                        to="billing.resource",
                    ),
                ),
            ],
            options={
                "verbose_name": "resource status change",
                "verbose_name_plural": "resource status changes",
                "ordering": ["resource", "at", "id"],
                "indexes": [
                    models.Index(fields=["resource", "at"], name="resource_status_history")
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
