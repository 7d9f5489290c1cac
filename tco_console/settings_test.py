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
