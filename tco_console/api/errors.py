"""API errors: `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}` (HTTP 200)."""

from __future__ import annotations


class ApiError(Exception):
    """A refusal the client sees with TCO's code and a message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter", f"The request is missing the required parameter `{name}`.")


def invalid(name: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"The value of `{name}` is invalid: {why}")
