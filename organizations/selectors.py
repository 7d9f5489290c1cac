"""Reads for the organization pages. Every query starts from a `restrict()`ed queryset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, Count, JSONField, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, Lower
from django.utils import timezone

from tco_console.digests import digest_sql
from tco_console.secrets import decrypt

from .choices import InvitationStatus, MemberType
from .models import (
    Account,
    ApiKey,
    AuditRecord,
    Department,
    Invitation,
    Membership,
    MembershipPeriod,
    Organization,
    PermissionChange,
    TagSet,
    unconfirmed_exists,
)


def member_list(*, user):
    """Members of the admin's organization, with what the table shows, in two joins."""
    return (
        Membership.objects.restrict(user, "view")
        .select_related("account", "department", "payer")
        .annotate(name_lower=Lower("name"))  # the same order on SQLite and PostgreSQL
        .annotate(permission_unconfirmed=unconfirmed_exists())  # F17, in the same query
    )


def permission_changes(*, user, account: Account, limit: int = 10) -> list[PermissionChange]:
    """F17: the account's permission change records, newest first, in one query. At most one
    awaits consent and it is the newest (another is asked only once it is decided), so the
    pending one, if any, is the first (`pending_change`)."""
    return list(
        PermissionChange.objects.in_scope(user, "view")
        .filter(account=account)
        .select_related("operator", "decided_by", "old_payer", "new_payer")[:limit]
    )


def pending_change(changes: list[PermissionChange]) -> PermissionChange | None:
    """F17: the record awaiting consent among `permission_changes(...)` (as of now)."""
    return changes[0] if changes and changes[0].is_pending else None


class DepartmentRef:
    """A department in the tree below Root: what the tree shows of it."""

    __slots__ = ("name", "parent_id", "pk")
    is_root = False

    def __init__(self, pk: int, name: str, parent_id: int):
        self.pk, self.name, self.parent_id = pk, name, parent_id


class DepartmentNode:
    """A department of the tree with its members (`member_count`), those of its subtree
    (`subtree_count`) and its sub-departments, in tree order. Root's `department` is the model
    (its tags head the page)."""

    __slots__ = ("children", "department", "member_count", "subtree_count")

    def __init__(self, department: Department | DepartmentRef, member_count: int = 0):
        self.department, self.member_count = department, member_count
        self.subtree_count = member_count
        self.children: list[DepartmentNode] = []


ROOT_FIELDS = ("id", "organization_id", "parent_id", "name", "depth", "path", "tag_set_id")


def department_tree(*, user) -> DepartmentNode | None:
    """The whole tree of the admin's organization with member counts, in one query: the
    departments the user may see, each with its members counted once for all (a count per
    department read an organization's index a thousand times: 5 ms of the query's 7 at 1,000
    departments, issue 16). Rows are read as tuples (a model instance per department cost
    more than the rest of the page); Root is built as the model, with its tags (F11). The SQL
    is written here around the ORM's own SQL for the departments the user may see."""
    visible, params = (
        Department.objects.restrict(user, "view").order_by().values("pk").query.sql_with_params()
    )
    quote = connection.ops.quote_name
    department, membership, tag_set = (
        quote(m._meta.db_table) for m in (Department, Membership, TagSet)
    )
    columns = ", ".join(f"d.{quote(f)}" for f in ROOT_FIELDS)
    sql = (
        f"SELECT {columns}, t.tags, COALESCE(c.n, 0) FROM {department} d "
        f"LEFT JOIN {tag_set} t ON t.id = d.tag_set_id "
        f"LEFT JOIN (SELECT department_id, COUNT(*) AS n FROM {membership} "
        f"WHERE department_id IN ({visible}) GROUP BY department_id) c "
        "ON c.department_id = d.id "
        f"WHERE d.id IN ({visible}) ORDER BY d.depth, d.name, d.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, *params))
        rows = cursor.fetchall()
    if not rows or rows[0][2] is not None:
        return None
    root = Department.from_db("default", ROOT_FIELDS, rows[0][:-2])
    if root.tag_set_id is not None:
        tags = TagSet._meta.get_field("tags").from_db_value(rows[0][-2], None, connection)
        root.tag_set = TagSet.from_db("default", ("id", "tags"), (root.tag_set_id, tags))
    top = DepartmentNode(root, rows[0][-1])
    nodes = {root.pk: top}
    ordered = [top]
    for pk, _org, parent_id, name, *_rest, n in rows[1:]:
        node = nodes[pk] = DepartmentNode(DepartmentRef(pk, name, parent_id), n)
        nodes[parent_id].children.append(node)  # parents come first: by depth
        ordered.append(node)
    for node in reversed(ordered[1:]):  # deepest first: each subtree is complete when added
        nodes[node.department.parent_id].subtree_count += node.subtree_count
    return top


def department_choices(*, user) -> list[tuple[int, str]]:
    """(id, indented name) in tree order, for department pickers."""
    departments = list(Department.objects.restrict(user, "view").order_by("path"))
    by_id = {d.pk: d for d in departments}

    def sort_key(d: Department):
        return [by_id[i].name.lower() if i in by_id else "" for i in d.ancestor_ids()]

    departments.sort(key=sort_key)
    return [(d.pk, "\u2003" * d.depth + d.name) for d in departments]


def payer_choices(*, user) -> list[Account]:
    """O10: the admin account or a self-paying member (no chains)."""
    return list(
        Account.objects.filter(
            membership__in=Membership.objects.restrict(user, "change").filter(payer__isnull=True)
        )
        .select_related("membership")
        .order_by("-membership__member_type", "membership__name")
    )


def invitations_sent(*, user):
    ctx_qs = Invitation.objects.restrict(user, "cancel")
    return ctx_qs.select_related("invitee", "department", "payer", "invited_by")


def invitations_received(*, user):
    return (
        Invitation.objects.restrict(user, "view")
        .filter(invitee_id=user.account_id)
        .select_related("organization__admin_account", "department", "payer")
    )


def audit_log(*, user):
    return AuditRecord.objects.restrict(user, "view").select_related("target_account")


@dataclass
class OrgSummary:
    members: int
    accounts_used: int
    invited: int
    created: int
    pay_on_behalf: int
    self_pay: int
    departments: int
    pending_invitations: int
    member_limit: int


def organization_summary(*, user, organization) -> OrgSummary:
    """Counts for the admin overview: one query of counting subqueries, whatever the size."""
    members = Membership.objects.restrict(user, "view").filter(organization=organization)

    def count(qs, **filters):
        found = qs.filter(**filters).order_by().values(k=Value(1)).annotate(n=Count("pk"))
        return Coalesce(Subquery(found.values("n")[:1]), 0)

    # the members counted in one pass over them (issue 16: four counting subqueries read
    # an organization's 10,000 members four times)
    by_type = (
        members.order_by()
        .values(k=Value(1))
        .annotate(
            j=JSONObject(
                n_members=Count("pk", filter=~Q(member_type=MemberType.ADMIN)),
                n_invited=Count("pk", filter=Q(member_type=MemberType.INVITED)),
                n_created=Count("pk", filter=Q(member_type=MemberType.CREATED)),
                n_pay_on_behalf=Count("pk", filter=Q(payer__isnull=False)),
            )
        )
        .values("j")[:1]
    )
    found = (
        Organization.objects.filter(pk=organization.pk)
        .values(
            members=Subquery(by_type, output_field=JSONField()),
            n_departments=count(Department.objects.restrict(user, "view"), parent__isnull=False),
            n_pending=count(
                Invitation.objects.filter(organization=organization),
                status=InvitationStatus.PENDING,
                expires_at__gt=timezone.now(),
            ),
        )
        .get()
    )
    none = {"n_members": 0, "n_invited": 0, "n_created": 0, "n_pay_on_behalf": 0}
    counts = {**(found["members"] or none), **found}
    return OrgSummary(
        members=counts["n_members"],
        accounts_used=counts["n_members"] + 1 + counts["n_pending"],  # O2: admin and pending count
        invited=counts["n_invited"],
        created=counts["n_created"],
        pay_on_behalf=counts["n_pay_on_behalf"],
        self_pay=counts["n_members"] - counts["n_pay_on_behalf"],
        departments=counts["n_departments"],
        pending_invitations=counts["n_pending"],
        member_limit=organization.member_limit,
    )


def membership_periods(*, account: Account, organization=None):
    qs = MembershipPeriod.objects.filter(account=account).select_related(
        "payer", "organization__admin_account"
    )
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.order_by("-started_at", "-id")


# API keys (issue 15; K2, K3, K5 in docs/api.md)


def api_key_list(*, user):
    """K3: the keys the user manages: its own; an account owner's also its sub-users'. Every
    user of an account sees its own, whatever its groups (so `in_scope`, not `restrict`)."""
    return (
        ApiKey.objects.in_scope(user, "view")
        .select_related("user")
        .order_by("user__username", "created_at", "id")
    )


def api_key_secret(key: ApiKey) -> str:
    """K2: the key's plain SecretKey (decrypted), for the API's signature check only. Raises
    `tco_console.secrets.InvalidToken` when no configured encryption key opens it."""
    return decrypt(key.secret_key_encrypted)


def api_key_by_secret_id(secret_id: str) -> tuple[ApiKey, str] | None:
    """K2/K5: the key with this SecretId, its user (and the user's account) loaded, and its
    plain SecretKey; None when no key has that SecretId. The caller still checks
    `key.enabled` and `key.user.is_active` (a disabled key or a deactivated user is refused)."""
    if not isinstance(secret_id, str) or not secret_id or len(secret_id) > 40:
        return None
    key = ApiKey.objects.select_related("user__account").filter(secret_id=secret_id).first()
    if key is None:
        return None
    return key, api_key_secret(key)


def _structure_row():
    return Concat(
        Cast("account_id", CharField()),
        Value(":"),
        Coalesce(Cast("department_id", CharField()), Value("-")),
        Value(":"),
        Coalesce("department__path", Value("-")),
        output_field=CharField(),
    )


def structure_fingerprint(organization_id: int) -> str:
    """Issue 16: a digest of who is in which department of the organization and where each
    department sits in the tree. Anything grouped or filtered by today's departments (F6, F7)
    may be cached under it: a move, a new or removed member, a department moved, added or
    deleted (by a service or an operator in the Django admin) changes it. Read here, in
    Python, on SQLite; on PostgreSQL billing reads `structure_fingerprint_sql` inside its own
    query."""
    rows = (
        Membership.objects.filter(organization_id=organization_id)
        .order_by("account_id")
        .values_list(_structure_row(), flat=True)
    )
    return hashlib.md5(",".join(rows).encode()).hexdigest() if rows else ""


def structure_fingerprint_sql() -> str:
    """What `structure_fingerprint` reads, as SQL text (PostgreSQL) for a caller that reads it
    in a query of its own, with one parameter, `%(organization)s`: a digest of who is in which
    department (each member's account hashed under its department) and one of where each
    department sits (its path), order-free (tco_console/digests.py)."""
    members, departments = (
        connection.ops.quote_name(m._meta.db_table) for m in (Membership, Department)
    )
    mine = "organization_id = %(organization)s"
    return (
        digest_sql(
            members,
            mine,
            "hashint8extended(account_id, coalesce(department_id, -1))",
            "hashint8extended(coalesce(department_id, -1), account_id)",
        )
        + " || '/' || "
        + digest_sql(departments, mine, "hashtextextended(path, 0)", "hashtextextended(path, 1)")
    )
