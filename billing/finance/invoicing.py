"""F16: invoicing for members (permission 5), and every account's saved invoice titles.

An account's users with manage_finance keep its invoice titles. The organization's admin
account (its users with manage_finance) does the same for a self-pay member that grants 5
now, requests invoices against the member's invoiceable amount (B12) and may stop the member
requesting invoices for itself. The member stays the buyer: the invoice is the member's
(`Invoice.account`), issued to the member's title, and shows in the member's history.

Locks (organizations.locks): the organization and the membership first when the admin acts
(so 5 and the payer cannot change under it, and the grant is re-checked inside), then the
member's account row (`lock_accounts`), the same lock the member's own request takes, so the
admin and the member never claim the same invoiceable amount twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Invoice, InvoiceTitle, MemberInvoicing
from billing.models.choices import MessageCategory
from billing.services.invoices import TAX_NUMBER, claim
from billing.services.messages import notify
from organizations.audit import audit_record, organization_of
from organizations.choices import FinancialPermission
from organizations.locks import lock_accounts, lock_membership
from organizations.models import Account, Membership, Organization, User
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .reach import refuse_unless_self_pay_granting

PERM = FinancialPermission.INVOICING
MAX_TITLES = 50  # F16: saved titles per account


def page_url(uin: str = "") -> str:
    base = reverse("billing:invoices")
    return f"{base}?account={uin}" if uin else base


# ------------------------------------------------------------------ checks and locks


def refuse_member(m: Membership) -> None:
    """F16: whom the admin may invoice for (re-checked inside the locks)."""
    refuse_unless_self_pay_granting(
        m,
        PERM,
        why_not_on_behalf=_("its spend is invoiced by the payer, so it has nothing to invoice."),
    )


def _lock_member(membership: Membership) -> tuple[Organization, Membership]:
    org, m = lock_membership(membership, related=("account", "organization__admin_account"))
    refuse_member(m)
    lock_accounts(m.account)
    return org, m


def _lock_owner(account: Account, membership: Membership | None):
    """The account whose titles change: its own (lock its row), or the admin acting for a
    member (organization, membership, then the member's row). Returns (org, membership)."""
    if membership is None:
        lock_accounts(account)
        return organization_of(account), None
    org, m = _lock_member(membership)
    if m.account_id != account.pk:
        raise DomainError(_("This title belongs to another account."))
    return org, m


def _clean(title: str, tax_number: str, recipient: str, address: str):
    title = (title or "").strip()
    tax_number = (tax_number or "").strip().upper()
    recipient, address = (recipient or "").strip(), (address or "").strip()
    if not title:
        raise DomainError(_("Enter the invoice title (the company name)."), field="title")
    if len(title) > 100:
        raise DomainError(_("An invoice title is at most 100 characters."), field="title")
    if not TAX_NUMBER.match(tax_number):
        raise DomainError(_("A tax number is 15 to 20 letters and digits."), field="tax_number")
    if len(recipient) > 60:
        raise DomainError(_("A recipient is at most 60 characters."), field="recipient")
    if len(address) > 200:
        raise DomainError(_("A mailing address is at most 200 characters."), field="address")
    return title, tax_number, recipient, address


def _duplicate(account: Account, title: str, tax_number: str, exclude: int | None = None):
    rows = InvoiceTitle.objects.filter(account=account, title=title, tax_number=tax_number)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    if rows.exists():
        raise DomainError(
            _("This account already has the title %(title)s with this tax number.")
            % {"title": title},
            field="title",
            code="InvalidParameter.TitleExists",
        )


def _tell_member(m: Membership | None, title: Msg, body: Msg | str = "") -> None:
    """F16: the member hears of what the admin did to its invoicing."""
    if m is None:
        return
    notify(
        m.account,
        title,
        body,
        category=MessageCategory.FINANCE,
        link=reverse("billing:invoices"),
    )


def _by_admin(message: Msg, m: Membership | None) -> Msg:
    """The audit message, saying so when the admin account acted for the member `m`."""
    if m is None:
        return message
    return Msg(
        gettext_noop("%(action)s (by the admin account %(name)s for %(member)s)"),
        action=message,
        name=m.organization.admin_account.name,
        member=m.name,
    )


# ------------------------------------------------------------------ titles


@transaction.atomic(durable=True)
def invoice_title_create(
    *,
    account: Account,
    acting_user: User,
    title: str,
    tax_number: str,
    recipient: str = "",
    address: str = "",
    is_default: bool = False,
    membership: Membership | None = None,
) -> InvoiceTitle:
    """F16: save an invoice title for `account`; `membership` when the organization's admin
    does it for a member that grants 5. The first title becomes the default."""
    org, m = _lock_owner(account, membership)
    title, tax_number, recipient, address = _clean(title, tax_number, recipient, address)
    _duplicate(account, title, tax_number)
    existing = InvoiceTitle.objects.filter(account=account)
    if existing.count() >= MAX_TITLES:
        raise DomainError(
            _("An account keeps at most %(n)s invoice titles: delete one first.")
            % {"n": MAX_TITLES}
        )
    is_default = bool(is_default) or not existing.exists()
    if is_default:
        existing.filter(is_default=True).update(is_default=False)
    now = timezone.now()
    row = InvoiceTitle.objects.create(
        account=account,
        title=title,
        tax_number=tax_number,
        recipient=recipient,
        address=address,
        is_default=is_default,
        created_by=acting_user,
        created_at=now,
        updated_at=now,
    )
    audit_record(
        actor=acting_user,
        action="invoice.title_create",
        message=_by_admin(
            Msg(
                gettext_noop("Added the invoice title %(title)s (%(tax)s)"),
                title=title,
                tax=tax_number,
            ),
            m,
        ),
        organization=org,
        target_account=account,
        obj=row,
    )
    _tell_member(
        m,
        Msg(
            gettext_noop("The admin account added the invoice title %(title)s to your account"),
            title=title,
        ),
    )
    return row


@transaction.atomic(durable=True)
def invoice_title_edit(
    *,
    invoice_title: InvoiceTitle,
    acting_user: User,
    title: str,
    tax_number: str,
    recipient: str = "",
    address: str = "",
    is_default: bool = False,
    membership: Membership | None = None,
) -> InvoiceTitle:
    """F16: change a saved title (invoices already requested keep their copy, B12)."""
    account = invoice_title.account
    org, m = _lock_owner(account, membership)
    row = InvoiceTitle.objects.select_for_update(no_key=True).filter(pk=invoice_title.pk).first()
    if row is None or row.account_id != account.pk:
        raise DomainError(_("This invoice title was deleted."))
    title, tax_number, recipient, address = _clean(title, tax_number, recipient, address)
    _duplicate(account, title, tax_number, exclude=row.pk)
    before = {"title": row.title, "tax_number": row.tax_number}
    if is_default and not row.is_default:
        InvoiceTitle.objects.filter(account=account, is_default=True).update(is_default=False)
    row.title, row.tax_number, row.recipient, row.address = title, tax_number, recipient, address
    row.is_default = bool(is_default) or row.is_default
    row.updated_at = timezone.now()
    row.save()
    audit_record(
        actor=acting_user,
        action="invoice.title_edit",
        message=_by_admin(
            Msg(
                gettext_noop("Changed the invoice title %(title)s (%(tax)s)"),
                title=title,
                tax=tax_number,
            ),
            m,
        ),
        organization=org,
        target_account=account,
        obj=row,
        changes={"before": before, "after": {"title": title, "tax_number": tax_number}},
    )
    _tell_member(
        m,
        Msg(
            gettext_noop("The admin account changed the invoice title %(title)s of your account"),
            title=title,
        ),
    )
    return row


@transaction.atomic(durable=True)
def invoice_title_delete(
    *, invoice_title: InvoiceTitle, acting_user: User, membership: Membership | None = None
) -> None:
    account = invoice_title.account
    org, m = _lock_owner(account, membership)
    row = InvoiceTitle.objects.select_for_update().filter(pk=invoice_title.pk).first()
    if row is None or row.account_id != account.pk:
        raise DomainError(_("This invoice title was deleted."))
    row.delete()
    if row.is_default:  # another title, if any, becomes the default
        nxt = InvoiceTitle.objects.filter(account=account).order_by("title", "pk").first()
        if nxt is not None:
            InvoiceTitle.objects.filter(pk=nxt.pk).update(is_default=True)
    audit_record(
        actor=acting_user,
        action="invoice.title_delete",
        message=_by_admin(
            Msg(
                gettext_noop("Deleted the invoice title %(title)s (%(tax)s)"),
                title=row.title,
                tax=row.tax_number,
            ),
            m,
        ),
        organization=org,
        target_account=account,
    )
    _tell_member(
        m,
        Msg(
            gettext_noop("The admin account deleted the invoice title %(title)s of your account"),
            title=row.title,
        ),
    )


# ------------------------------------------------------------------ invoices for members


@transaction.atomic(durable=True)
def member_invoice_request(
    *,
    membership: Membership,
    acting_user: User,
    title: str,
    tax_number: str,
    amount: Decimal,
) -> Invoice:
    """F16: the admin requests an invoice for a self-pay member that grants 5, against the
    member's invoiceable amount (B12) under the member's account lock. The member is the
    buyer; operators issue or reject it as any other (B12)."""
    org, m = _lock_member(membership)
    admin = org.admin_account
    invoice = claim(
        account=m.account,
        acting_user=acting_user,
        title=title,
        tax_number=tax_number,
        amount=amount,
        requested_by_admin=admin,
    )
    audit_record(
        actor=acting_user,
        action="invoice.request",
        message=Msg(
            gettext_noop("Requested an invoice of %(amount)s CNY for %(name)s (%(uin)s)"),
            amount=invoice.amount,
            name=m.name,
            uin=m.account.uin,
        ),
        organization=org,
        target_account=m.account,
        obj=invoice,
        changes={"for_member": m.account.uin, "title": invoice.title},
    )
    _tell_member(
        m,
        Msg(
            gettext_noop(
                "The admin account %(name)s requested an invoice of %(amount)s CNY for you"
            ),
            name=admin.name,
            amount=invoice.amount,
        ),
        Msg(
            gettext_noop(
                "It is issued to your title %(title)s (%(tax)s) and is in your invoice history; "
                "the amount is no longer invoiceable unless the invoice is rejected."
            ),
            title=invoice.title,
            tax=invoice.tax_number,
        ),
    )
    return invoice


def self_invoicing_blocked(account: Account) -> bool:
    """The stored switch (whether it has effect also needs 5 granted now: F16)."""
    return MemberInvoicing.objects.filter(account=account, self_invoicing_blocked=True).exists()


@transaction.atomic(durable=True)
def member_self_invoicing_set(
    *, membership: Membership, acting_user: User, blocked: bool
) -> MemberInvoicing:
    """F16: the admin stops (or lets again) a member that grants 5 requesting invoices for
    itself. Setting the same value again writes nothing."""
    org, m = _lock_member(membership)
    blocked = bool(blocked)
    setting = MemberInvoicing.objects.select_for_update(no_key=True).filter(account=m.account)
    setting = setting.first()
    if setting is not None and setting.self_invoicing_blocked == blocked:
        return setting
    now = timezone.now()
    if setting is None:
        try:
            with transaction.atomic():
                setting = MemberInvoicing.objects.create(
                    account=m.account,
                    self_invoicing_blocked=blocked,
                    set_by=acting_user,
                    updated_at=now,
                )
        except IntegrityError:  # pragma: no cover - the membership lock serializes this
            setting = MemberInvoicing.objects.select_for_update().get(account=m.account)
    setting.self_invoicing_blocked, setting.set_by, setting.updated_at = blocked, acting_user, now
    setting.save()
    audit_record(
        actor=acting_user,
        action="invoice.self_invoicing",
        message=Msg(
            gettext_noop("Stopped %(name)s (%(uin)s) requesting invoices for itself")
            if blocked
            else gettext_noop("Allowed again %(name)s (%(uin)s) requesting invoices for itself"),
            name=m.name,
            uin=m.account.uin,
        ),
        organization=org,
        target_account=m.account,
        obj=setting,
        changes={"self_invoicing_blocked": blocked},
    )
    admin = org.admin_account
    if blocked:
        _tell_member(
            m,
            Msg(
                gettext_noop("The admin account %(name)s now requests your invoices"),
                name=admin.name,
            ),
            Msg(
                gettext_noop(
                    "While you grant the Invoicing permission (5), your account cannot request "
                    "invoices itself; the admin requests them for you. Revoking 5 lifts this."
                )
            ),
        )
    else:
        _tell_member(
            m,
            Msg(
                gettext_noop("The admin account %(name)s lets you request invoices again"),
                name=admin.name,
            ),
        )
    return setting
