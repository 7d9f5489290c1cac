"""tccli and the SDK pointed at `--endpoint http://host:port` send (and sign) the Host header
`http://host:port` verbatim (tco-api.md §2.4). Django would refuse that Host before any view
runs (DisallowedHost, 400), so for API requests only this first middleware keeps the signed
value for the signature check and hands Django the bare `host:port`, which ALLOWED_HOSTS
then checks as for any request. With it, `tccli` reaches a plain-http console."""

from urllib.parse import urlsplit

SIGNED_HOST = "TCO_SIGNED_HOST"


class ApiHostMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        host = meta.get("HTTP_HOST", "")
        if "HTTP_X_TC_ACTION" in meta and "://" in host:
            meta[SIGNED_HOST] = host
            meta["HTTP_HOST"] = urlsplit(host).netloc
        return self.get_response(request)
