"""B1 in the database: on PostgreSQL every journal must balance at commit (a deferred
constraint trigger) and ledger entries can never be updated or deleted. SQLite relies on the
posting service's own check. Also adds the billing permissions to the role groups (A1)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BALANCED = """
CREATE OR REPLACE FUNCTION billing_journal_balanced() RETURNS trigger AS $$
DECLARE total numeric;
BEGIN
  SELECT COALESCE(SUM(amount), 0) INTO total FROM billing_entry WHERE journal_id = NEW.journal_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'journal % does not balance: entries sum to %', NEW.journal_id, total;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER billing_entry_balanced AFTER INSERT ON billing_entry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_journal_balanced();

CREATE OR REPLACE FUNCTION billing_entry_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only: write a reversing journal instead';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_entry_append_only BEFORE UPDATE OR DELETE ON billing_entry
  FOR EACH ROW EXECUTE FUNCTION billing_entry_append_only();
"""
UNDO = """
DROP TRIGGER IF EXISTS billing_entry_balanced ON billing_entry;
DROP TRIGGER IF EXISTS billing_entry_append_only ON billing_entry;
DROP FUNCTION IF EXISTS billing_journal_balanced();
DROP FUNCTION IF EXISTS billing_entry_append_only();
"""

ROLES = {
    "Account owner": ["manage_finance", "view_finance", "place_order"],
    "Organization manager": ["view_finance"],
    "Finance manager": ["manage_finance", "view_finance"],
    "Read-only": ["view_finance"],
}


def guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED, params=None)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO, params=None)


def add_roles(apps, schema_editor):
    app_config = apps.get_app_config("billing")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)
        assert perms.count() == len(codenames), (name, codenames)
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("organizations", "0002_role_groups"),
    ]

    operations = [
        migrations.RunPython(guards, drop_guards),
        migrations.RunPython(add_roles, migrations.RunPython.noop),
    ]
