"""Writes of organizations (services), one module per sub-domain; `from organizations import
services` keeps every call site short. Issue 12: the split of the former services.py."""

from .accounts import *  # noqa: F403
from .members import *  # noqa: F403  (the split into sub-domains follows)
from .rules import *  # noqa: F403
