"""Row locks and the one lock order of both apps (no deadlocks between any two services).

Every read-then-write locks the rows it reads first, always in this order (a service takes a
subsequence of it, never goes back up):

1. The one row the action is about:
   - the organization (`lock_org`), for every structural change of one organization:
     members, departments, invitations, service control policies; or
   - in billing, the order (paying, applying or cancelling it), the invoice being decided,
     or the message being marked read.
2. Inside the organization, the rows being changed:
   - the membership (`lock_membership`; `members_move` locks its memberships by primary key),
   - or the invitation (`lock_invitation`),
   - or the policy,
   - or a permission change record (`lock_permission_change`, F17), before the membership it
     changes. Every service that locks such a record holds the organization lock first, so
     accepting and cancelling one record serialize there and exactly one wins (F17); a
     member leaving invalidates its pending record after its membership, under the same
     organization lock.
3. Account rows by primary key (`lock_accounts`): the member, its old and new payer, the
   invitee, the owner of an order or resource and every account paying for it. Billing's
   department rollups lock the payers here too. A sub-user's row comes after its account.
4. Wallets by account primary key (`billing.services.ledger.lock_wallets`).
5. Resources by primary key, then their resource packs (usage settlement).
6. The voucher, last.

So a membership change runs organization → membership or invitation → accounts → wallets →
resources (money follows the member inside the same transaction, B7), and a payment runs
order → accounts → wallets → resource → voucher. A credit allocation (F14) runs the member's
membership → the admin and member accounts → their wallets → the allocation row, so it
serializes with any change of that membership; the lapse of a temporary credit (F15) runs
accounts → wallets → allocation. The sweeps (`invitations_expire`,
`subscriptions_expire`, `expiry_notices`, `permission_changes_expire`) lock their rows
with `skip_locked` and take no row above them: they never wait, so they cannot deadlock.

Rows that are updated are locked `no_key=True` (FOR NO KEY UPDATE: inserts that point at the
row are not blocked). Rows that are then deleted are locked `no_key=False` (FOR UPDATE), the
lock the DELETE needs, so it never has to upgrade its lock while another transaction holds a
key-share one.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from tco_console.errors import DomainError

from .models import Account, Invitation, Membership, Organization, PermissionChange


def lock_org(organization: Organization | int, *, allow_deleted: bool = False) -> Organization:
    """Lock the organization row (an instance or its primary key): every structural change
    of one organization serializes here. A deleted organization is refused unless
    `allow_deleted` (accepting an invitation records the refusal itself)."""
    pk = organization if isinstance(organization, int) else organization.pk
    org = Organization.objects.select_for_update(no_key=True).get(pk=pk)
    if org.deleted_at is not None and not allow_deleted:
        raise DomainError(
            _("The organization does not exist."), code="ResourceNotFound.OrganizationNotExist"
        )
    return org


def lock_accounts(*accounts: Account | None) -> None:
    """Lock account rows in primary-key order (billing locks accounts the same way)."""
    ids = sorted({a.pk for a in accounts if a is not None})
    list(Account.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))


def lock_membership(
    membership: Membership,
    *,
    for_delete: bool = False,
    related: tuple[str, ...] = ("account", "department", "organization"),
) -> tuple[Organization, Membership]:
    """The organization row first, then the membership (re-read with `related`). A membership
    about to be deleted is locked FOR UPDATE (`for_delete`)."""
    org = lock_org(membership.organization)
    m = (
        Membership.objects.select_for_update(no_key=not for_delete, of=("self",))
        .select_related(*related)
        .get(pk=membership.pk, organization=org)
    )
    return org, m


def lock_invitation(invitation: Invitation) -> Invitation:
    """The invitation row, with its invitee; the caller holds the organization lock."""
    return (
        Invitation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("invitee")
        .get(pk=invitation.pk)
    )


def lock_permission_change(change: PermissionChange) -> PermissionChange:
    """F17: the change record, with its member and payers; the caller holds the organization
    lock (a record is the document row inside its organization)."""
    return (
        PermissionChange.objects.select_for_update(no_key=True, of=("self",))
        .select_related("account", "old_payer", "new_payer", "organization")
        .get(pk=change.pk)
    )
