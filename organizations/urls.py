from django.urls import path

from tco_console import converters  # noqa: F401  (registers uin, pk, order_no, instance_id)

from .views import (
    api_keys,
    audit,
    departments,
    invitations,
    members,
    organization,
    permission_changes,
    policies,
    tags,
    users,
)

app_name = "organizations"

urlpatterns = [
    path("organization/create/", organization.organization_create, name="organization_create"),
    path("organization/delete/", organization.organization_delete, name="organization_delete"),
    path("organization/quit/", organization.organization_quit, name="organization_quit"),
    path("members/", members.members, name="members"),
    path("members/tree/", departments.department_branch, name="department_branch"),
    path("members/invite/", invitations.member_invite, name="member_invite"),
    path("members/create/", members.member_create, name="member_create"),
    path("members/move/", members.members_move, name="members_move"),
    path("members/tags/", tags.members_tags, name="members_tags"),
    path("members/<uin:uin>/", members.member_detail, name="member_detail"),
    path("members/<uin:uin>/edit/", members.member_edit, name="member_edit"),
    path("members/<uin:uin>/move/", members.members_move, name="member_move"),
    path("members/<uin:uin>/remove/", members.member_remove, name="member_remove"),
    path("members/<uin:uin>/tags/", tags.member_tags, name="member_tags"),
    path("departments/add/", departments.department_add, name="department_add"),
    path("departments/<pk:pk>/rename/", departments.department_rename, name="department_rename"),
    path("departments/<pk:pk>/move/", departments.department_move, name="department_move"),
    path("departments/<pk:pk>/delete/", departments.department_delete, name="department_delete"),
    path("departments/<pk:pk>/tags/", tags.department_tags, name="department_tags"),
    path("invitations/", invitations.invitations, name="invitations"),
    path("invitations/<pk:pk>/cancel/", invitations.invitation_cancel, name="invitation_cancel"),
    path("invitations/<pk:pk>/accept/", invitations.invitation_accept, name="invitation_accept"),
    path("invitations/<pk:pk>/decline/", invitations.invitation_decline, name="invitation_decline"),
    # F17: the member's consent to a permission change
    path(
        "permission-changes/<pk:pk>/accept/",
        permission_changes.permission_change_accept,
        name="permission_change_accept",
    ),
    path(
        "permission-changes/<pk:pk>/deny/",
        permission_changes.permission_change_deny,
        name="permission_change_deny",
    ),
    path(
        "permission-changes/<pk:pk>/cancel/",
        permission_changes.permission_change_cancel,
        name="permission_change_cancel",
    ),
    path("audit/", audit.audit, name="audit"),
    path("policies/", policies.policies_page, name="policies"),
    path("policies/type/", policies.policy_type_toggle, name="policy_type"),
    path("policies/create/", policies.policy_create, name="policy_create"),
    path("policies/<pk:pk>/edit/", policies.policy_edit, name="policy_edit"),
    path("policies/<pk:pk>/delete/", policies.policy_delete, name="policy_delete"),
    path("policies/<pk:pk>/attach/", policies.policy_attach, name="policy_attach"),
    path("policies/<pk:pk>/detach/", policies.policy_detach, name="policy_detach"),
    path("members/<uin:uin>/policy/", policies.member_policy, name="member_policy"),
    path("users/", users.users_page, name="users"),
    path("users/create/", users.user_create, name="user_create"),
    path("users/<pk:pk>/edit/", users.user_edit, name="user_edit"),
    path("users/<pk:pk>/deactivate/", users.user_deactivate, name="user_deactivate"),
    path("users/<pk:pk>/reactivate/", users.user_reactivate, name="user_reactivate"),
    # issue 15 (K1-K5, docs/api.md): API keys, under Users & permissions
    path("users/api-keys/", api_keys.api_keys_page, name="api_keys"),
    path("users/api-keys/create/", api_keys.api_key_create, name="api_key_create"),
    path("users/api-keys/<pk:pk>/disable/", api_keys.api_key_disable, name="api_key_disable"),
    path("users/api-keys/<pk:pk>/enable/", api_keys.api_key_enable, name="api_key_enable"),
    path("users/api-keys/<pk:pk>/delete/", api_keys.api_key_delete, name="api_key_delete"),
]
