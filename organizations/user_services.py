"""Temporary shim, issue 12 sweep: the sub-user services live in organizations.services.sub_users.

organizations/user_views.py and the seed_demo command still import `user_services`; the
integrator changes those imports and then deletes this module.
"""

from .services.sub_users import *  # noqa: F403
