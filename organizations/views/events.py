"""The HX-Trigger events organizations' pages send after a successful modal action (STYLE.md:
the affected region listens with `hx-trigger="<event> from:body"`). One leaf module, so that
the page families which refresh each other's regions import no one another.

- MEMBERS_CHANGED: the members page and a member's page (members.html, member_detail.html),
  sent by member and department actions and by a sent invitation;
- INVITATIONS_CHANGED: the invitations list (invitations.html);
- USERS_CHANGED: the sub-users list (users.html);
- API_KEYS_CHANGED: the API keys list (api_keys.html);
- POLICIES_CHANGED: sent by the policy type toggle, whose page reloads (navigate).
"""

MEMBERS_CHANGED = "membersChanged"
INVITATIONS_CHANGED = "invitationsChanged"
POLICIES_CHANGED = "policiesChanged"
USERS_CHANGED = "usersChanged"
API_KEYS_CHANGED = "apiKeysChanged"
