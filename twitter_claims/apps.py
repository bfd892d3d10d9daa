from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwitterClaimsConfig(AppConfig):
    name = "twitter_claims"
    verbose_name = _("Twitter claims")

    def ready(self) -> None:
        # Core shows X accounts (pages, buttons, profile URLs) through its platform registry.
        from importlib import import_module

        from django.conf import settings

        from flattr.platforms import platform_register
        from twitter_claims.platform import PLATFORM, platform_for
        from twitter_claims.providers import provider_list

        for module in settings.PLATFORM_PROVIDERS:
            import_module(module)  # each provider module registers itself
        platform_register(PLATFORM)
        for provider in provider_list():
            if provider.key != PLATFORM.key:
                platform_register(platform_for(provider))
        # Payday announces that it finished; we then queue the owner notices (payments needs to
        # know nothing about Twitter).
        from payments.payday import payday_finished

        payday_finished.connect(_payday_finished, dispatch_uid="twitter_claims_notices")
        # "Your data" lists the X account a user claimed.
        from flattr.data_export import data_section_register

        data_section_register("connected_accounts", _connected_accounts)

        # The admin console's fraud review and support search learn about claims from us.
        from flattr.console.registry import review_check_register, support_finder_register
        from twitter_claims.review import claimers_sharing_with_donors, users_for_handle

        review_check_register("twitter_claimers", claimers_sharing_with_donors)
        support_finder_register("twitter_handles", users_for_handle)


def _payday_finished(sender, payday, **kwargs) -> None:
    from twitter_claims.services import notices_after_payday

    notices_after_payday(payday)


def _connected_accounts(user) -> list[dict]:
    from twitter_claims.models import PlatformAccount

    return list(
        PlatformAccount.objects.filter(claimed_by=user)
        .order_by("id")
        .values("provider", "user_id", "handle", "name", "claimed_at")
    )
