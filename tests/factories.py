"""factory-boy factories. Organization state is built through the services, so tests start
from states the console itself can reach."""

import factory
from django.contrib.auth.models import Group

from organizations import services
from organizations.models import Account, Entity, User

PASSWORD = "pw-for-tests-2026"


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Enterprise {n} Ltd.")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    uin = factory.Sequence(lambda n: str(200000000000 + n))
    name = factory.Sequence(lambda n: f"account-{n}")
    email = factory.LazyAttribute(lambda a: f"{a.name}@example.com")
    entity = factory.SubFactory(EntityFactory)


class UserFactory(factory.django.DjangoModelFactory):
    """An account owner (in the Account owner group) unless is_owner=False and groups given."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    account = factory.SubFactory(AccountFactory)
    is_owner = True
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        names = (
            extracted
            if extracted is not None
            else ([services.OWNER_GROUP] if self.is_owner else [])
        )
        for name in names:
            self.groups.add(Group.objects.get(name=name))


def make_org(*, entity=None, member_limit=None):
    """An organization with its admin owner user. Returns (org, admin_user)."""
    admin = UserFactory(account__entity=entity or EntityFactory())
    org = services.organization_create(account=admin.account, acting_user=admin)
    if member_limit is not None:
        org.member_limit = member_limit
        org.save(update_fields=["member_limit"])
    return org, admin


def join(
    org,
    admin,
    *,
    user=None,
    name=None,
    payer=None,
    allow_quit=False,
    department=None,
    permissions=None,
):
    """Invite a (new or given) owner user's account and accept it: an invited member."""
    user = user or UserFactory(account__entity=org.admin_account.entity)
    perms = permissions or ([1, 2, 7] if payer else [1, 2])
    inv = services.invitation_send(
        organization=org,
        acting_user=admin,
        uin=user.account.uin,
        name=name or f"m-{user.account.uin[-6:]}",
        department=department,
        permissions=perms,
        payer=payer,
        allow_quit=allow_quit,
    )
    services.invitation_accept(invitation=inv, acting_user=user)
    return user


def sub_user(account, *groups, username=None):
    return UserFactory(
        account=account,
        is_owner=False,
        groups=list(groups),
        **({"username": username} if username else {}),
    )


def update_and_accept(**kwargs):
    """`member_update`, then (F17) the member's owner accepts the change it asked of an
    invited member: the edit takes effect as it does at once for a created member."""
    m = services.member_update(**kwargs)
    if m.pending_change is not None:
        owner = User.objects.get(account_id=m.account_id, is_owner=True)
        services.permission_change_accept(change=m.pending_change, acting_user=owner)
        m.refresh_from_db()
    return m
