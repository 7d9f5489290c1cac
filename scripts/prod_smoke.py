#!/usr/bin/env python3
"""Smoke test of a running production start (README "Production-like start"), as CI runs it.

    scripts/prod_smoke.py http://127.0.0.1:8765

Speaks plain HTTP to gunicorn the way a TLS-terminating proxy does: every request carries
`X-Forwarded-Proto: https`. Checks that a request without it is redirected to https, that the
security headers are there (HSTS, CSP, Permissions-Policy), that hashed static files are served,
then signs in as each demo role through the login form (CSRF token from the form, cookies
kept by hand: they are Secure, which a cookie jar would not send back over http) and fetches
one page per role. Exits 1 with a message on the first failure. Standard library only.
"""

from __future__ import annotations

import http.client
import re
import sys
import time
from html import unescape
from urllib.parse import urlencode, urlsplit

PASSWORD = "tco-demo-2026"
# login -> (page, a string that page must show)
ROLES = {
    "admin": ("/members/", "Member account management"),
    "orgmanager": ("/invitations/", "Invitations"),
    "member": ("/pay-on-behalf/orders/", "Pay-on-behalf order management"),
    "member-dev": ("/products/", "Cloud Virtual Machine"),
    "selfpay": ("/billing/", "Billing Center"),
    "outsider": ("/invitations/", "Acme Group"),
    "operator": ("/admin/", "TCO Console · operators"),
}


class Failure(Exception):
    pass


class Session:
    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.origin = f"https://{parts.netloc}"  # what the browser sees behind the proxy
        self.cookies: dict[str, str] = {}

    def request(self, method, path, *, body=None, https=True, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = self.origin
            sent["Referer"] = self.origin + path
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if https and "secure" not in header.lower():
                raise Failure(f"cookie {name} is not Secure: {header}")
            self.cookies[name.strip()] = value
        conn.close()
        return response.status, response.headers, text


def expect(condition, message):
    if not condition:
        raise Failure(message)


def check_transport(base: str) -> None:
    s = Session(base)
    status, headers, _ = s.request("GET", "/accounts/login/", https=False)
    expect(status == 301, f"plain http was not redirected to https (status {status})")
    expect(
        headers.get("Location", "").startswith("https://"),
        f"redirect goes to {headers.get('Location')!r}, not https",
    )
    status, headers, html = s.request("GET", "/accounts/login/")
    expect(status == 200, f"login page answered {status}")
    expect("max-age=" in headers.get("Strict-Transport-Security", ""), "no HSTS header")
    csp = headers.get("Content-Security-Policy", "")
    expect("script-src 'self'" in csp and "unsafe" not in csp, f"CSP missing or weak: {csp!r}")
    expect("camera=()" in headers.get("Permissions-Policy", ""), "no Permissions-Policy")
    css = re.search(r'href="(/static/css/console\.[0-9a-f]{12}\.css)"', html)
    expect(css, "console.css is not served under its hashed (manifest) name")
    status, _, _ = s.request("GET", css.group(1))
    expect(status == 200, f"{css.group(1)} answered {status}")
    print("ok   https redirect, HSTS, CSP, Permissions-Policy, hashed static files")


def check_role(base: str, login: str, page: str, needle: str) -> None:
    s = Session(base)
    status, _, html = s.request("GET", "/accounts/login/")
    expect(status == 200, f"{login}: login page answered {status}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    expect(token, f"{login}: no CSRF token in the login form")
    body = urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": login, "password": PASSWORD}
    )
    status, _, html = s.request("POST", "/accounts/login/", body=body)
    expect(
        status == 302,
        f"{login}: sign-in answered {status}, not a redirect: {html[:300]!r}",
    )
    expect("sessionid" in s.cookies, f"{login}: no session cookie after sign-in")
    status, _, html = s.request("GET", page)
    expect(status == 200, f"{login}: {page} answered {status}")
    expect(needle in unescape(html), f"{login}: {page} does not show {needle!r}")
    print(f"ok   {login:<11} {page:<24} shows {needle!r}")


def wait_until_up(base: str, seconds: int = 60) -> None:
    s = Session(base)
    for _ in range(seconds * 2):
        try:
            s.request("GET", "/static/favicon.svg")
            return
        except OSError:
            time.sleep(0.5)
    raise Failure(f"nothing answers at {base} after {seconds} s")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = argv[1].rstrip("/")
    try:
        wait_until_up(base)
        check_transport(base)
        for login, (page, needle) in ROLES.items():
            check_role(base, login, page, needle)
    except Failure as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    print("production smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
