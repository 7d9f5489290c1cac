"""F11 tags on members and departments (TCO's `Tags`, "categorized account management").

A member or department points at an immutable `TagSet`; editing its tags points it at
another set (created the first time it is used). Every service locks the organization
first, then the memberships it changes by primary key (`organizations.locks`), validates
with `validate_pairs` (at most 10 pairs, keys unique, Tencent Cloud's lengths and
characters, `qcs:` and `project` reserved) and audits each member or department whose tags
changed, with the old and the new tags (A4). A refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record, audit_records_bulk
from ..locks import lock_membership, lock_org
from ..models import Department, Membership, TagSet, User
from ..models.tags import MAX_TAGS, validate_pairs

TAG_ERROR = "InvalidParameter.TagError"


def _validated(pairs, *, field: str) -> list[list[str]]:
    """F11: the canonical pairs, or a DomainError on `field` that says what is wrong."""
    try:
        return validate_pairs(pairs)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=TAG_ERROR, field=field) from error


def _tags_of(tag_set: TagSet | None) -> dict[str, str]:
    return tag_set.as_dict() if tag_set is not None else {}


def _describe(tags: dict[str, str]) -> str | Msg:
    """The tags as typed (`key:value`), or "no tags" in each reader's language (issue 17)."""
    return ", ".join(f"{k}:{v}" if v else k for k, v in sorted(tags.items())) or Msg(
        gettext_noop("no tags")
    )


class _TagSets:
    """`TagSet.objects.for_pairs` once per distinct set within one service call."""

    def __init__(self):
        self._by_digest: dict[str, TagSet | None] = {}

    def get(self, tags: dict[str, str]) -> TagSet | None:
        canonical = validate_pairs(tags.items()) if tags else []
        digest = TagSet.digest_of(canonical)
        if digest not in self._by_digest:
            self._by_digest[digest] = TagSet.objects.for_pairs(canonical)
        return self._by_digest[digest]


@transaction.atomic(durable=True)
def member_tags_set(*, membership: Membership, pairs, acting_user: User) -> Membership:
    """F11: replace a member's tags (TCO UpdateOrganizationMember's Tags)."""
    org, m = lock_membership(membership, related=("account", "tag_set"))
    new = dict(_validated(pairs, field="tags"))
    old = _tags_of(m.tag_set)
    if new == old:
        return m
    m.tag_set = TagSet.objects.for_pairs(new.items())
    m.save(update_fields=["tag_set"])
    audit_record(
        actor=acting_user,
        action="member.tags",
        message=Msg(
            gettext_noop("Tags of %(name)s (%(uin)s) set to %(tags)s"),
            name=m.name,
            uin=m.account.uin,
            tags=_describe(new),
        ),
        organization=org,
        target_account=m.account,
        obj=m,
        changes={"tags": [old, new]},
    )
    return m


@transaction.atomic(durable=True)
def department_tags_set(*, department: Department, pairs, acting_user: User) -> Department:
    """F11: replace a department's tags (TCO UpdateOrganizationNode's Tags). The
    organization lock serializes every change of its departments (O3)."""
    org = lock_org(department.organization_id)
    dept = Department.objects.select_related("tag_set").get(pk=department.pk, organization=org)
    new = dict(_validated(pairs, field="tags"))
    old = _tags_of(dept.tag_set)
    if new == old:
        return dept
    dept.tag_set = TagSet.objects.for_pairs(new.items())
    dept.save(update_fields=["tag_set"])
    audit_record(
        actor=acting_user,
        action="department.tags",
        message=Msg(
            gettext_noop("Tags of department %(name)s set to %(tags)s"),
            name=dept.name,
            tags=_describe(new),
        ),
        organization=org,
        obj=dept,
        changes={"tags": [old, new]},
    )
    return dept


def _clean_keys(keys: Iterable[str]) -> list[str]:
    out = []
    for key in keys:
        key = str(key).strip()
        if not key:
            raise DomainError(_("A tag key cannot be empty."), code=TAG_ERROR, field="remove")
        if key not in out:
            out.append(key)
    return out


@transaction.atomic(durable=True)
def members_tags_bulk(
    *,
    memberships: Iterable[Membership],
    add: Iterable[tuple[str, str]] = (),
    remove_keys: Iterable[str] = (),
    acting_user: User,
) -> int:
    """F11: add or replace the keys of `add` and remove `remove_keys` on many members at
    once. Every member's resulting set is checked before anything is written: one member
    that would pass 10 tags refuses the whole change. Returns the number of members whose
    tags changed (one audit record each)."""
    wanted = list(memberships)
    if not wanted:
        raise DomainError(_("Select at least one member."), field="uins")
    add = dict(_validated(add, field="add"))
    remove = _clean_keys(remove_keys)
    if not add and not remove:
        raise DomainError(_("Enter tags to add or keys to remove."), code=TAG_ERROR, field="add")
    both = sorted(set(add) & set(remove))
    if both:
        raise DomainError(
            _("The tag key “%(key)s” cannot be both added and removed.") % {"key": both[0][:40]},
            code=TAG_ERROR,
            field="remove",
        )
    org = lock_org(wanted[0].organization_id)
    ids = sorted({m.pk for m in wanted})
    members = list(
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("account", "tag_set")
        .filter(organization=org, pk__in=ids)
        .order_by("pk")
    )
    if len(members) != len(ids):
        raise DomainError(
            _("Some of the selected members do not belong to the organization."),
            code="FailedOperation.SomeUinsNotInOrganization",
            field="uins",
        )
    plans = []
    for m in members:
        old = _tags_of(m.tag_set)
        new = {k: v for k, v in old.items() if k not in remove} | add
        if len(new) > MAX_TAGS:
            raise DomainError(
                _(
                    "%(name)s (%(uin)s) would have %(n)s tags; a member has at most %(max)s. "
                    "Nothing was changed."
                )
                % {"name": m.name, "uin": m.account.uin, "n": len(new), "max": MAX_TAGS},
                code=TAG_ERROR,
                field="add",
            )
        if new != old:
            _validated(new.items(), field="add")
            plans.append((m, old, new))
    sets = _TagSets()
    for m, _old, new in plans:
        m.tag_set = sets.get(new)
    Membership.objects.bulk_update([m for m, _o, _n in plans], ["tag_set"])
    audit_records_bulk(
        {
            "actor": acting_user,
            "action": "member.tags",
            "message": Msg(
                gettext_noop("Tags of %(name)s (%(uin)s) set to %(tags)s"),
                name=m.name,
                uin=m.account.uin,
                tags=_describe(new),
            ),
            "organization": org,
            "target_account": m.account,
            "obj": m,
            "changes": {"tags": [old, new]},
        }
        for m, old, new in plans
    )
    return len(plans)
