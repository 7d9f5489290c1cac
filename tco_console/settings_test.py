"""Settings for the test suite: the real settings, with fast password hashing."""

import os

os.environ.setdefault("TCO_INSECURE_DEV_KEY", "1")

from .settings import *  # noqa: F403
from .settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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
