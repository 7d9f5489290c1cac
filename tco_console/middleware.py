"""Project-wide response middleware: the Permissions-Policy header, and a 503 page when the
database cannot be reached."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("tco_console.outage")

# How long a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 30


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY ({feature: [allowlist]}) as `Permissions-Policy`;
    an empty allowlist, `feature=()`, turns the feature off for every origin."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(
            f"{feature}=({' '.join(allow)})" for feature, allow in policy.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached (a PostgreSQL restart, a failover, a full pool) is
    an outage, not a bug: answer 503 with `Retry-After` and a short console page, which needs
    no database (no context processors, no user, no session), instead of a bare 500.

    Only connection-level errors count (OperationalError, InterfaceError); IntegrityError and
    the like are bugs or races and keep their 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response()


def database_unavailable_response() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
