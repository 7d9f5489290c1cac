"""The message center's list."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tco_console.html import format_html
from tco_console.tables import ConsoleTable, DateTimeColumn, TemplateColumn, badge

from ..models import Message


class MessageTable(ConsoleTable):
    title = tables.Column(verbose_name=_("Message"))
    category = tables.Column(verbose_name=_("Category"))
    related = tables.Column(
        accessor="pk", verbose_name=_("Related to"), orderable=False, empty_values=()
    )
    created_at = DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")
    read_at = tables.Column(verbose_name=_("Status"), empty_values=())
    actions = TemplateColumn(
        template_name="billing/inc/message_actions.html", verbose_name="", orderable=False
    )

    class Meta(ConsoleTable.Meta):
        model = Message
        fields = ("title", "category", "related", "created_at", "read_at", "actions")
        order_by = ("-created_at",)
        empty_text = _("No messages match these filters.")
        row_attrs = {
            "data-message": lambda record: record.pk,
            "class": lambda record: "" if record.read_at else "message-unread",
        }

    def render_title(self, record, value):
        url = reverse("billing:message", args=[record.pk])
        return format_html(
            '<a href="{}" hx-get="{}" hx-target="#modal-content" hx-swap="innerHTML"'
            ' data-testid="open-message">{}</a>',
            url,
            url,
            record.shown_title,  # in the reader's language (issue 17)
        )

    def render_related(self, record):
        if record.order_id:
            return format_html('<code class="text-body">{}</code>', record.order.order_no)
        if record.resource_id:
            return format_html('<code class="text-body">{}</code>', record.resource.instance_id)
        return "—"

    def render_read_at(self, record):
        if record.read_at is None:
            return badge(_("Unread"), "text-bg-primary", testid="read-state")
        return badge(_("Read"), "text-bg-light border", testid="read-state")
