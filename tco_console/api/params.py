"""Request parameters, validated the way TCO validates them: a required one missing is
`MissingParameter`, a wrong type `InvalidParameter`, a value out of range
`InvalidParameterValue`, a name the action does not take `UnknownParameter`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ApiError, invalid, missing

UINT64_MAX = 2**64 - 1


def api_time(value) -> str:
    """TCO's time strings: `YYYY-MM-DD HH:MM:SS` in console time (UTC+8); "" for none."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class Params:
    """The JSON body of one request; each `take_*` reads one declared parameter."""

    def __init__(self, data: Any):
        if not isinstance(data, dict):
            raise ApiError("InvalidParameter", _("The request body must be a JSON object."))
        self.data = data
        self.seen: set[str] = set()

    def _get(self, name: str, required: bool):
        self.seen.add(name)
        value = self.data.get(name)
        if value is None and required:
            raise missing(name)
        return value

    def int(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        min: int = 0,
        max: int = UINT64_MAX,
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError("InvalidParameter", _("`%(name)s` must be an integer.") % {"name": name})
        if not min <= value <= max:
            raise invalid(
                name, _("it must be between %(min)s and %(max)s.") % {"min": min, "max": max}
            )
        return value

    def int_list(self, name: str, *, required: bool = False, max_items: int = 100) -> list[int]:
        value = self._get(name, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= UINT64_MAX for v in value
        ):
            raise ApiError(
                "InvalidParameter", _("`%(name)s` must be a list of integers.") % {"name": name}
            )
        if required and not value:
            raise missing(name)
        if len(value) > max_items:
            raise invalid(name, _("at most %(n)s items.") % {"n": max_items})
        return value

    def str(
        self, name: str, *, required: bool = False, default: str | None = None, max_length=None
    ) -> str | None:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ApiError("InvalidParameter", _("`%(name)s` must be a string.") % {"name": name})
        if max_length is not None and len(value) > max_length:
            raise invalid(name, _("it is longer than %(n)s characters.") % {"n": max_length})
        return value

    def choice(self, name: str, choices: tuple[str, ...], *, default: str | None = None):
        value = self.str(name, default=default)
        if value is not None and value not in choices:
            raise invalid(
                name, _("it must be one of %(choices)s.") % {"choices": ", ".join(choices)}
            )
        return value

    def tags(self, name: str = "Tags", *, max_items: int = 10) -> list[tuple[str, str | None]]:
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            raise ApiError(
                "InvalidParameter", _("`%(name)s` must be a list of tags.") % {"name": name}
            )
        if len(value) > max_items:
            raise invalid(name, _("at most %(n)s tags.") % {"n": max_items})
        tags = []
        for tag in value:
            key, val = tag.get("TagKey"), tag.get("TagValue")
            if (
                not isinstance(key, str)
                or not key
                or (val is not None and not isinstance(val, str))
            ):
                raise ApiError(
                    "InvalidParameter",
                    _("Each of `%(name)s` needs a TagKey string.") % {"name": name},
                )
            tags.append((key, val))
        return tags

    def page(self, *, max_limit: int = 50, default_limit: int = 10) -> tuple[int, int]:
        """Offset/Limit: Limit 1–max, Offset a multiple of Limit (TCO's rule)."""
        limit = self.int("Limit", default=default_limit, min=1, max=max_limit)
        offset = self.int("Offset", default=0)
        if offset % limit:
            raise invalid("Offset", _("it must be a multiple of Limit."))
        return offset, limit

    def done(self) -> None:
        """After every declared parameter was read: any other name is unknown."""
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise ApiError(
                "UnknownParameter",
                _("The parameter `%(name)s` is not recognized.") % {"name": unknown[0]},
            )
