"""Path converters for the console's object URLs: a path segment that cannot be an object's
key is a 404 before any query runs (issue 11, point 5). `str` would let a NUL byte reach
PostgreSQL (which rejects it: a 500), and `int` a 30-digit number overflow a bigint.

Shapes: a UIN is 12 digits (SPEC §1); an order number is the placing time and six random
digits (`billing/services/orders.py: _order_no`, 20 digits); an instance ID is a short
product prefix, a hyphen and eight lowercase letters or digits (`_instance_id`); a primary
key is a positive 64-bit integer.
"""

import re

from django.urls import register_converter

MAX_PK = 2**63 - 1


class UinConverter:
    regex = "[0-9]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class OrderNoConverter(UinConverter):
    regex = "[0-9]{20}"


class InstanceIdConverter(UinConverter):
    regex = "[a-z]{2,8}-[a-z0-9]{8}"


class PkConverter:
    """A primary key: 1 … 2**63 - 1. A larger number is no key (ValueError → 404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_PK:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(UinConverter, "uin")
register_converter(OrderNoConverter, "order_no")
register_converter(InstanceIdConverter, "instance_id")
register_converter(PkConverter, "pk")


def parse_pk(value) -> int | None:
    """A primary key from a query parameter (`?department=`), or None for anything else."""
    try:
        return PkConverter().to_python(str(value)) if str(value).isdigit() else None
    except ValueError:
        return None


def well_formed(converter: type, value: str) -> bool:
    """`value` has the shape of the converter's path segment (a UIN, an order number…)."""
    return isinstance(value, str) and re.fullmatch(converter.regex, value) is not None
