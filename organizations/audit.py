"""A4: audit records, written inside the transaction of the change they record.

`audit_record` writes one; `audit_records_bulk` writes many in one INSERT (a sweep, a move of
many members) and builds each row exactly as `audit_record` does, so no caller hand-builds an
`AuditRecord` and skips a rule (the actor's name, the 300-character message).
`organization_of` is the organization an audit record is filed under; billing's services use
it too.

Issue 17: `message` is a `Msg` (`Msg(gettext_noop("Created policy %(name)s"), name=…)`) so that
each reader reads it in their own language: the row keeps it in English in `message` and the
msgid with its parameters in `message_i18n`; `AuditRecord.shown_message` renders it. A plain
string is kept as it is (the Django admin's own change messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tco_console.msg import Msg, english, stored

from .models import Account, AuditRecord, Membership, Organization, User
from .models.audit import SYSTEM

# Issue 15: a change made through the TCO API is audited like its console twin, marked with
# the SecretId that signed it (the API endpoint sets this around the action it runs).
_api_secret_id: ContextVar[str | None] = ContextVar("api_secret_id", default=None)


@contextmanager
def via_api(secret_id: str) -> Iterator[None]:
    token = _api_secret_id.set(secret_id)
    try:
        yield
    finally:
        _api_secret_id.reset(token)


def _build(
    *,
    actor: User | None,
    action: str,
    message: Msg | str,
    organization: Organization | None = None,
    target_account: Account | None = None,
    obj=None,
    changes: dict | None = None,
) -> AuditRecord:
    return AuditRecord(
        actor=actor,
        actor_name=actor.get_username() if actor else SYSTEM,
        actor_account_id=actor.account_id if actor else None,
        organization=organization,
        target_account=target_account,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        message=english(message)[:300],
        message_i18n=stored(message),
        changes=_marked(changes or {}),
    )


def _marked(changes: dict) -> dict:
    secret_id = _api_secret_id.get()
    return {**changes, "via": "api", "secret_id": secret_id} if secret_id else changes


def audit_record(
    *,
    actor: User | None,
    action: str,
    message: Msg | str,
    organization: Organization | None = None,
    target_account: Account | None = None,
    obj=None,
    changes: dict | None = None,
) -> AuditRecord:
    """A4: write an audit record. Call inside the service's transaction."""
    record = _build(
        actor=actor,
        action=action,
        message=message,
        organization=organization,
        target_account=target_account,
        obj=obj,
        changes=changes,
    )
    record.save(force_insert=True)
    return record


def audit_records_bulk(records: Iterable[dict]) -> list[AuditRecord]:
    """A4: write many audit records in one query; each dict takes `audit_record`'s keywords."""
    return AuditRecord.objects.bulk_create([_build(**fields) for fields in records])


def organization_of(account: Account) -> Organization | None:
    """The organization an account is in now (audit records are filed under it)."""
    membership = Membership.objects.filter(account=account).select_related("organization").first()
    return membership.organization if membership else None
