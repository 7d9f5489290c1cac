"""A1: a fourth sub-user role, the resource manager. It buys, activates and manages resources;
which products it may touch is the user's product permissions (P2), set by the account owner
on the Users & permissions page. Until now only the account owner could place orders."""

from django.db import migrations

ROLE = "Resource manager"
PERMISSIONS = {"organizations": ["view_org"], "billing": ["view_finance", "place_order"]}


def add_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ROLE)
    for app_label, codenames in PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        assert perms.count() == len(codenames), (app_label, codenames)
        group.permissions.add(*perms)


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=ROLE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_newest_first_indexes"),
        ("organizations", "0005_user_product_permissions"),
    ]

    operations = [migrations.RunPython(add_role, remove_role)]
