"""Query planning for the console's largest lists (issue 16).

PostgreSQL searches the orders in which a query's joins could run before running it. For a
page of a ledger's entries or of bill lines (a table of millions of rows, joined to five or
six others only to name what each row shows) that search took 8.4 and 5.8 ms of a query that
then ran in 0.6: the order Django writes (the listed table first, then each row's relations)
is the plan PostgreSQL chose anyway. `joins_as_written` has the joins planned in that order,
for the queries run inside it, and only for those.

Not for a list filtered through a join (a member's UIN, a department): there the best plan may
start from the joined table, and planned as written one such page took 18 s instead of 0.4 ms.
`plain_list` tells the two apart."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction


def plain_list(queryset) -> bool:
    """The queryset's rows are chosen by its own table's columns alone: no filter reads a
    joined table (its joins only fetch what each row shows, `select_related`'s)."""
    query = getattr(queryset, "query", None)
    return query is not None and set(_aliases(query.where)) <= {query.base_table}


def _aliases(node):
    """The table aliases an expression (a WHERE clause) reads columns of, subqueries aside."""
    for child in getattr(node, "children", ()):
        yield from _aliases(child)
    if hasattr(node, "get_source_expressions"):
        for expression in node.get_source_expressions():
            if expression is not None:
                yield from _aliases(expression)
    alias = getattr(node, "alias", None)
    if isinstance(alias, str):
        yield alias


def queries_added() -> int:
    """The statements `joins_as_written` adds around its block, as Django logs them: the
    transaction's (or savepoint's) start and end and the setting's two; none but on PostgreSQL."""
    return 4 if connection.vendor == "postgresql" else 0


@contextmanager
def joins_as_written():
    """Run the block's queries with PostgreSQL's `join_collapse_limit` at 1: explicit joins
    are planned in the order written; PostgreSQL still picks each join's method and inner
    side, and plans subqueries as before. The setting is `SET LOCAL` in a transaction (a
    savepoint inside another): it ends with the block, or is rolled back with a block that
    fails; it is put back at the end too, as an enclosing transaction would otherwise keep it.
    Elsewhere than on PostgreSQL, nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL join_collapse_limit = 1")
        yield
        cursor.execute("SET LOCAL join_collapse_limit TO DEFAULT")
