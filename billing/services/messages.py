"""Message center writes: sending a message (`notify`), and marking messages read (audited,
A4; idempotent).

`notify` lives here, below orders, payg, lifecycle and invoices, so each of them sends
messages without importing another (issue 12).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing.models import Message
from billing.models.choices import MessageCategory
from organizations.audit import audit_record
from organizations.models import Account, User
from tco_console.msg import Lines, Msg, english, stored

Text = str | Msg | Lines


def notify(
    account: Account,
    title: str | Msg,
    body: Text = "",
    *,
    category=MessageCategory.ORDER,
    order=None,
    resource=None,
    link: str = "",
) -> Message:
    """Put a message in `account`'s message center, inside the caller's transaction.

    Issue 17: a notice is read later by the account's people, each in the language they read
    in, whoever sent it (a member acting in English, the worker with no user at all). `title`
    and `body` given as `Msg` (`Msg(gettext_noop("Order %(no)s is paid"), no=...)`; a body of
    several lines as a list) keep their text in English and the `Msg` in `title_i18n` and
    `body_i18n`; plain text (typed by a user) is kept as it is."""
    return Message.objects.create(
        account=account,
        category=category,
        title=english(title)[:200],
        title_i18n=stored(title),
        body=english(body),
        body_i18n=stored(body),
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
            message=Msg(gettext_noop("Read message: %(title)s"), title=m.title_i18n or m.title),
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
