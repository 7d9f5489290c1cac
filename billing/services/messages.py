"""Message center writes: marking messages read (audited, A4; idempotent)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Message
from organizations.services import audit_record


@transaction.atomic(durable=True)
def message_mark_read(*, message: Message, acting_user) -> Message:
    m = Message.objects.select_for_update(no_key=True).get(
        pk=message.pk, account_id=acting_user.account_id
    )
    if m.read_at is None:
        m.read_at = timezone.now()
        m.save(update_fields=["read_at"])
        audit_record(
            actor=acting_user,
            action="message.read",
            message=_("Read message: %(title)s") % {"title": m.title},
            target_account=m.account,
            obj=m,
        )
    return m


@transaction.atomic(durable=True)
def messages_mark_all_read(*, acting_user) -> int:
    count = Message.objects.filter(account_id=acting_user.account_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        audit_record(
            actor=acting_user,
            action="message.read_all",
            message=_("Marked %(n)s message(s) read") % {"n": count},
            target_account=acting_user.account,
        )
    return count
