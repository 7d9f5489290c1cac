"""The organizations models, one module per sub-domain; every name is re-exported here so
`from organizations.models import X` keeps working.

The modules are imported in the order the models were defined in the one-file models.py, so
the app registry lists them as before (the content types and permissions `migrate` creates,
the admin index). `# isort: split` keeps that order against the import sorter.
"""

from .accounts import UIN_VALIDATOR, Account, AccountQuerySet, Entity, SubUserQuerySet, User

# isort: split
from .organization import (
    DEPARTMENT_NAME_VALIDATOR,
    MEMBER_NAME_VALIDATOR,
    Department,
    DepartmentQuerySet,
    Membership,
    MembershipPeriod,
    MembershipQuerySet,
    Organization,
    OrganizationQuerySet,
)

# isort: split
from .invitations import Invitation, InvitationQuerySet

# isort: split
from .audit import AuditRecord, AuditRecordQuerySet

# isort: split
from .policies import (
    POLICY_NAME_VALIDATOR,
    PolicyAttachment,
    PolicyEffect,
    ServiceControlPolicy,
    ServiceControlPolicyQuerySet,
)

# isort: split
from .tags import TagSet

# isort: split
from .permission_changes import (
    PERMISSION_CHANGE_TTL,
    PermissionChange,
    PermissionChangeQuerySet,
    unconfirmed_exists,
)

# isort: split
from .api_keys import MAX_KEYS_PER_USER, ApiKey, ApiKeyQuerySet, ApiKeyStatus, ApiRateWindow

__all__ = [
    "DEPARTMENT_NAME_VALIDATOR",
    "MAX_KEYS_PER_USER",
    "MEMBER_NAME_VALIDATOR",
    "PERMISSION_CHANGE_TTL",
    "POLICY_NAME_VALIDATOR",
    "UIN_VALIDATOR",
    "Account",
    "AccountQuerySet",
    "ApiKey",
    "ApiKeyQuerySet",
    "ApiKeyStatus",
    "ApiRateWindow",
    "AuditRecord",
    "AuditRecordQuerySet",
    "Department",
    "DepartmentQuerySet",
    "Entity",
    "Invitation",
    "InvitationQuerySet",
    "Membership",
    "MembershipPeriod",
    "MembershipQuerySet",
    "Organization",
    "OrganizationQuerySet",
    "PermissionChange",
    "PermissionChangeQuerySet",
    "PolicyAttachment",
    "PolicyEffect",
    "ServiceControlPolicy",
    "ServiceControlPolicyQuerySet",
    "SubUserQuerySet",
    "TagSet",
    "User",
    "unconfirmed_exists",
]
