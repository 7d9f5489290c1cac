"""Accounts (A1): sign-up, and the new accounts and owners that sign-up and O6 create.

A new account gets a fresh 12-digit UIN; its owner user is in the owner group. Sign-up is one
durable transaction with its audit record (A4).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record
from ..models import Account, Entity, User
from ..roles import OWNER_GROUP


def _new_uin() -> str:
    return str(secrets.randbelow(900_000_000_000) + 100_000_000_000)


def _create_account(*, name: str, email: str = "", entity: Entity | None = None) -> Account:
    """A new account with a fresh 12-digit UIN (retrying on the rare collision)."""
    for _attempt in range(10):
        uin = _new_uin()
        if Account.objects.filter(uin=uin).exists():
            continue
        try:
            with transaction.atomic():
                return Account.objects.create(uin=uin, name=name, email=email, entity=entity)
        except IntegrityError:
            continue
    raise DomainError(_("Could not allocate a new UIN; please try again."))


def _create_owner(*, account: Account, username: str, password: str | None, email: str) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This login name is already taken."), field="username")
    user = User(username=username, email=email, account=account, is_owner=True)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():  # another sign-up may take the name at the same moment
            user.save()
    except IntegrityError:
        raise DomainError(_("This login name is already taken."), field="username") from None
    user.groups.add(Group.objects.get(name=OWNER_GROUP))
    return user


@transaction.atomic(durable=True)
def account_sign_up(
    *,
    username: str,
    password: str,
    email: str,
    account_name: str,
    enterprise_name: str = "",
) -> User:
    """Sign-up: a new account (new UIN) with its owner user.

    Enterprise real-name verification is simulated: an enterprise name given at sign-up
    verifies the account as that entity (O2 needs one to create an organization).
    """
    entity = None
    if enterprise_name.strip():
        entity, _created = Entity.objects.get_or_create(name=enterprise_name.strip())
    account = _create_account(name=account_name, email=email, entity=entity)
    user = _create_owner(account=account, username=username, password=password, email=email)
    audit_record(
        actor=user,
        action="account.sign_up",
        message=Msg(gettext_noop("Signed up account %(uin)s"), uin=account.uin),
        target_account=account,
        obj=account,
    )
    return user


@transaction.atomic(durable=True)
def user_language_set(*, user: User, language: str) -> None:
    """Issue 17: remember the console language `user` chose in the header (a code of
    settings.LANGUAGES, or "" to follow the browser). A display preference of the user's own,
    not an act on the account: no audit record."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language and language not in codes:
        raise DomainError(_("Choose a language from the list."), field="language")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
