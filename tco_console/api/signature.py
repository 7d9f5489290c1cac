"""TC3-HMAC-SHA256 verification (../shared/reference/tco-api.md §2.2), server side.

The client signs `POST / <headers content-type;host> sha256(body)` with a key derived from its
SecretKey, the UTC date of X-TC-Timestamp and the service; we recompute it from the stored
SecretKey and compare in constant time. Timestamps more than 300 s from now are refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .errors import ApiError

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "organization"
WINDOW_SECONDS = 300


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def _malformed(detail: str) -> ApiError:
    return ApiError(
        "AuthFailure.InvalidAuthorization",
        _("The Authorization header is not in the TC3-HMAC-SHA256 format (%(detail)s).")
        % {"detail": detail},
    )


def parse(header: str) -> Authorization:
    """`TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=…,
    Signature=…`, or AuthFailure.InvalidAuthorization."""
    if not header:
        raise ApiError("AuthFailure.SignatureFailure", _("The request is not signed."))
    algorithm, _sep, rest = header.partition(" ")
    if algorithm != ALGORITHM:
        raise _malformed(_("unknown algorithm"))
    try:
        fields = dict(part.strip().split("=", 1) for part in rest.split(","))
        secret_id, date, service, terminator = fields["Credential"].split("/")
        signed = tuple(fields["SignedHeaders"].split(";"))
        signature = fields["Signature"]
    except (KeyError, ValueError):
        raise _malformed(_("missing or malformed fields")) from None
    if terminator != "tc3_request" or "content-type" not in signed or "host" not in signed:
        raise _malformed(_("credential scope or signed headers"))
    if service != SERVICE:
        raise _malformed(
            _("the service is %(given)r, not %(expected)r")
            % {"given": service, "expected": SERVICE}
        )
    if not secret_id or len(secret_id) > 40 or len(signature) != 64:
        raise _malformed(_("credential or signature length"))
    return Authorization(secret_id, date, service, signed, signature)


def check_timestamp(value: str, *, now: float | None = None) -> int:
    try:
        timestamp = int(value)
    except (TypeError, ValueError):
        raise ApiError(
            "AuthFailure.SignatureExpire", _("X-TC-Timestamp is missing or not a number.")
        ) from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > WINDOW_SECONDS:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            _("The request timestamp differs from the server time by more than 5 minutes."),
        )
    return timestamp


def signature_of(
    *,
    secret_key: str,
    method: str,
    query: str,
    headers: dict[str, str],
    signed_headers: tuple[str, ...],
    body: bytes,
    timestamp: str,
    date: str,
    service: str = SERVICE,
) -> str:
    """The hex signature a client holding `secret_key` computes for this request."""
    canonical_headers = "".join(f"{h}:{headers.get(h, '')}\n" for h in signed_headers)
    payload = b"" if method == "GET" else body
    canonical_request = "\n".join(
        [
            method,
            "/",
            query if method == "GET" else "",
            canonical_headers,
            ";".join(signed_headers),
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            timestamp,
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k_signing = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify(auth: Authorization, *, secret_key: str, **request) -> None:
    expected = signature_of(
        secret_key=secret_key, signed_headers=auth.signed_headers, date=auth.date, **request
    )
    if not hmac.compare_digest(expected, auth.signature):
        raise ApiError(
            "AuthFailure.SignatureFailure",
            _("The signature does not match: check the SecretKey and what was signed."),
        )
