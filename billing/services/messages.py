"""Message center writes: sending a message (`notify`), and marking messages read (audited,
A4; idempotent).

`notify` lives here, below orders, payg, lifecycle and invoices, so each of them sends
messages without importing another (issue 12).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from billing.models import Message
from billing.models.choices import MessageCategory
from organizations.audit import audit_record
from organizations.models import Account, User
from tco_console.msg import Msg

Text = str | Callable[[], str]


def recipient_language(account: Account) -> str:
    """Issue 17: the language `account`'s messages are written in: the one its owner chose in
    the header, else the console's default."""
    chosen = (
        User.objects.filter(account=account, is_owner=True)
        .values_list("language", flat=True)
        .first()
    )
    return chosen or settings.LANGUAGE_CODE


def notify(
    account: Account,
    title: Text,
    body: Text = "",
    *,
    category=MessageCategory.ORDER,
    order=None,
    resource=None,
    link: str = "",
) -> Message:
    """Put a message in `account`'s message center, inside the caller's transaction.

    Issue 17: a message is stored as text, read later by the account's people; `title` and
    `body` given as callables (`lambda: _("Order %(no)s is paid") % {...}`) are made in the
    recipient's language (`recipient_language`), whoever sent it: a member acting in English,
    or the worker, which has no user at all."""
    if callable(title) or callable(body):
        with translation.override(recipient_language(account)):
            title = title() if callable(title) else title
            body = body() if callable(body) else body
    return Message.objects.create(
        account=account,
        category=category,
        title=title[:200],
        body=body,
        order=order,
        resource=resource,
        link=link,
    )


@transaction.atomic(durable=True)
def message_mark_read(*, message: Message, acting_user: User) -> Message:
    m = Message.objects.select_for_update(no_key=True).get(
        pk=message.pk, account_id=acting_user.account_id
    )
    if m.read_at is None:
        m.read_at = timezone.now()
        m.save(update_fields=["read_at"])
        audit_record(
            actor=acting_user,
            action="message.read",
            message=Msg(gettext_noop("Read message: %(title)s"), title=m.title),
            target_account=m.account,
            obj=m,
        )
    return m


@transaction.atomic(durable=True)
def messages_mark_all_read(*, acting_user: User) -> int:
    count = Message.objects.filter(account_id=acting_user.account_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        audit_record(
            actor=acting_user,
            action="message.read_all",
            message=Msg(gettext_noop("Marked %(n)s message(s) read"), n=count),
            target_account=acting_user.account,
        )
    return count
