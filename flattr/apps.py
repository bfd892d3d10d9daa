from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlattrConfig(AppConfig):
    name = "flattr"
    verbose_name = _("Flattr")
