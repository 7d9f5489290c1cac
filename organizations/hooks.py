"""The seam through which a membership change moves money: organizations states what it
needs from billing, billing implements it and registers it at start-up (`billing/membership.py`,
`BillingConfig.ready()`).

organizations sits below billing and never imports it (the catalog models excepted), yet a
member that joins, moves, changes its payer or leaves has consequences in billing: its
pay-on-behalf rollups follow it (B11), its freezes move to whoever pays now (B7), its
resources follow that account's balance (B9), offer inheritance follows permission 6 (B14).
Each call is explicit, typed and synchronous, inside the caller's transaction and after the
caller's locks (the lock order of `organizations.locks`), so B7 and B11 hold when it commits.
Not signals and not `on_commit`: these move money, and a reader of `member_update` should see
`money().payer_changed(...)` and land on its one implementation.

With nothing registered, `money()` raises: a membership change never silently skips billing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from tco_console.msg import Msg

    from .models import Account, Membership, Organization, User


@runtime_checkable
class MembershipMoney(Protocol):
    """What a membership change needs from billing. A `refuse_*` raises `DomainError` with the
    user-facing reason, or returns; the others write, in the caller's transaction."""

    def refuse_leave(self, account: Account) -> None:
        """O7: the member may not quit or be removed while it has pay-on-behalf orders
        awaiting payment."""

    def refuse_payer_switch(self, account: Account) -> None:
        """O7: a member with pay-on-behalf orders awaiting payment keeps its payer (it may not
        switch to self-pay or to another payer)."""

    def refuse_inheritance(
        self, *, account: Account, organization: Organization, payer: Account | None
    ) -> None:
        """B14: `account` may inherit offers from its payer, or from the admin account when
        it pays for itself."""

    def refuse_payer(self, *, payer: Account, member_account: Account | None) -> None:
        """O10: `payer` may start paying on behalf of the member (`None`: an account not
        created yet): neither is in arrears and the member has no order awaiting payment."""

    def joined(self, membership: Membership, *, acting_user: User) -> None:
        """The account joined (created the organization, was created in it, or accepted an
        invitation): its rollups, offer inheritance and freezes follow its membership."""

    def settings_changed(self, membership: Membership) -> None:
        """B14: the member's permissions or payer were saved; offer inheritance follows."""

    def payer_changed(self, membership: Membership, *, acting_user: User) -> None:
        """B7, B9: the member's freezes move to whoever pays now, and the resources follow
        that account's balance."""

    def moved(self, account_ids: Iterable[int]) -> None:
        """O8, B11: these accounts' pay-on-behalf totals follow them to the department each
        is in now (none, once it left)."""

    def left(self, membership: Membership) -> None:
        """B14: the member is leaving; inheritance through its organization ends."""

    def department_deleted(self, department_id: int) -> None:
        """O3: an empty department is deleted; its rollup rows go with it."""

    def notify(
        self,
        account: Account,
        title: str | Msg,
        body: str | Msg | list[Msg | str] = "",
        link: str = "",
    ) -> None:
        """A message-center notice about an organization event (issue 4, B9 routing);
        `link` is the console page it is about (F17: the member's Overview). Title and body
        given as `Msg` are read in each reader's language (issue 17)."""


_money: MembershipMoney | None = None


def register(impl: MembershipMoney) -> None:
    """Install the implementation (billing's `AppConfig.ready()` calls this once)."""
    global _money
    if not isinstance(impl, MembershipMoney):
        raise TypeError(f"{impl!r} does not implement MembershipMoney")
    _money = impl


def money() -> MembershipMoney:
    """The registered implementation; raises when there is none (never a silent no-op)."""
    if _money is None:
        raise ImproperlyConfigured(
            "No MembershipMoney is registered: billing registers it in BillingConfig.ready(), "
            "so 'billing' must be in INSTALLED_APPS."
        )
    return _money
