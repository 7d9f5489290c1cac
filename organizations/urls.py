from django.urls import path

from tco_console import converters  # noqa: F401  (registers uin, pk, order_no, instance_id)

from . import views
from .views import policies as policy_views
from .views import users as user_views

app_name = "organizations"

urlpatterns = [
    path("organization/create/", views.organization_create, name="organization_create"),
    path("organization/delete/", views.organization_delete, name="organization_delete"),
    path("organization/quit/", views.organization_quit, name="organization_quit"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/create/", views.member_create, name="member_create"),
    path("members/move/", views.members_move, name="members_move"),
    path("members/<uin:uin>/", views.member_detail, name="member_detail"),
    path("members/<uin:uin>/edit/", views.member_edit, name="member_edit"),
    path("members/<uin:uin>/move/", views.members_move, name="member_move"),
    path("members/<uin:uin>/remove/", views.member_remove, name="member_remove"),
    path("departments/add/", views.department_add, name="department_add"),
    path("departments/<pk:pk>/rename/", views.department_rename, name="department_rename"),
    path("departments/<pk:pk>/move/", views.department_move, name="department_move"),
    path("departments/<pk:pk>/delete/", views.department_delete, name="department_delete"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<pk:pk>/cancel/", views.invitation_cancel, name="invitation_cancel"),
    path("invitations/<pk:pk>/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<pk:pk>/decline/", views.invitation_decline, name="invitation_decline"),
    path("audit/", views.audit, name="audit"),
    path("policies/", policy_views.policies_page, name="policies"),
    path("policies/type/", policy_views.policy_type_toggle, name="policy_type"),
    path("policies/create/", policy_views.policy_create, name="policy_create"),
    path("policies/<pk:pk>/edit/", policy_views.policy_edit, name="policy_edit"),
    path("policies/<pk:pk>/delete/", policy_views.policy_delete, name="policy_delete"),
    path("policies/<pk:pk>/attach/", policy_views.policy_attach, name="policy_attach"),
    path("policies/<pk:pk>/detach/", policy_views.policy_detach, name="policy_detach"),
    path("members/<uin:uin>/policy/", policy_views.member_policy, name="member_policy"),
    path("users/", user_views.users_page, name="users"),
    path("users/create/", user_views.user_create, name="user_create"),
    path("users/<pk:pk>/edit/", user_views.user_edit, name="user_edit"),
    path("users/<pk:pk>/deactivate/", user_views.user_deactivate, name="user_deactivate"),
    path("users/<pk:pk>/reactivate/", user_views.user_reactivate, name="user_reactivate"),
]
