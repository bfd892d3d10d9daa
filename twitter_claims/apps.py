from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwitterClaimsConfig(AppConfig):
    name = "twitter_claims"
    verbose_name = _("Twitter claims")
