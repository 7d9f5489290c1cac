"""Project-wide middleware: the Permissions-Policy header, the signed-in user's language, and a
503 page when the database cannot be reached."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

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


class UserLanguageMiddleware:
    """Issue 17: a signed-in user's chosen language (`User.language`, set by the header's
    switcher) wins over the cookie and the browser's Accept-Language that LocaleMiddleware
    read; so the choice holds at the next sign-in, from any browser. The response then
    carries the language cookie too, so the sign-in page after signing out stays in it.
    Anonymous visitors keep LocaleMiddleware's choice (cookie, then Accept-Language).
    Placed after AuthenticationMiddleware (it reads request.user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self.chosen_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            set_language_cookie(response, language)
        return response

    @staticmethod
    def chosen_language(request) -> str:
        """The user's saved language, or "". Reading it loads the session and the user: with
        the database down that fails here, outside the view, where DatabaseUnavailableMiddleware
        cannot answer 503; so the language is left to LocaleMiddleware and the view meets the
        outage itself."""
        user = getattr(request, "user", None)
        try:
            return getattr(user, "language", "") if user and user.is_authenticated else ""
        except (OperationalError, InterfaceError):
            return ""


def set_language_cookie(response, language: str) -> None:
    """The language cookie as Django's own set_language view writes it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


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
