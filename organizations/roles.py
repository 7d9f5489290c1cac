"""A1: the role groups, by name, and the labels a sub-user's form shows for them.

The groups themselves and their permissions are created by a data migration; code refers to
them by these names only. A leaf module (no imports from the app), so services, forms and
filtersets share one spelling of each name.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OWNER_GROUP = "Account owner"
ORG_MANAGER_GROUP = "Organization manager"
FINANCE_MANAGER_GROUP = "Finance manager"
RESOURCE_MANAGER_GROUP = "Resource manager"
READ_ONLY_GROUP = "Read-only"
# A1: the groups an account owner may give its sub-users (the owner group is the owner's own)
SUB_USER_GROUPS = (
    ORG_MANAGER_GROUP,
    RESOURCE_MANAGER_GROUP,
    FINANCE_MANAGER_GROUP,
    READ_ONLY_GROUP,
)
ROLE_GROUPS = (OWNER_GROUP, *SUB_USER_GROUPS)

# issue 17: each group's name as a page shows it, in the reader's language (the groups keep
# their English names: code and migrations refer to them by these)
ROLE_LABELS = {
    OWNER_GROUP: _("Account owner"),
    ORG_MANAGER_GROUP: _("Organization manager"),
    FINANCE_MANAGER_GROUP: _("Finance manager"),
    RESOURCE_MANAGER_GROUP: _("Resource manager"),
    READ_ONLY_GROUP: _("Read-only"),
}

# the sub-user form's choices: each group with what it lets the sub-user do
SUB_USER_ROLES = [
    (ORG_MANAGER_GROUP, _("Organization manager: members, departments, invitations")),
    (RESOURCE_MANAGER_GROUP, _("Resource manager: buy, activate and manage its products")),
    (FINANCE_MANAGER_GROUP, _("Finance manager: pay orders, top up, invoices")),
    (READ_ONLY_GROUP, _("Read-only: view what the account may see")),
]
