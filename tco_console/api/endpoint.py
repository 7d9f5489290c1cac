"""The API endpoint (issue 15): `POST /` with `X-TC-Action`, as the SDK sends it.

Every answer is HTTP 200 with `Content-Type: application/json` exactly (the SDK ignores the
error envelope under any other type, tco-api.md §2.3) and a fresh RequestId. Authentication
is the TC3 signature of one of the user's enabled API keys; the request then acts as that
user: `ConsoleContext.for_user`, the same scoping and role checks as the console."""

from __future__ import annotations

import json
import logging
import uuid

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from organizations.audit import via_api
from organizations.models import ApiKey
from organizations.scoping import ConsoleContext
from organizations.selectors import api_key_by_secret_id
from organizations.services.api_keys import api_key_record_use
from tco_console.errors import DomainError
from tco_console.secrets import InvalidToken

from . import actions_2018, actions_2021, finance_2021, policies_2021, ratelimit, signature
from .errors import ApiError
from .middleware import SIGNED_HOST
from .params import Params

log = logging.getLogger(__name__)
VERSIONS = {
    "2021-03-31": {**actions_2021.ACTIONS, **finance_2021.ACTIONS, **policies_2021.ACTIONS},
    "2018-12-25": actions_2018.ACTIONS,
}
MAX_BODY = 1024 * 1024  # 1 MiB: RequestSizeLimitExceeded above
# Issue 17: `X-TC-Language` (the SDK's ClientProfile(language=...)) chooses the language of
# error messages; en-US is the default whatever the browser-ish Accept-Language says.
API_LANGUAGES = {"zh-cn": "zh-hans", "en-us": "en"}


def is_api_request(request) -> bool:
    return "HTTP_X_TC_ACTION" in request.META


def _respond(payload: dict, request_id: str) -> HttpResponse:
    body = json.dumps({"Response": {**payload, "RequestId": request_id}}, ensure_ascii=False)
    response = HttpResponse(body.encode(), status=200)
    response["Content-Type"] = "application/json"  # exactly: the SDK checks it verbatim
    return response


def _error(error: ApiError, request_id: str) -> HttpResponse:
    return _respond({"Error": {"Code": error.code, "Message": error.message}}, request_id)


def _authenticate(request, body: bytes) -> ApiKey:
    auth = signature.parse(request.META.get("HTTP_AUTHORIZATION", ""))
    timestamp = request.META.get("HTTP_X_TC_TIMESTAMP", "")
    signature.check_timestamp(timestamp)
    try:
        found = api_key_by_secret_id(auth.secret_id)
    except InvalidToken:
        log.error("API key %s cannot be decrypted with the configured keys", auth.secret_id)
        found = None
    if found is None or not found[0].enabled or not found[0].user.is_active:
        raise ApiError(
            "AuthFailure.SecretIdNotFound", _("The SecretId does not exist or is disabled.")
        )
    key, secret_key = found
    headers = {
        "content-type": request.META.get("CONTENT_TYPE", ""),
        "host": request.META.get(SIGNED_HOST) or request.META.get("HTTP_HOST", ""),
    }
    for name in auth.signed_headers:
        if name not in headers:
            headers[name] = request.META.get("HTTP_" + name.upper().replace("-", "_"), "")
    signature.verify(
        auth,
        secret_key=secret_key,
        method=request.method,
        query=request.META.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        timestamp=timestamp,
    )
    return key


def api_language(request) -> str:
    """The console language for `X-TC-Language` (zh-CN or en-US; anything else: English)."""
    return API_LANGUAGES.get(request.META.get("HTTP_X_TC_LANGUAGE", "").strip().lower(), "en")


def api_endpoint(request) -> HttpResponse:
    with translation.override(api_language(request)):
        return _answer(request)


def _answer(request) -> HttpResponse:
    request_id = str(uuid.uuid4())
    try:
        if request.method != "POST":
            raise ApiError("UnsupportedProtocol", _("Send API requests with POST."))
        body = request.body
        if len(body) > MAX_BODY:
            raise ApiError("RequestSizeLimitExceeded", _("The request body is larger than 1 MiB."))
        key = _authenticate(request, body)
        version = request.META.get("HTTP_X_TC_VERSION", "")
        actions = VERSIONS.get(version)
        if actions is None:
            raise ApiError(
                "NoSuchVersion",
                _("The API version %(version)r does not exist.") % {"version": version},
            )
        name = request.META.get("HTTP_X_TC_ACTION", "")
        action = actions.get(name)
        if action is None:
            raise ApiError("InvalidAction", _("The action does not exist or is not supported."))
        ratelimit.count(key.secret_id, name)
        if request.META.get("CONTENT_TYPE", "").split(";")[0].strip() != "application/json":
            raise ApiError("InvalidParameter", _("Send the parameters as a JSON body."))
        try:
            data = json.loads(body or b"{}")
        except (UnicodeDecodeError, ValueError):
            raise ApiError("InvalidParameter", _("The request body is not valid JSON.")) from None
        ctx = ConsoleContext.for_user(key.user)
        with via_api(key.secret_id):  # audit records name the key (issue 15)
            result = action(ctx, Params(data))
        api_key_record_use(key=key, action=name)  # K5
        return _respond(result, request_id)
    except ApiError as error:
        return _error(error, request_id)
    except DomainError as error:  # the console's services refuse with TCO's codes
        return _error(ApiError(error.code or "FailedOperation", str(error.message)), request_id)
    except Exception:
        log.exception("API request %s failed", request_id)
        return _error(ApiError("InternalError", _("An internal error occurred.")), request_id)
