"""Set-based writes for the money services that write many rows at once (issue 16: usage
settlement in batches): reserving primary keys, inserting rows, and adding totals to rollup
rows with one statement per table.

On PostgreSQL rows go in with COPY (psycopg 3) and keys come from the table's own sequence;
elsewhere (SQLite, the default test database) through the ORM's bulk_create. Both run inside
the caller's transaction: nothing here commits, locks or decides anything about money.
A leaf of billing's services: it imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Model, Q, UniqueConstraint

ROWS_PER_STATEMENT = 1000  # rollup upserts: under SQLite's and PostgreSQL's parameter limits


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk writes happen inside the money transaction")


def reserve_ids(model: type[Model], n: int) -> list[int]:
    """`n` fresh primary keys of `model`'s table, in increasing order, for rows the caller
    inserts with explicit keys (so rows written in the same batch can point at them)."""
    _require_transaction()
    if n <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE, or the
        # test's transaction), so nobody else inserts until we commit.
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")
        last = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        last = max(last, row[0] if row else 0)
    return list(range(last + 1, last + 1 + n))


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `columns`, the fields' attnames such as
    `journal_id`) into `model`'s table; returns how many. Values are Python values (Decimal,
    aware datetimes, dates); model validation and save() are not run, so the caller builds
    rows that satisfy the model's constraints (the database checks them again)."""
    _require_transaction()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(
            connection.ops.quote_name(model._meta.get_field(c).column) for c in columns
        )
        count = 0
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objs, batch_size=ROWS_PER_STATEMENT)
    return len(objs)


def _condition_sql(model: type[Model], condition: Q | None) -> tuple[str, dict[str, bool]]:
    """A partial unique constraint's condition, for ON CONFLICT … WHERE, and the null-ness
    of the fields (by attname) it applies to. Only conjunctions of `<field>__isnull=<bool>`,
    the one shape the rollups use; anything else is refused."""
    if condition is None:
        return "", {}
    if condition.connector != Q.AND or condition.negated:
        raise ValueError(f"unsupported constraint condition {condition!r}")
    nulls, parts = {}, []
    for child in condition.children:
        if not (isinstance(child, tuple) and child[0].endswith("__isnull")):
            raise ValueError(f"unsupported constraint condition {condition!r}")
        field = model._meta.get_field(child[0].removesuffix("__isnull"))
        nulls[field.attname] = bool(child[1])
        parts.append(
            f"{connection.ops.quote_name(field.column)} IS {'' if child[1] else 'NOT '}NULL"
        )
    return " AND ".join(parts), nulls


def _targets(model: type[Model]):
    """The model's unique constraints as ON CONFLICT targets: (columns, WHERE sql, the
    null-ness of the fields it applies to)."""
    targets = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = [model._meta.get_field(f).column for f in constraint.fields]
            targets.append((columns, *_condition_sql(model, constraint.condition)))
    return targets


def add_totals(
    model: type[Model], key: Sequence[str], totals: Sequence[str], groups: dict[tuple, dict]
) -> None:
    """Add each group's `totals` to the row of `model` at its key (a tuple in the order of
    `key`, attnames), creating the row the first time: INSERT … ON CONFLICT DO UPDATE SET
    total = total + EXCLUDED.total, one statement per unique constraint that applies (a
    rollup with a nullable key has one partial unique index for each case)."""
    _require_transaction()
    if not groups:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*key, *totals]
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    updates = ", ".join(f"{quote(t)} = {table}.{quote(t)} + EXCLUDED.{quote(t)}" for t in totals)
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    by_target: dict[int, list] = {}
    targets = _targets(model)
    for group_key, sums in sorted(groups.items(), key=lambda kv: str(kv[0])):
        values = dict(zip(key, group_key, strict=True))
        covering = [
            i
            for i, (_columns, _where, nulls) in enumerate(targets)
            if all((values[f] is None) == is_null for f, is_null in nulls.items())
        ]
        if len(covering) != 1:
            raise ValueError(f"{model.__name__} has no one unique constraint for {group_key!r}")
        by_target.setdefault(covering[0], []).append((*group_key, *(sums[t] for t in totals)))
    with connection.cursor() as cursor:
        for i, rows in sorted(by_target.items()):
            target_columns, where, _nulls = targets[i]
            conflict = ", ".join(quote(c) for c in target_columns)
            if where:
                conflict += f") WHERE ({where}"
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                cursor.execute(
                    f"INSERT INTO {table} ({names}) VALUES "
                    + ", ".join([placeholders] * len(chunk))
                    + f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
                    [v for row in chunk for v in row],
                )
