"""The scale dataset's bulk loading on PostgreSQL (`billing.scale`): COPY, the load's memory
settings, dropping and rebuilding a table's indexes and foreign keys, reserving ids."""

from __future__ import annotations

import time
from contextlib import contextmanager
from functools import cache
from queue import Queue

from django.db import connection
from psycopg.copy import QueuedLibpqWriter
from psycopg.postgres import adapters, types
from psycopg.pq import Format

BATCH = 10_000  # COPY rows (text lines or binary rows) per write
QUEUED = 64  # pieces of COPY data waiting for the sending thread
LOAD_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "512MB"}


def copy_rows(model, columns: list[str], rows, *, freeze: bool = False) -> None:
    """COPY ready lines of COPY text into the model's table, in batches of `BATCH` lines."""
    copy_chunks(model, columns, _batches(rows), freeze=freeze)


def _batches(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def copy_chunks(
    model, columns: list[str], chunks, *, freeze: bool = False, binary: bool = False
) -> None:
    """COPY chunks of COPY text (whole lines each) into the model's table, or with `binary`
    chunks of whole rows in COPY's binary format (`field`, `row`). FREEZE (a table emptied in
    this transaction) writes the rows frozen and all-visible, so no vacuum has to rewrite them
    for index-only scans."""
    table = connection.ops.quote_name(model._meta.db_table)
    options = [option for option, on in (("FORMAT binary", binary), ("FREEZE", freeze)) if on]
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    if options:
        sql += f" WITH ({', '.join(options)})"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper takes no writer
        with raw.copy(sql, writer=SendingWriter(raw)) as copy:
            if binary:  # psycopg adds neither to chunks written whole
                copy.write(SIGNATURE)
            for chunk in chunks:
                copy.write(chunk)
            if binary:
                copy.write(TRAILER)


# COPY's binary format (PostgreSQL's COPY page, "Binary Format"): a signature, then rows,
# each its number of fields and the fields, then a trailer. PostgreSQL parses no text: a
# million ready lines into the line table (its primary key kept, ids from its sequence) in
# 2.0 s here, against 2.9 s as text (issue 16: the loader's rate).
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(4) + bytes(4)  # then flags and extension: none
TRAILER = (-1).to_bytes(2, "big", signed=True)
NULL = (-1).to_bytes(4, "big", signed=True)


def field(pg_type: str, value) -> bytes:
    """`value` as one field of a binary COPY row: its length, then the value in PostgreSQL's
    binary form for `pg_type`, made by psycopg's dumper for that type. None is NULL."""
    if value is None:
        return NULL
    data = bytes(_dumper(pg_type, type(value)).dump(value))
    return len(data).to_bytes(4, "big") + data


@cache
def _dumper(pg_type: str, python_type: type):
    return adapters.get_dumper_by_oid(types[pg_type].oid, Format.BINARY)(python_type)


def row(fields: int) -> bytes:
    """A binary COPY row's start: its number of fields; the fields follow."""
    return fields.to_bytes(2, "big")


class SendingWriter(QueuedLibpqWriter):
    """psycopg's threaded COPY writer: a thread sends each chunk while this one makes the
    next, so PostgreSQL parses while Python generates (with the plain writer each waited for
    the other: a chunk is larger than the socket's buffers). Its queue is kept short: it holds
    128 kB pieces, so at most 8 MB wait when PostgreSQL is the slower side (psycopg's 1,024
    would be 128 MB; a psycopg that named its queue otherwise would keep its own, costing that
    much more memory, nothing else)."""

    def __init__(self, cursor):
        super().__init__(cursor)
        self._queue = Queue(maxsize=QUEUED)


class Clock:
    """Times the load's phases; `report(name, seconds, rows)` hears of each as it ends."""

    def __init__(self, report=None):
        self.report = report

    @contextmanager
    def phase(self, name: str, rows: int | None = None):
        began = time.monotonic()
        yield
        if self.report:
            self.report(name, time.monotonic() - began, rows)


def load_settings() -> None:
    """Memory for this transaction's sorts, hashes and index builds (the server's defaults
    are sized for many small queries)."""
    with connection.cursor() as cursor:
        for name, value in LOAD_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


@contextmanager
def bulk_load(models, clock: Clock, label: str, *, keep_indexes=()):
    """Load tables as bulk loaders do: without their secondary indexes and foreign keys, then
    rebuild each index in one pass and validate each foreign key with one join (inside the
    caller's transaction: a failure leaves the tables as they were). Constraint indexes
    (primary and unique keys) stay, and all the indexes of the `keep_indexes` models (a
    table with deferred checks pending can't be indexed). Names and definitions come from
    PostgreSQL's catalog, none from input."""
    quote = connection.ops.quote_name
    dropped = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                "ORDER BY i.relname",
                [table],
            )
            indexes = [] if model in keep_indexes else cursor.fetchall()
            for name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            dropped.append((table, foreign_keys, indexes))
    yield
    with connection.cursor() as cursor:
        with clock.phase(f"{label}: indexes"):
            for _table, _foreign_keys, indexes in dropped:
                for _name, definition in indexes:
                    cursor.execute(definition)
        with clock.phase(f"{label}: foreign keys"):
            for table, foreign_keys, _indexes in dropped:
                for name, definition in foreign_keys:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )


def next_ids(model, n: int) -> int:
    """Reserve `n` ids of the model's sequence; returns the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "COALESCE((SELECT MAX(id) FROM " + connection.ops.quote_name(table) + "), 0) + %s)",
            [table, n],
        )
        last = cursor.fetchone()[0]
    return last - n + 1


def join_members(organization, accounts, departments, *, admin_account, self_pay, joined):
    """Created members of `organization` for `accounts` (a membership and its period each),
    the first in Root (`departments[0]`) and the others round the departments below it
    (`shape.department_of`), named member-00001 …; every `SELF_PAY_EVERY`-th pays for itself
    and grants `self_pay`, the others are paid for by `admin_account` and grant 1, 2 and 7."""
    from organizations.models import Membership, MembershipPeriod

    from .shape import SELF_PAY_EVERY, department_of

    def payer(i):
        return None if (i + 1) % SELF_PAY_EVERY == 0 else admin_account

    Membership.objects.bulk_create(
        [
            Membership(
                organization=organization,
                account=a,
                member_type="created",
                department=departments[department_of(i, len(departments))],
                name=f"member-{i + 1:05d}",
                payer=payer(i),
                permissions=list(self_pay) if payer(i) is None else [1, 2, 7],
                joined_at=joined,
            )
            for i, a in enumerate(accounts)
        ],
        batch_size=2000,
    )
    MembershipPeriod.objects.bulk_create(
        [
            MembershipPeriod(
                account=a,
                organization=organization,
                member_type="created",
                payer=payer(i),
                started_at=joined,
            )
            for i, a in enumerate(accounts)
        ],
        batch_size=2000,
    )
