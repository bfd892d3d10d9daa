"""How twitter_claims shows itself to core: the X entry of core's platform registry
(flattr.platforms), registered in TwitterClaimsConfig.ready."""

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


def thing_page(thing) -> str | None:
    """Return the account page of an X account's thing (a one-to-one row of ours), else None."""
    account = getattr(thing, "platform_account", None)
    return account.get_absolute_url() if account is not None else None


def profile_url_account(url: str) -> str | None:
    from twitter_claims.selectors import profile_url_handle

    return profile_url_handle(url)


def thing_for_profile_url(url: str):
    from twitter_claims.services import thing_for_profile_url as resolve

    return resolve(url)


PLATFORM = Platform(
    key=KEY,
    name=_("Twitter/X"),
    account_clean=account_clean,
    account_label=account_label,
    account_page=account_page,
    thing_page=thing_page,
    profile_url_account=profile_url_account,
    thing_for_profile_url=thing_for_profile_url,
    button_param="twitter",
    button_hook="js/twitter_button.js",
    dashboard_template="twitter_claims/flattr_handle_form.html",
)
