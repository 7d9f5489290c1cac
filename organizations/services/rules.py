"""The rules a member, an invitation or a department must meet, checked inside the
caller's locks (O2, O3, O4, O7, O9, O10, B14).

Each `_check_*` raises a `DomainError` with the user-facing reason (and the TCO code) or returns
the cleaned value. The money-side refusals (arrears, orders awaiting payment, inheritance) are
billing's, asked through `organizations.hooks`, at the same point in the order of refusals.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tco_console.errors import DomainError

from ..choices import MANDATORY_PERMISSIONS, FinancialPermission, InvitationStatus, MemberType
from ..hooks import money
from ..models import (
    DEPARTMENT_NAME_VALIDATOR,
    MEMBER_NAME_VALIDATOR,
    Account,
    Department,
    Invitation,
    Membership,
    Organization,
)


def _check_department_name(org: Organization, name: str, *, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter a department name."), field="name")
    if len(name) > 40:
        raise DomainError(_("A department name is at most 40 characters."), field="name")
    try:
        DEPARTMENT_NAME_VALIDATOR(name)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="name") from None
    taken = Department.objects.filter(organization=org, name=name).exclude(pk=exclude_pk)
    if taken.exists():
        raise DomainError(
            _("The department name “%(name)s” is already in use.") % {"name": name},
            code="FailedOperation.OrganizationNodeNameUsed",
            field="name",
        )
    return name


def _depth_error():
    return DomainError(
        _("The department has too many levels: departments nest at most %(max)s levels below Root.")
        % {"max": settings.TCO_MAX_DEPARTMENT_DEPTH},
        code="LimitExceeded.NodeDepthExceedLimit",
        field="parent",
    )


def _normalize_permissions(permissions: Iterable[int]) -> list[int]:
    try:
        perms = sorted({int(p) for p in permissions})
    except (TypeError, ValueError):
        raise DomainError(
            _("The financial permissions are invalid."), field="permissions"
        ) from None
    valid = set(FinancialPermission.values)
    if any(p not in valid for p in perms):
        raise DomainError(
            _("The organization permission is invalid."),
            code="FailedOperation.OrganizationPermissionIllegal",
            field="permissions",
        )
    if not MANDATORY_PERMISSIONS.issubset(perms):  # O9
        raise DomainError(
            _("View bills (1) and view balance (2) are mandatory permissions."),
            code="FailedOperation.OrganizationPermissionIllegal",
            field="permissions",
        )
    return perms


def _check_member_name(
    org: Organization, name: str, *, exclude_membership=None, exclude_invitation=None
) -> str:
    """O4: at most 25 characters, unique within the organization (pending invitations too)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter a member name."), field="name")
    if len(name) > 25:
        raise DomainError(_("A member name is at most 25 characters."), field="name")
    try:
        MEMBER_NAME_VALIDATOR(name)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="name") from None
    used = Membership.objects.filter(organization=org, name=name)
    if exclude_membership is not None:
        used = used.exclude(pk=exclude_membership.pk)
    pending = Invitation.objects.filter(organization=org, name=name).with_status(
        InvitationStatus.PENDING
    )
    if exclude_invitation is not None:
        pending = pending.exclude(pk=exclude_invitation.pk)
    if used.exists() or pending.exists():
        raise DomainError(
            _("The member name “%(name)s” is already in use.") % {"name": name},
            code="FailedOperation.OrganizationMemberNameUsed",
            field="name",
        )
    return name


def _check_remark(remark: str) -> str:
    remark = (remark or "").strip()
    if len(remark) > 40:  # O4
        raise DomainError(_("A remark is at most 40 characters."), field="remark")
    return remark


def eligible_payer_ids(org: Organization) -> set[int]:
    """O10: the admin account, or a member that is itself self-paying (no chains)."""
    return set(
        Membership.objects.filter(organization=org, payer__isnull=True).values_list(
            "account_id", flat=True
        )
    )


def _check_financials(
    *,
    org: Organization,
    member_account: Account | None,
    member_entity_id: int | None,
    member_type: str,
    permissions: list[int],
    payer: Account | None,
    allow_quit: bool,
    previous_payer: Account | None = None,
) -> None:
    """O7, O9, O10, B14: the financial settings of a member or an invitation.

    `previous_payer` is the member's payer before this change (None when it joins or was
    self-paying): pay-on-behalf admission is checked when it is turned on or moved.
    """
    has_pob = FinancialPermission.PAY_ON_BEHALF in permissions
    if has_pob and payer is None:
        raise DomainError(
            _("Pay on behalf (7) requires a payer."),
            code="FailedOperation.PayUinIllegal",
            field="payer",
        )
    if payer is not None and not has_pob:
        raise DomainError(
            _("A payer can only be set together with the pay-on-behalf permission (7)."),
            code="FailedOperation.OrganizationPermissionIllegal",
            field="permissions",
        )
    switching_away = previous_payer is not None and (payer is None or payer.pk != previous_payer.pk)
    if switching_away and member_account is not None:
        money().refuse_payer_switch(member_account)  # O7
    if FinancialPermission.OFFER_INHERITANCE in permissions and member_account is not None:
        money().refuse_inheritance(account=member_account, organization=org, payer=payer)  # B14
    if member_type == MemberType.CREATED and allow_quit:
        raise DomainError(
            _("Created members cannot quit the organization, so “allow quit” cannot be on."),
            code="UnsupportedOperation.CreateMemberNotAllowQuit",
            field="allow_quit",
        )
    if payer is None:
        return
    if allow_quit:  # O7
        raise DomainError(
            _("A member in pay-on-behalf mode is not allowed to quit the organization actively."),
            code="InvalidParameter.AllowQuitIllegal",
            field="allow_quit",
        )
    if member_account is not None and payer.pk == member_account.pk:
        raise DomainError(
            _("A member cannot pay on behalf of itself."),
            code="FailedOperation.PayUinIllegal",
            field="payer",
        )
    if payer.pk not in eligible_payer_ids(org):  # O10: admin, or a self-paying member
        raise DomainError(
            _("The payer must be the admin account or a self-paying member of this organization."),
            code="FailedOperation.PayUinIllegal",
            field="payer",
        )
    if member_account is not None and Membership.objects.filter(payer=member_account).exists():
        raise DomainError(
            _("This member pays on behalf of other members, so it cannot be paid for itself."),
            code="FailedOperation.PayUinIllegal",
            field="payer",
        )
    if member_entity_id is None or member_entity_id != payer.entity_id:  # O10 entity rule
        raise DomainError(
            _(
                "The member and the payer have different enterprise entities; pay-on-behalf "
                "needs both verified as the same enterprise."
            ),
            code="FailedOperation.AuthInfoNotSame",
            field="payer",
        )
    if previous_payer is not None and previous_payer.pk == payer.pk:
        return  # pay-on-behalf is already on with this payer: nothing is being admitted
    money().refuse_payer(payer=payer, member_account=member_account)  # O10: arrears, orders


def _check_member_limit(org: Organization, *, adding: int = 1) -> None:
    """O2: accounts in the organization plus pending invitations count toward the limit."""
    if _accounts_in_org(org) + _pending_invitations(org) + adding > org.member_limit:
        raise DomainError(
            _("The number of members exceeds the upper limit (%(limit)s accounts).")
            % {"limit": org.member_limit},
            code="LimitExceeded.OrganizationMemberOverLimit",
        )


def _accounts_in_org(org: Organization) -> int:
    return Membership.objects.filter(organization=org).count()


def _pending_invitations(org: Organization) -> int:
    return Invitation.objects.filter(
        organization=org, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    ).count()


def _department_in(org: Organization, department: Department | None) -> Department:
    if department is None:
        return Department.objects.get(organization=org, parent__isnull=True)
    try:
        return Department.objects.get(pk=department.pk, organization=org)
    except Department.DoesNotExist:
        raise DomainError(
            _("The department does not exist."),
            code="ResourceNotFound.OrganizationNodeNotExist",
            field="department",
        ) from None


def _check_can_leave(m: Membership) -> None:
    """O7: refusals shared by quit and removal."""
    money().refuse_leave(m.account)
    if Membership.objects.filter(payer=m.account).exists():
        raise DomainError(
            _("The member pays on behalf of other members and cannot leave the organization."),
            code="FailedOperation.MemberIsDelegatePayerNotAllowDelete",
        )
    if m.payer_id is not None:
        raise DomainError(
            _("The member has a payer and cannot leave; switch it to self-pay first."),
            code="FailedOperation.MemberExistDelegatePayerNotAllowDelete",
        )
