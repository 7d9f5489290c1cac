"""Writes of organizations (services), one module per sub-domain; `from organizations import
services` keeps every call site short. Issue 12: the split of the former services.py."""

from .accounts import *  # noqa: F403
from .departments import *  # noqa: F403
from .invitations import *  # noqa: F403
from .members import *  # noqa: F403  (the split into sub-domains follows)
from .organization import *  # noqa: F403
from .policies import bind_full_access  # noqa: F401
from .rules import *  # noqa: F403
