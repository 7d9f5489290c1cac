"""Temporary shim, issue 12 sweep: the policy services live in organizations.services.policies.

organizations/policy_views.py still imports `from . import policy_services as scp`; the
integrator changes that import and then deletes this module.
"""

from .services.policies import *  # noqa: F403
