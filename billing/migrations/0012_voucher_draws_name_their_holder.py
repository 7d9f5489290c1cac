"""B13: a voucher draw's ledger entry names the voucher's holder as its account, so a payment
made entirely by voucher is listed in the holder's transaction details.

Existing draws are attributed to their voucher's holder. This is the one UPDATE ever made to
ledger entries, and it touches neither amounts, books nor journals (the books balance as
before): on PostgreSQL the append-only trigger (0002) is lifted for this statement only, inside
the migration's transaction.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def attribute_draws(apps, schema_editor):
    Entry = apps.get_model("billing", "Entry")
    Voucher = apps.get_model("billing", "Voucher")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE billing_entry DISABLE TRIGGER billing_entry_append_only")
    Entry.objects.filter(book="voucher_funding", account__isnull=True).update(
        account_id=Subquery(
            Voucher.objects.filter(pk=OuterRef("voucher_id")).values("account_id")[:1]
        )
    )
    if postgres:
        # The foreign-key checks of the new account ids are deferred: run them now, or the
        # table cannot be altered again in this transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("ALTER TABLE billing_entry ENABLE TRIGGER billing_entry_append_only")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_resource_status_history"),
        ("organizations", "0006_username_unique_any_case"),
    ]

    operations = [
        migrations.AlterField(
            model_name="entry",
            name="account",
            field=models.ForeignKey(
                blank=True,
                help_text="The customer whose book it is: the wallet's account for cash and frozen funds, the voucher's holder for a voucher draw (B13); none for the platform's books.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_entries",
                to="organizations.account",
                verbose_name="account",
            ),
        ),
        migrations.RunPython(attribute_draws, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("book", "voucher_funding"), _negated=True),
                    ("account__isnull", False),
                    _connector="OR",
                ),
                name="voucher_draw_has_its_holder",
            ),
        ),
    ]
