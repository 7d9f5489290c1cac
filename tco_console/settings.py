"""Settings for TCO Console, read from the environment (12-factor).

DATABASE_URL  unset -> embedded SQLite (db.sqlite3) for the demo; postgres://... otherwise.
SECRET_KEY    required when DEBUG is off.
DEBUG         "1"/"true" turns debug on (default on only for the local demo).
ALLOWED_HOSTS comma-separated.

With DEBUG off the console is secure by default behind a TLS-terminating proxy: HTTPS redirect,
HSTS, Secure cookies, the proxy's X-Forwarded-Proto/-For trusted. README's "Production-like
start" documents every variable (SECURE_SSL_REDIRECT, SECURE_HSTS_*, SECURE_COOKIES,
SECURE_PROXY_SSL_HEADER, TRUSTED_PROXY_COUNT, SIGNIN_FAILURE_LIMIT, SIGNIN_LOCKOUT_MINUTES).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG and not env_bool("TCO_INSECURE_DEV_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
# API SecretKeys are encrypted at rest (tco_console/secrets.py): a Fernet key, or derived from
# SECRET_KEY when unset; old keys (comma-separated) still decrypt while rotating.
SECRETS_ENCRYPTION_KEY = os.environ.get("SECRETS_ENCRYPTION_KEY", "")
SECRETS_ENCRYPTION_OLD_KEYS = os.environ.get("SECRETS_ENCRYPTION_OLD_KEYS", "")

ALLOWED_HOSTS = [
    h.strip()
    for h in (os.environ.get("ALLOWED_HOSTS") or "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "django_tasks_db",
    "organizations",
    "billing",
    # The console shell (issue 12, Step C): project-wide commands (tick, seed_demo, worker).
    "tco_console",
]

MIDDLEWARE = [
    # First: an API request's Host of the form http://host:port (tccli --endpoint http://…)
    "tco_console.api.middleware.ApiHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tco_console.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Issue 17: the signed-in user's chosen language over LocaleMiddleware's guess.
    "tco_console.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tco_console.htmx.HtmxMessagesMiddleware",
    "organizations.scoping.ConsoleContextMiddleware",
    # Sign-in throttling: turns a locked-out attempt into the login page with its message.
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception sees a view's database error first: 503, not 500.
    "tco_console.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "tco_console.urls"
WSGI_APPLICATION = "tco_console.wsgi.application"
ASGI_APPLICATION = "tco_console.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tco_console.navigation.console_context",
            ],
            "libraries": {"console_tables": "tco_console.templatetags.console_tables"},
        },
    }
]

# Django has no DATABASE_URL parser: dj-database-url. An empty variable means "unset".
# With DEBUG off a web thread keeps its PostgreSQL connection (CONN_MAX_AGE seconds, checked
# before each request reuses it): a new connection costs a PostgreSQL process and cold caches,
# about as much CPU again as a light page (issue 16, measured with `manage.py bench_load`).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent web + worker processes on one SQLite file: wait for locks, take them up front.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# ATOMIC_REQUESTS stays off: services are durable transactions of their own (STYLE.md).

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before the password is even checked (axes).
    "organizations.signin.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Per-process caches. "costs": F6 cost analyses at 10 million lines, keyed by the payers'
# cost versions (billing/finance/costs.py), so an entry is never stale, only unused.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "costs": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "costs",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
    # F6 charts drawn as HTML, keyed by what they are drawn from (billing/views/costs.py);
    # up to ~100 kB each, so fewer of them
    "charts": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "charts",
        "OPTIONS": {"MAX_ENTRIES": 64},
    },
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Issue 17: the same ISO-like dates (2026-12-04 15:04) and 1,234.50 numbers in both languages,
# as Tencent Cloud's Chinese console shows them (tco_console/formats/; docs/glossary-zh.md).
FORMAT_MODULE_PATH = ["tco_console.formats"]
# The language cookie is not read by scripts either; Secure like the session cookie (below).
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "Asia/Shanghai"  # Tencent consoles display UTC+8
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes and whitenoise serves from; another folder for a second start
# side by side (billing/bench_load.py collects into a temporary one).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("TCO_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND") or "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# A task RUNNING longer than this (seconds) is taken for one whose worker died: `tick` marks it
# FAILED and enqueues its periodic task again (tco_console/periodic.py). Above the longest run.
TASKS_STALE_AFTER_SECONDS = int(os.environ.get("TASKS_STALE_AFTER_SECONDS", "900"))

DJANGO_TABLES2_TEMPLATE = "inc/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle mb-0"}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = (
    False  # htmx reads nothing from the cookie; the token is in <body hx-headers>
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# HTTPS. With DEBUG off the console is secure by default behind a TLS-terminating proxy that
# sets X-Forwarded-Proto (and X-Forwarded-For); each piece can be turned off for a plain-HTTP
# setup (README: Production-like start). `make run` (DEBUG=1) serves plain http on 127.0.0.1.
_proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "" if DEBUG else "X-Forwarded-Proto")
# Trusting the header is only right when the proxy overwrites it on every request it forwards.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_header.strip().upper().replace("-", "_"), "https")
    if _proxy_header.strip()
    else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a one-way commitment for a whole registrable domain (and the preload list
    # only takes apex domains, where a console rarely lives): an operator's choice, off by
    # default, so its reminder (W021) is silenced rather than the commitment made for them.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env_bool(
    "SECURE_COOKIES", not DEBUG
)
# The client's address, for sign-in throttling (organizations.signin.client_ip): the address
# the outermost of N trusted proxies saw (X-Forwarded-For counted from the right); 0 means
# REMOTE_ADDR. One proxy by default whenever its X-Forwarded-Proto is trusted.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if SECURE_PROXY_SSL_HEADER else 0)

# Content-Security-Policy: the console's pages load only their own scripts, styles, fonts and
# images; no inline script or style, no eval (htmx's allowEval is off, see base.html), no
# framing. data: images are Bootstrap's CSS icons (select arrows, check marks, close buttons).
# DEBUG reports instead of enforcing: Django's debug pages carry inline scripts and styles.
CONSOLE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if DEBUG:
    SECURE_CSP_REPORT_ONLY = CONSOLE_CSP
else:
    SECURE_CSP = CONSOLE_CSP
# Permissions-Policy (tco_console.middleware): the console uses no powerful browser feature.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Sign-in throttling (django-axes; docs/rules.md "Sign-in throttling"): 5 failed sign-ins in
# a row for one login name, or from one client address, lock that name or address for
# 15 minutes; every further attempt during the lock (even the right password) is refused
# and restarts it. A success does not clear earlier failures (else an attacker's own
# successful sign-ins would reset its address's count). Operators lift a lock in the admin.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SIGNIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "organizations.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "organizations.signin.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # the lockout is logged as an audit record (organizations.signin)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Product limits, from shared/reference/tco-api.md (overridable for tests or operators).
TCO_DEFAULT_MEMBER_LIMIT = 100
TCO_MAX_DEPARTMENT_DEPTH = 5
TCO_INVITATION_TTL_DAYS = 15
TCO_INVITATIONS_PER_24H = 20
