"""Organizations' pages, one module per page family (issue 12: the split of the former
views.py, policy_views.py and user_views.py). organizations/urls.py names the modules.

The package re-exports no view: several families are named after their list page
(`members.members`, `invitations.invitations`, `audit.audit`), and a re-exported view would
shadow its module (`from organizations.views import members` would give the function).
"""
