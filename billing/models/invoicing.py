"""F16: invoice titles and the per-member invoicing setting (permission 5).

An account keeps its invoice titles (the company name and tax number printed on an invoice,
with an optional mailing address): its own users with manage_finance edit them, and so does
the organization's admin account for a self-pay member that grants 5 now (F16). An invoice
copies the title's text when it is requested (B12), so editing or deleting a title never
changes an invoice already requested.

`MemberInvoicing` holds Alibaba's optional "forbid member self-invoicing" switch
(`FORBID_MANAGE_INVOICE`), set by the admin: it only has effect while the member still grants
5, so revoking 5 lifts it at once without touching the row.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .catalog import OwnedQuerySet


class InvoiceTitleQuerySet(OwnedQuerySet):
    """The account's own titles; the admin reaches a member's through F1 (`member_reach`)."""

    owner_field = "account"
    permissions = {"view": "billing.view_finance", "change": "billing.manage_finance"}


class InvoiceTitle(models.Model):
    account = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="invoice_titles"
    )
    title = models.CharField(_("invoice title"), max_length=100)
    tax_number = models.CharField(_("tax number"), max_length=20)
    recipient = models.CharField(_("recipient"), max_length=60, blank=True, default="")
    address = models.CharField(_("mailing address"), max_length=200, blank=True, default="")
    is_default = models.BooleanField(_("default"), default=False)
    created_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = InvoiceTitleQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "title", "id"]
        verbose_name = _("invoice title")
        verbose_name_plural = _("invoice titles")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "title", "tax_number"], name="invoice_title_unique"
            ),
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_default=True), name="invoice_title_one_default"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.tax_number})"


class MemberInvoicing(models.Model):
    """F16: the admin stops a self-pay member that grants 5 invoicing for itself."""

    account = models.OneToOneField(
        "organizations.Account", on_delete=models.PROTECT, related_name="invoicing"
    )
    self_invoicing_blocked = models.BooleanField(_("self-invoicing blocked"), default=False)
    set_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("member invoicing setting")
        verbose_name_plural = _("member invoicing settings")

    def __str__(self):
        return f"{self.account_id}: blocked={self.self_invoicing_blocked}"
