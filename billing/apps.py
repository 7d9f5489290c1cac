from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        """Plug billing into organizations' membership-money seam (organizations.hooks)."""
        from organizations import hooks

        from .membership import BillingMembershipMoney

        hooks.register(BillingMembershipMoney())
