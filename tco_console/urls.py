from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from organizations.views.accounts import sign_up

from . import views

admin.site.site_header = _("TCO Console · operators")
admin.site.site_title = _("TCO Console operators")

urlpatterns = [
    path("", views.root, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", sign_up, name="signup"),
    path("language/", views.set_language, name="set_language"),
    path("", include("organizations.urls")),
    path("", include("billing.urls")),
    path("admin/", admin.site.urls),
]
