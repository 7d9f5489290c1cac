"""Reads for the organization pages. Every query starts from a `restrict()`ed queryset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Coalesce, Concat, Lower
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
    PermissionChange,
    TagSet,
    unconfirmed_exists,
)
from .scoping import console_context


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
    (`subtree_count`), how many sub-departments it has (`child_count`) and those of them that
    were read (`children`, in tree order: all of them, or none where the tree is read in part).
    Root's `department` is the model (its tags head the page)."""

    __slots__ = ("child_count", "children", "department", "member_count", "subtree_count")

    def __init__(self, department: Department | DepartmentRef, counts: tuple[int, int, int]):
        self.department = department
        self.member_count, self.subtree_count, self.child_count = counts
        self.children: list[DepartmentNode] = []


ROOT_FIELDS = ("id", "organization_id", "parent_id", "name", "depth", "path", "tag_set_id")
# Issue 16: a tree of at most this many departments is read and drawn whole; of a larger one
# (an organization may have 1,000) only Root's level and the way down to the selected
# department: each other department with sub-departments loads them when asked.
WHOLE_TREE = 200


def department_tree(*, user, selected: int | None = None) -> DepartmentNode | None:
    """The admin's organization's tree with member counts, in one query: the departments the
    user may see, each with its members counted from the organization's members grouped by
    department (an index of the organization's members read once, in order; a count per
    department read it a thousand times, issue 16). The nodes returned are those drawn: the
    whole tree, or past WHOLE_TREE departments, Root, its sub-departments and those of each
    department on the way down to `selected` (building a thousand nodes to draw a dozen took
    more than the rest of the page). Each node still counts the members of its whole subtree
    and all its sub-departments. Rows are read as tuples; Root is built as the model, with
    its tags (F11). The SQL is written here around the ORM's own SQL for the departments the
    user may see."""
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
        "WHERE organization_id = %s GROUP BY department_id) c ON c.department_id = d.id "
        f"WHERE d.id IN ({visible}) ORDER BY d.depth, d.name, d.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (console_context(user).organization_id, *params))
        rows = cursor.fetchall()
    if not rows or rows[0][2] is not None:
        return None
    # by depth: a department's parent comes before it, so deepest first completes each
    # subtree before adding it to its parent's
    own = {row[0]: row[-1] for row in rows}
    below, parent_of, child_count = dict(own), {}, dict.fromkeys(own, 0)
    for pk, _org, parent_id, *_rest in reversed(rows[1:]):
        below[parent_id] += below[pk]
        parent_of[pk] = parent_id
        child_count[parent_id] += 1
    opened = None  # every department's sub-departments
    if len(rows) > WHOLE_TREE:
        opened, pk = {rows[0][0]}, selected if selected in parent_of else None
        while pk is not None:  # the selected department and its ancestors
            opened.add(pk)
            pk = parent_of.get(pk)
    root = Department.from_db("default", ROOT_FIELDS, rows[0][:-2])
    if root.tag_set_id is not None:
        tags = TagSet._meta.get_field("tags").from_db_value(rows[0][-2], None, connection)
        root.tag_set = TagSet.from_db("default", ("id", "tags"), (root.tag_set_id, tags))
    nodes = {root.pk: DepartmentNode(root, (own[root.pk], below[root.pk], child_count[root.pk]))}
    for pk, _org, parent_id, name, *_rest in rows[1:]:
        if opened is None or parent_id in opened:  # its parent is drawn, and open
            ref, counts = DepartmentRef(pk, name, parent_id), (own[pk], below[pk], child_count[pk])
            node = nodes[pk] = DepartmentNode(ref, counts)
            nodes[parent_id].children.append(node)
    return nodes[root.pk]


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
    """Counts for the admin overview: one query, whatever the size. The members are counted
    in one pass over them (four counting subqueries read an organization's 10,000 members four
    times), and the SQL is written here around the ORM's own SQL for the rows the user may see
    (composed through the ORM, the query took twice as long to compile as to run: issue 16)."""
    members = (
        Membership.objects.restrict(user, "view")
        .filter(organization=organization)
        .order_by()
        .values("member_type", "payer_id")
    )
    departments = (
        Department.objects.restrict(user, "view")
        .filter(parent__isnull=False)
        .order_by()
        .values("pk")
    )
    pending = (
        Invitation.objects.filter(
            organization=organization,
            status=InvitationStatus.PENDING,
            expires_at__gt=timezone.now(),
        )
        .order_by()
        .values("pk")
    )
    parts = [q.query.sql_with_params() for q in (members, departments, pending)]
    (members_sql, members_params), (departments_sql, departments_params) = parts[:2]
    pending_sql, pending_params = parts[2]

    def of_type(condition: str) -> str:
        return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"

    sql = (
        f"SELECT {of_type('m.member_type <> %s')}, {of_type('m.member_type = %s')}, "
        f"{of_type('m.member_type = %s')}, {of_type('m.payer_id IS NOT NULL')}, "
        f"(SELECT COUNT(*) FROM ({departments_sql}) d), "
        f"(SELECT COUNT(*) FROM ({pending_sql}) i) "
        f"FROM ({members_sql}) m"
    )
    params = (
        MemberType.ADMIN.value,
        MemberType.INVITED.value,
        MemberType.CREATED.value,
        *departments_params,
        *pending_params,
        *members_params,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        n_members, invited, created, pay_on_behalf, n_departments, n_pending = cursor.fetchone()
    return OrgSummary(
        members=n_members,
        accounts_used=n_members + 1 + n_pending,  # O2: the admin and pending invitations count
        invited=invited,
        created=created,
        pay_on_behalf=pay_on_behalf,
        self_pay=n_members - pay_on_behalf,
        departments=n_departments,
        pending_invitations=n_pending,
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
