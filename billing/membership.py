"""billing's side of a membership change: the implementation of `organizations.hooks`.

organizations calls these inside its own transaction, after it locked the organization, the
membership or invitation and the accounts (the lock order of `organizations.locks`); they
lock wallets and resources after that, as every money service does. Registered by
`BillingConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from organizations.choices import MemberType
from organizations.models import Account, Membership, Organization, User
from tco_console.errors import DomainError
from tco_console.msg import Msg

from . import inheritance, selectors
from .finance import credit, credit_reads
from .models.choices import MessageCategory, PayMode
from .services import bills, lifecycle, messages, payg


class BillingMembershipMoney:
    """`organizations.hooks.MembershipMoney`, from billing's selectors and services."""

    def refuse_leave(self, account: Account) -> None:
        if selectors.orders_awaiting_payment(account, pay_mode=PayMode.ON_BEHALF).exists():
            raise DomainError(
                _(
                    "The member has pay-on-behalf orders still to be paid. "
                    "Pay or cancel them first."
                ),
                code="UnsupportedOperation.OrderInProgressExisted",
            )

    def refuse_payer_switch(self, account: Account) -> None:
        if selectors.orders_awaiting_payment(account, pay_mode=PayMode.ON_BEHALF).exists():
            raise DomainError(
                _(
                    "The member has pay-on-behalf orders awaiting payment. "
                    "Pay or cancel them first."
                ),
                code="UnsupportedOperation.DeleteDelegatePayerNotAllow",
                field="payer",
            )

    def refuse_inheritance(
        self, *, account: Account, organization: Organization, payer: Account | None
    ) -> None:
        inheritance.check_inheritance(
            account=account,
            source=inheritance.inheritance_source(organization=organization, payer=payer),
            organization=organization,
        )

    def refuse_payer(self, *, payer: Account, member_account: Account | None) -> None:
        if selectors.balance_of(payer).in_arrears:  # O10
            raise DomainError(
                _(
                    "The payer has an overdue payment (it is in arrears), "
                    "so it cannot pay on behalf of members."
                ),
                code="UnsupportedOperation.PayerArrearsAndNoCreditAccount",
                field="payer",
            )
        if member_account is not None and selectors.balance_of(member_account).in_arrears:
            raise DomainError(
                _(
                    "The member account has an overdue payment (it is in arrears). "
                    "It must top up first."
                ),
                code="UnsupportedOperation.MemberAccountArrears",
                field="payer",
            )
        if (
            member_account is not None
            and selectors.orders_awaiting_payment(member_account).exists()
        ):
            raise DomainError(
                _(
                    "There is an ongoing order: the member has orders awaiting payment. "
                    "Pay or cancel them first."
                ),
                code="UnsupportedOperation.OrderInProgressExisted",
                field="payer",
            )

    def joined(self, membership: Membership, *, acting_user: User) -> None:
        """B11 rollups follow every new member. The admin inherits nothing (B14); a created
        member's account is brand new, so it brings no freezes or resources (B7, B9)."""
        self.moved([membership.account_id])
        if membership.member_type == MemberType.ADMIN:
            return
        self.settings_changed(membership)
        if membership.member_type == MemberType.INVITED:
            self.payer_changed(membership, acting_user=acting_user)

    def settings_changed(self, membership: Membership) -> None:
        inheritance.sync_inheritance(membership)
        if membership.member_type == MemberType.ADMIN:
            return
        # F14: credit allocated to a member that became pay-on-behalf or stopped granting 10
        # goes back to the admin (refused while the member would end below zero available)
        if membership.payer_id is not None:
            credit.credit_return(
                membership,
                why=Msg(gettext_noop("The member is now paid for by its payer (pay-on-behalf).")),
            )
        elif not credit.grants(membership, credit_reads.PERM):
            credit.credit_return(
                membership,
                why=Msg(
                    gettext_noop("The member no longer grants the credit-limit permission (10).")
                ),
            )

    def payer_changed(self, membership: Membership, *, acting_user: User) -> None:
        pays = membership.payer or membership.account
        payg.move_freezes(owner=membership.account, to=pays, acting_user=acting_user)
        lifecycle.reconcile(pays, acting_user=acting_user)

    def moved(self, account_ids: Iterable[int]) -> None:
        bills.follow_departments(account_ids)

    def left(self, membership: Membership) -> None:
        inheritance.drop_inheritance(
            account=membership.account, organization=membership.organization
        )
        # F14: the credit its admin allocated to it goes back (refused below zero available)
        credit.credit_return(membership, why=Msg(gettext_noop("The member left the organization.")))

    def department_deleted(self, department_id: int) -> None:
        bills.forget_department(department_id)

    def notify(
        self,
        account: Account,
        title: str | Msg,
        body: str | Msg | list[Msg | str] = "",
        link: str = "",
    ) -> None:
        messages.notify(account, title, body, category=MessageCategory.ORGANIZATION, link=link)
