"""Settings for the test suite: the real settings, with fast password hashing."""

import os

os.environ.setdefault("TCO_INSECURE_DEV_KEY", "1")

from .settings import *  # noqa: F403
from .settings import DATABASES, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests open and close connections as they always have (threads of the concurrency tests, the
# live server); the production default (persistent) is proven by tests/test_production.py.
DATABASES["default"]["CONN_MAX_AGE"] = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client and the live server speak plain http: no HTTPS redirect, no Secure-only
# cookies, no HSTS. The production defaults are proven by tests/test_production.py.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_PROXY_SSL_HEADER = None
TRUSTED_PROXY_COUNT = 0
# Tests share one process and reuse primary keys after rollbacks: the F6 cache stays off,
# except in the tests that prove it is never stale (they switch it on).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "costs": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    "charts": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
