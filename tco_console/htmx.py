"""htmx glue: partial detection, modal responses, and toasts for htmx requests."""

import json

from django.contrib import messages
from django.http import HttpResponse


def is_partial(request) -> bool:
    """Render only the partial for htmx requests, but not for boosted page loads or history
    restores (those need the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def modal_success(*events: str) -> HttpResponse:
    """204 for a modal form that succeeded: close the modal, tell tables to refresh."""
    response = HttpResponse(status=204)
    response["HX-Trigger"] = json.dumps({"closeModal": True, **{e: True for e in events}})
    return response


class HtmxMessagesMiddleware:
    """Moves Django messages into an HX-Trigger `toasts` event on htmx responses, so toasts
    appear whether a result came back as a full page or as a swap."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or 300 <= response.status_code < 400:
            return response
        if "HX-Redirect" in response or "HX-Location" in response:
            return response
        storage = messages.get_messages(request)
        toasts = [{"level": m.level_tag, "text": str(m.message)} for m in storage]
        if not toasts:
            return response
        trigger = json.loads(response.get("HX-Trigger") or "{}")
        trigger["toasts"] = toasts
        response["HX-Trigger"] = json.dumps(trigger)
        return response
