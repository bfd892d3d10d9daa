"""How twitter_claims shows itself to core: one entry per provider in core's platform registry
(flattr.platforms), registered in TwitterClaimsConfig.ready. X keeps its own entry (its older
`twitter=` button parameter and hook script); the others are made from their provider module."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from flattr.platforms import Platform

KEY = "twitter"
_HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")


def account_clean(raw: str) -> str | None:
    """Return the handle in "@alice" or "alice", else None (buttons take no URLs)."""
    match = _HANDLE.match(raw.strip())
    return match.group(1) if match else None


def account_label(handle: str) -> str:
    return f"@{handle}"


def account_page(handle: str) -> str:
    return reverse("twitter_claims:account", kwargs={"handle": handle})


def _thing_account(thing, provider_key: str):
    account = getattr(thing, "platform_account", None)  # a one-to-one row of ours
    return account if account is not None and account.provider == provider_key else None


def thing_page(thing) -> str | None:
    """Return the account page of an X account's thing, else None."""
    account = _thing_account(thing, KEY)
    return account.get_absolute_url() if account is not None else None


def profile_url_account(url: str) -> str | None:
    from twitter_claims.selectors import profile_url_handle

    return profile_url_handle(url)


def thing_for_profile_url(url: str):
    from twitter_claims.services import thing_for_profile_url as resolve

    return resolve(url)


def account_thing(handle: str):
    """Return the thing of the X account we last saw holding `handle` (or of its open pending
    handle), else None. Never asks X."""
    from twitter_claims import selectors

    holder = selectors.account_for_handle(handle) or selectors.pending_handle_for(handle)
    return holder.thing if holder is not None else None


def account_flattr(*, donor, account: str, source: str):
    from twitter_claims.services import twitter_flattr_add

    return twitter_flattr_add(donor=donor, handle=account, source=source)


PLATFORM = Platform(
    key=KEY,
    name=_("Twitter/X"),
    account_clean=account_clean,
    account_label=account_label,
    account_page=account_page,
    thing_page=thing_page,
    profile_url_account=profile_url_account,
    thing_for_profile_url=thing_for_profile_url,
    account_thing=account_thing,
    account_flattr=account_flattr,
    button_param="twitter",
    button_hook="js/twitter_button.js",
    dashboard_template="twitter_claims/flattr_handle_form.html",
)


def platform_for(provider) -> Platform:
    """Return core's registry entry for a provider module (twitter_claims.providers)."""

    def account_clean(raw: str) -> str | None:
        parsed = provider.account_parse(raw)
        return provider.account_key(*parsed) if parsed else None

    def split(account: str) -> tuple[str, str]:
        parsed = provider.account_parse(account)
        return parsed if parsed else (account, provider.domain)

    def thing_page(thing) -> str | None:
        account = _thing_account(thing, provider.key)
        return account.get_absolute_url() if account is not None else None

    def profile_url_account(url: str) -> str | None:
        parsed = provider.profile_url_parse(url) if isinstance(url, str) else None
        return provider.account_key(*parsed) if parsed else None

    def thing_for_profile_url(url: str):
        from twitter_claims.services.accounts import thing_for_account

        parsed = provider.profile_url_parse(url) if isinstance(url, str) else None
        if not parsed:
            return None
        return thing_for_account(provider=provider, handle=parsed[0], domain=parsed[1])

    def account_thing(account: str):
        from twitter_claims import selectors

        handle, domain = split(account)
        record = selectors.account_on(provider=provider.key, domain=domain, handle=handle)
        return record.thing if record is not None else None

    def account_flattr(*, donor, account: str, source: str):
        from twitter_claims.services.accounts import account_flattr_add

        return account_flattr_add(donor=donor, provider=provider, raw=account, source=source)

    return Platform(
        key=provider.key,
        name=provider.name,
        account_clean=account_clean,
        account_label=lambda account: provider.account_label(*split(account)),
        account_page=lambda account: provider.account_page(*split(account)),
        thing_page=thing_page,
        profile_url_account=profile_url_account,
        thing_for_profile_url=thing_for_profile_url,
        account_thing=account_thing,
        account_flattr=account_flattr,
        button_hook="js/platform_button.js",
        dashboard_template="twitter_claims/flattr_account_form.html",
    )
