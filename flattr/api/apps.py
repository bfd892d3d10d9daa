from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "flattr.api"
    label = "flattr_api"
    verbose_name = _("Flattr API")

    def ready(self) -> None:
        # Payday (payments, below core) announces that it finished; webhooks tell recipients
        # about their income. A new flattr is announced by core's own signal.
        from flattr.api import webhooks
        from flattr.signals import flattr_created
        from payments.payday import payday_finished

        payday_finished.connect(webhooks.on_payday_finished, dispatch_uid="api_webhooks_payday")
        flattr_created.connect(webhooks.on_flattr_created, dispatch_uid="api_webhooks_flattr")
