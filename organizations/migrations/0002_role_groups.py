"""A1: the role groups. Later issues add their apps' permissions to these groups."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Account owner": [
        "view_org",
        "manage_org",
        "view_audit",
        "manage_account_users",
        "respond_invitation",
    ],
    "Organization manager": ["view_org", "manage_org", "view_audit"],
    "Finance manager": ["view_org"],
    "Read-only": ["view_org", "view_audit"],
}


def create_groups(apps, schema_editor):
    app_config = apps.get_app_config("organizations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label="organizations", codename__in=codenames
        )
        assert perms.count() == len(codenames), (name, codenames)
        group.permissions.add(*perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
