from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organizations")

    def ready(self):
        # Sign-in throttling: the lockout audit receiver and the operators' lock admin.
        from . import signin

        signin.register_admin()
