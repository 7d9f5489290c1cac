"""Issue 11 points 1 and 3: the documented production start works (collectstatic writes its
manifest, pages render with it) and is secure by default behind a TLS proxy (HTTPS redirect,
HSTS, Secure cookies, CSP, Permissions-Policy, `check --deploy` clean). CI also runs the real
start through gunicorn: scripts/prod_smoke.sh."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
PROD_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-for-tests-0123456789",
}


def production_python(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with the production settings (DEBUG=0) and `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "TRUSTED_PROXY", "SIGNIN_"))
        and k
        not in {
            "DJANGO_SETTINGS_MODULE",
            "TCO_INSECURE_DEV_KEY",
            "TCO_PLAIN_STATIC",
            "CONN_MAX_AGE",
        }
    }
    clean.update(DJANGO_SETTINGS_MODULE="tco_console.settings", **PROD_ENV, **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def production_settings(**env) -> dict:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k)"
        " for k in ['SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        " 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER',"
        " 'TRUSTED_PROXY_COUNT', 'SECURE_CSP']}))"
    )
    result = production_python(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# ------------------------------------------------------------------------- point 1: static files


@pytest.mark.django_db
def test_prod_collectstatic_writes_the_manifest_and_pages_render_with_it(client, tmp_path):
    """Every vendored file's references resolve (bootstrap's bundle named a source map that
    is not vendored), so the manifest is written and a page finds its hashed names."""
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
        manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
        assert "vendor/bootstrap-5.3.9/bootstrap.bundle.min.js" in manifest
        assert "django_htmx/htmx-2.min.js" in manifest
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'/static/css/console\.[0-9a-f]{12}\.css"', html)
    assert re.search(
        r"/static/vendor/bootstrap-5\.3\.9/bootstrap\.bundle\.min\.[0-9a-f]{12}\.js", html
    )


def test_prod_vendored_files_reference_only_files_that_are_vendored():
    """A source map, font or image named inside a vendored file must be there too."""
    for path in (ROOT / "static" / "vendor").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        text = path.read_text(encoding="utf-8")
        for ref in re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", text):
            assert (path.parent / ref).exists(), f"{path.name} names missing {ref}"
        for ref in re.findall(r"url\([\"']?(?!data:)([^\"')?#]+)", text):
            assert (path.parent / ref).exists(), f"{path.name} names missing {ref}"


def test_prod_readme_start_is_what_ci_runs():
    """README's production commands and scripts/prod_smoke.sh's are the same lines."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production-like start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    documented = {line.split("  #", 1)[0].strip() for line in block.splitlines()}
    script = (ROOT / "scripts" / "prod_smoke.sh").read_text()
    ran = [
        line.removesuffix("&").strip()
        for line in script.splitlines()
        if line.startswith((".venv/bin/python manage.py", ".venv/bin/gunicorn"))
    ]
    assert [line.split()[2] if "manage.py" in line else "gunicorn" for line in ran] == [
        "compilemessages",  # issue 17: the Chinese catalog
        "migrate",
        "load_catalog",
        "collectstatic",
        "gunicorn",
        "worker",
    ]
    for line in ran:
        assert line in documented, f"CI runs {line!r}, README does not say so"
    assert "DEBUG=0" in block and "DEBUG=0" in script


# ---------------------------------------------------------------------------- point 3: HTTPS


def test_prod_web_threads_keep_their_database_connection():
    """Issue 16: a new PostgreSQL connection per request cost about as much CPU as a light page;
    with DEBUG off a connection is kept (checked before reuse, so a restarted server is only a
    reconnect), and CONN_MAX_AGE=0 still opens one per request."""
    code = (
        "import json; from django.db import connection as c; print(json.dumps("
        "[c.settings_dict['CONN_MAX_AGE'], c.settings_dict['CONN_HEALTH_CHECKS']]))"
    )
    kept = production_python(code)
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout) == [60, True]
    per_request = production_python(code, CONN_MAX_AGE="0")
    assert json.loads(per_request.stdout) == [0, True]


def test_prod_settings_are_secure_by_default_behind_a_tls_proxy():
    s = production_settings()
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] == 31_536_000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["TRUSTED_PROXY_COUNT"] == 1
    assert s["SECURE_CSP"]["script-src"] == ["'self'"]


def test_prod_each_https_setting_can_be_turned_off_for_plain_http():
    s = production_settings(
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SECURE_COOKIES="0",
        SECURE_PROXY_SSL_HEADER="",
    )
    assert s["SECURE_SSL_REDIRECT"] is False and s["SECURE_HSTS_SECONDS"] == 0
    assert s["SESSION_COOKIE_SECURE"] is False and s["CSRF_COOKIE_SECURE"] is False
    assert s["SECURE_PROXY_SSL_HEADER"] is None and s["TRUSTED_PROXY_COUNT"] == 0


def test_prod_check_deploy_is_clean():
    result = production_python(
        "import sys; from django.core.management import execute_from_command_line;"
        " execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


PROXY_TLS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@pytest.mark.django_db
@override_settings(**PROXY_TLS)
def test_prod_plain_http_is_redirected_and_https_gets_hsts_and_secure_cookies(
    client, admin, password
):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    response = client.get("/accounts/login/", **https)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["csrftoken"]["secure"] is True
    token = response.cookies["csrftoken"].value
    client.cookies["csrftoken"] = token
    response = client.post(
        "/accounts/login/",
        {"username": admin.username, "password": password, "csrfmiddlewaretoken": token},
        HTTP_REFERER="https://testserver/accounts/login/",
        **https,
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True


@pytest.mark.django_db
def test_prod_pages_send_a_strict_csp_and_permissions_policy(client, admin):
    client.force_login(admin)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy
    # htmx: no eval (hx-on), no injected indicator <style>
    html = response.content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1)
    assert json.loads(config)["allowEval"] is False
    assert json.loads(config)["includeIndicatorStyles"] is False
    assert "style" not in json.loads(config)["attributesToSettle"]


INLINE = [
    (re.compile(r"\sstyle=[\"']"), "a style attribute (CSP style-src 'self')"),
    (re.compile(r"\son[a-z]+=[\"']", re.I), "an inline event handler"),
    (re.compile(r"\shx-on[:-]"), "hx-on (htmx evaluates it: CSP without 'unsafe-eval')"),
    (re.compile(r"javascript:"), "a javascript: URL"),
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
        "an inline script",
    ),
]


def test_prod_no_template_needs_inline_script_or_style():
    """What the CSP would block, caught before a browser meets it: templates and the HTML
    that Python code writes (tables, format_html)."""
    files = [*(ROOT / "templates").rglob("*.html")]
    for app in ("organizations", "billing", "tco_console"):
        files += [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
        files += [*(ROOT / app).rglob("*.html")]
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)
