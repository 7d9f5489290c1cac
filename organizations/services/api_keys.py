"""API keys (issue 15, point 3; K1-K5 in docs/api.md): a user's SecretId/SecretKey pairs for
the TCO API, as CAM's.

K1: a user has at most 2 keys (`MAX_KEYS_PER_USER`); the user row is locked first, so two
concurrent creates cannot make a third. A deactivated user gets no new key.
K2: the SecretKey is returned once, by `api_key_create`, and stored only encrypted
(`tco_console.secrets`); it never goes into an audit record or a log.
K3: a user manages its own keys; an account's owner also its sub-users' (A1). Anyone else is
refused (the views answer 404: the key is outside their scope, A2).
K4: every change is audited (`api_key.create`, `.disable`, `.enable`, `.delete`) in the same
durable transaction.

Lock order (organizations.locks): the key's user row, then the key row.
"""

from __future__ import annotations

import secrets
import string

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console import secrets as crypto
from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record, organization_of
from ..models import MAX_KEYS_PER_USER, ApiKey, ApiKeyStatus, User

ALPHABET = string.ascii_letters + string.digits
SECRET_ID_PREFIX = "AKID"
SECRET_ID_RANDOM = 32  # "AKID" + 32 characters: 36, as CAM's SecretIds
SECRET_KEY_LENGTH = 32


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(n))


def new_secret_id() -> str:
    return SECRET_ID_PREFIX + _random(SECRET_ID_RANDOM)


def new_secret_key() -> str:
    return _random(SECRET_KEY_LENGTH)


def can_manage(*, acting_user: User, owner_of_key: User) -> bool:
    """K3: the key's own user, or the owner of the key's user's account (A1)."""
    if acting_user is None or not acting_user.is_active:
        return False
    if acting_user.pk == owner_of_key.pk:
        return True
    return bool(
        acting_user.is_owner
        and acting_user.account_id is not None
        and acting_user.account_id == owner_of_key.account_id
    )


def _refuse() -> DomainError:
    return DomainError(_("This API key does not exist."), code="ResourceNotFound.ApiKeyNotExist")


def _lock_user(user: User, *, acting_user: User) -> User:
    if not can_manage(acting_user=acting_user, owner_of_key=user):
        raise DomainError(
            _(
                "You may manage only your own API keys, or, as the account owner, your "
                "sub-users' keys."
            ),
            code="UnauthorizedOperation",
        )
    return (
        User.objects.select_for_update(no_key=True, of=("self",))
        .select_related("account")
        .get(pk=user.pk)
    )


def _lock_key(key: ApiKey, *, acting_user: User, for_delete: bool = False) -> ApiKey:
    """The key's user row, then the key row (re-read: it may be gone already)."""
    owner = User.objects.filter(pk=key.user_id).first()
    if owner is None or not can_manage(acting_user=acting_user, owner_of_key=owner):
        raise _refuse()
    _lock_user(owner, acting_user=acting_user)
    locked = (
        ApiKey.objects.select_for_update(no_key=not for_delete, of=("self",))
        .select_related("user__account")
        .filter(pk=key.pk)
        .first()
    )
    if locked is None:
        raise _refuse()
    return locked


def _audit(*, key: ApiKey, acting_user: User, action: str, message: Msg, changes=None) -> None:
    # K2: the SecretId only, never the SecretKey
    account = key.user.account
    audit_record(
        actor=acting_user,
        action=action,
        message=message,
        organization=organization_of(account) if account else None,
        target_account=account,
        obj=key,
        changes={"secret_id": key.secret_id, "user": key.user.get_username(), **(changes or {})},
    )


def _create(*, user: User, acting_user: User, secret_id: str, secret_key: str) -> ApiKey:
    target = _lock_user(user, acting_user=acting_user)
    if not target.is_active:
        raise DomainError(
            _("%(name)s is deactivated: it cannot get a new API key.")
            % {"name": target.get_username()},
            field="user",
            code="FailedOperation.UserDeactivated",
        )
    if ApiKey.objects.filter(user=target).count() >= MAX_KEYS_PER_USER:
        raise DomainError(
            _("A user has at most %(n)s API keys. Delete one to create another.")
            % {"n": MAX_KEYS_PER_USER},
            code="LimitExceeded.ApiKeyLimitExceeded",
        )
    key = ApiKey.objects.create(
        user=target, secret_id=secret_id, secret_key_encrypted=crypto.encrypt(secret_key)
    )
    _audit(
        key=key,
        acting_user=acting_user,
        action="api_key.create",
        message=Msg(
            gettext_noop("Created API key %(id)s for %(name)s"),
            id=secret_id,
            name=target.get_username(),
        ),
    )
    return key


@transaction.atomic(durable=True)
def api_key_create(*, user: User, acting_user: User) -> tuple[ApiKey, str]:
    """K1-K4: a new enabled key for `user`; returns it and its plain SecretKey, the only
    time the SecretKey is available in plain text (show it once, never store or log it)."""
    secret_key = new_secret_key()
    key = _create(
        user=user, acting_user=acting_user, secret_id=new_secret_id(), secret_key=secret_key
    )
    return key, secret_key


@transaction.atomic(durable=True)
def api_key_create_demo(*, user: User, secret_id: str, secret_key: str) -> ApiKey:
    """DEMO ONLY (`manage.py seed_demo`): a key with fixed, published values, so README can
    show a ready SDK snippet. Idempotent: an existing key with that SecretId is kept.
    Never call it anywhere else: a published SecretKey is no secret."""
    existing = ApiKey.objects.filter(secret_id=secret_id).first()
    if existing is not None:
        return existing
    return _create(user=user, acting_user=user, secret_id=secret_id, secret_key=secret_key)


def _set_status(*, key: ApiKey, acting_user: User, status: str) -> ApiKey:
    locked = _lock_key(key, acting_user=acting_user)
    enable = status == ApiKeyStatus.ENABLED
    if locked.status == status:
        raise DomainError(
            (
                _("API key %(id)s is already enabled.")
                if enable
                else _("API key %(id)s is already disabled.")
            )
            % {"id": locked.secret_id}
        )
    before = locked.status
    locked.status = status
    locked.save(update_fields=["status"])
    _audit(
        key=locked,
        acting_user=acting_user,
        action="api_key.enable" if enable else "api_key.disable",
        message=Msg(
            gettext_noop("Enabled API key %(id)s")
            if enable
            else gettext_noop("Disabled API key %(id)s"),
            id=locked.secret_id,
        ),
        changes={"status": [before, status]},
    )
    return locked


@transaction.atomic(durable=True)
def api_key_disable(*, key: ApiKey, acting_user: User) -> ApiKey:
    """K3/K4: a disabled key is refused by the API until enabled again."""
    return _set_status(key=key, acting_user=acting_user, status=ApiKeyStatus.DISABLED)


@transaction.atomic(durable=True)
def api_key_enable(*, key: ApiKey, acting_user: User) -> ApiKey:
    return _set_status(key=key, acting_user=acting_user, status=ApiKeyStatus.ENABLED)


@transaction.atomic(durable=True)
def api_key_delete(*, key: ApiKey, acting_user: User) -> None:
    """K3/K4: the key is gone for good; the audit record keeps its SecretId."""
    locked = _lock_key(key, acting_user=acting_user, for_delete=True)
    _audit(
        key=locked,
        acting_user=acting_user,
        action="api_key.delete",
        message=Msg(
            gettext_noop("Deleted API key %(id)s of %(name)s"),
            id=locked.secret_id,
            name=locked.user.get_username(),
        ),
    )
    locked.delete()


def api_key_record_use(*, key: ApiKey, action: str) -> None:
    """K5: when and for which action a key was last used (one UPDATE, no audit record: the
    API write itself is audited). Runs in the caller's transaction, if any."""
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_action=action[:64])
    key.last_used_at, key.last_used_action = now, action[:64]
