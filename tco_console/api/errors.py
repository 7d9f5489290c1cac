"""API errors: `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}` (HTTP 200)."""

from __future__ import annotations

from django.utils.translation import gettext as _


class ApiError(Exception):
    """A refusal the client sees with TCO's code and a message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def missing(name: str) -> ApiError:
    return ApiError(
        "MissingParameter",
        _("The request is missing the required parameter `%(name)s`.") % {"name": name},
    )


def invalid(name: str, why: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        _("The value of `%(name)s` is invalid: %(why)s") % {"name": name, "why": why},
    )
