"""Writes of organizations (HackSoft's services), one module per sub-domain:

- `accounts`: sign-up (A1);
- `organization`: create, delete, member limit (O1, O2, O7);
- `departments`: the department tree (O3);
- `invitations`: send, cancel, decline, accept, expire (O5);
- `members`: create, edit, move, remove, quit (O4, O6-O11);
- `permission_changes`: the member's consent to a change of its permissions or payer (F17);
- `rules`: the checks those share (`_check_*`);
- `policies`: service control policies (P1); `sub_users`: an account's users (A1, P2);
- `tags`: tags on members and departments (F11).

The re-exports below keep call sites short (`services.member_update(...)`). Row locks, audit
records and role names live in the leaf modules `organizations.locks`, `.audit` and `.roles`;
`audit_record`, `lock_accounts` and the group names are re-exported here for the callers
that still spell them `organizations.services.*` (issue 12 sweep).
"""

from ..audit import audit_record
from ..locks import lock_accounts
from ..roles import (
    FINANCE_MANAGER_GROUP,
    ORG_MANAGER_GROUP,
    OWNER_GROUP,
    READ_ONLY_GROUP,
    RESOURCE_MANAGER_GROUP,
    ROLE_GROUPS,
    SUB_USER_GROUPS,
)
from .accounts import account_sign_up, user_language_set
from .departments import department_create, department_delete, department_move, department_rename
from .invitations import (
    invitation_accept,
    invitation_cancel,
    invitation_decline,
    invitation_send,
    invitations_expire,
)
from .members import (
    member_create,
    member_quit,
    member_removal_refusal,
    member_remove,
    member_update,
    members_move,
)
from .organization import organization_create, organization_delete, organization_set_member_limit
from .permission_changes import (
    permission_change_accept,
    permission_change_cancel,
    permission_change_deny,
    permission_changes_expire,
)
from .policies import bind_full_access
from .rules import eligible_payer_ids
from .tags import department_tags_set, member_tags_set, members_tags_bulk

__all__ = [
    "FINANCE_MANAGER_GROUP",
    "ORG_MANAGER_GROUP",
    "OWNER_GROUP",
    "READ_ONLY_GROUP",
    "RESOURCE_MANAGER_GROUP",
    "ROLE_GROUPS",
    "SUB_USER_GROUPS",
    "account_sign_up",
    "audit_record",
    "bind_full_access",
    "department_create",
    "department_delete",
    "department_move",
    "department_rename",
    "department_tags_set",
    "eligible_payer_ids",
    "invitation_accept",
    "invitation_cancel",
    "invitation_decline",
    "invitation_send",
    "invitations_expire",
    "lock_accounts",
    "member_create",
    "member_quit",
    "member_removal_refusal",
    "member_remove",
    "member_tags_set",
    "member_update",
    "members_move",
    "members_tags_bulk",
    "organization_create",
    "organization_delete",
    "organization_set_member_limit",
    "permission_change_accept",
    "permission_change_cancel",
    "permission_change_deny",
    "permission_changes_expire",
    "user_language_set",
]
