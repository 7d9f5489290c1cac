"""Organizations' pages, one module per page family (issue 12: the split of the former
views.py, policy_views.py and user_views.py)."""

from .members import *  # noqa: F403  (the split into page families follows)
