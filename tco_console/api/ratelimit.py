"""RequestLimitExceeded (issue 15): TCO's published rate, 20 requests a second per action and
key (40 for DescribeOrganization), counted in the database so every web process shares it.

One statement per request: an upsert of the (key, action, second) row that returns the new
count. The SQL is constant; the values are bound parameters."""

from __future__ import annotations

import time

from django.db import connection
from django.utils.translation import gettext as _

from organizations.models import ApiRateWindow

from .errors import ApiError

LIMITS = {"DescribeOrganization": 40}
DEFAULT_LIMIT = 20

TABLE = ApiRateWindow._meta.db_table
_UPSERT = (
    f"INSERT INTO {TABLE} (secret_id, action, second, count) VALUES (%s, %s, %s, 1) "
    f"ON CONFLICT (secret_id, action, second) DO UPDATE SET count = {TABLE}.count + 1 "
    "RETURNING count"
)


def limit_of(action: str) -> int:
    return LIMITS.get(action, DEFAULT_LIMIT)


def count(secret_id: str, action: str, *, now: float | None = None) -> None:
    """Count this request; RequestLimitExceeded past the action's rate in this second."""
    second = int(time.time() if now is None else now)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [secret_id, action[:64], second])
        (n,) = cursor.fetchone()
    if n > limit_of(action):
        raise ApiError(
            "RequestLimitExceeded",
            _("Too many requests: %(action)s allows %(limit)s a second per key.")
            % {"action": action, "limit": limit_of(action)},
        )
