"""The message center: the account's messages, opening one (with links to its order or
resource), marking one or all read, and the top bar's unread badge."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.scoping import require_perm
from tco_console.htmx import is_partial
from tco_console.viewkit import confirm_view, table_page

from .. import selectors
from ..filtersets import MessageFilterSet
from ..models.choices import BillingMode
from ..services import messages as message_services
from ..tables import MessageTable
from ._common import MESSAGES_CHANGED, partial_for


@login_required
def message_center(request):
    require_perm(request, "organizations.view_org")
    if is_partial(request) and partial_for(request) == "badge":
        # The top bar's badge refreshing itself after messagesChanged.
        return render(request, "billing/inc/message_badge.html")
    filterset = MessageFilterSet(
        request.GET or None, queryset=selectors.messages(user=request.user)
    )
    return table_page(
        request,
        "billing/messages.html",
        table=MessageTable(filterset.qs),
        filterset=filterset,
    )


def _message_links(request, message) -> list[tuple[str, str]]:
    """Where a message's order or resource is listed for this account: its own orders in
    Billing Center, members' orders and resources under Pay-on-behalf order management, its
    own resources on Products."""
    me = request.console.account.pk
    links = []
    if message.order_id:
        order = message.order
        if order.owner_id == me:
            url = (
                reverse("billing:billing_center")
                + "?"
                + urlencode({"tab": "orders", "q": order.order_no})
            )
        else:
            url = (
                reverse("billing:pay_on_behalf_orders")
                + "?"
                + urlencode({"status": order.status, "q": order.order_no})
            )
        links.append((_("Order %(no)s") % {"no": order.order_no}, url))
    if message.resource_id:
        res = message.resource
        if res.owner_id == me:
            tab = "payg" if res.billing_mode == BillingMode.PAYG else "subscriptions"
            url = reverse("billing:products") + "?" + urlencode({"tab": tab, "q": res.instance_id})
        else:
            url = (
                reverse("billing:pay_on_behalf_orders")
                + "?"
                + urlencode({"tab": "resources", "q": res.instance_id})
            )
        links.append((_("Resource %(id)s") % {"id": res.instance_id}, url))
    if message.link.startswith("/") and not message.link.startswith("//"):  # F8 console path
        links.append((_("Open"), message.link))
    return links


@login_required
def message_detail(request, pk):
    """GET opens the message (a modal); POST marks it read. Another account's is a 404."""
    require_perm(request, "organizations.view_org")
    message = get_object_or_404(selectors.messages(user=request.user), pk=pk)

    def on_confirm():
        message_services.message_mark_read(message=message, acting_user=request.user)
        return _("Marked as read: %(title)s") % {"title": message.shown_title}

    return confirm_view(
        request,
        title=message.shown_title,
        submit_label=_("Mark read"),
        on_confirm=on_confirm,
        success_url=reverse("billing:messages"),
        events=(MESSAGES_CHANGED,),
        template="billing/message_detail.html",
        message=message,
        links=_message_links(request, message),
    )


@login_required
def messages_read_all(request):
    require_perm(request, "organizations.view_org")

    def on_confirm():
        count = message_services.messages_mark_all_read(acting_user=request.user)
        if not count:
            return _("There were no unread messages.")
        return ngettext(
            "%(n)s message marked as read.", "%(n)s messages marked as read.", count
        ) % {"n": count}

    return confirm_view(
        request,
        title=_("Mark all messages read"),
        description=_("Every unread message of %(name)s (%(uin)s) is marked as read.")
        % {"name": request.console.account.name, "uin": request.console.account.uin},
        submit_label=_("Mark all read"),
        on_confirm=on_confirm,
        success_url=reverse("billing:messages"),
        events=(MESSAGES_CHANGED,),
    )
