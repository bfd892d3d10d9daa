"""Providers: the platforms whose accounts can be flattred, one module each, registered at
start-up (TwitterClaimsConfig.ready imports every module in settings.PLATFORM_PROVIDERS).

A provider declares what the rest of the app needs and nothing more: its display name, its
domain (or that each instance is its own, for Mastodon), how a handle or profile URL is written,
how a handle resolves to the stable numeric id, its OAuth endpoints and scopes, and how an owner
can be told that money waits (or that only donors are told). Held pools, claims, notices,
opt-outs, expiry and the waiting list are the same code for every provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

USER_ID_RE = re.compile(r"^[0-9]{1,20}$")


class ProviderError(Exception):
    """A provider call failed. Codes: not_configured, unavailable, rate_limited, unauthorized,
    oauth_failed, bad_response, not_supported (the provider cannot do this, e.g. notices)."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        self.message = message or code
        super().__init__(f"{code}: {self.message}")


@dataclass(frozen=True)
class ProviderUser:
    id: str  # the provider's numeric user id, as a decimal string
    username: str  # the handle, without "@" or instance
    name: str = ""


@dataclass(frozen=True)
class OAuthStart:
    authorize_url: str
    state: str
    code_verifier: str


class Provider:
    """The interface every provider module implements (as one module-level instance)."""

    key = ""  # "github": URLs, the database's provider column, the core registry key
    name = ""  # "GitHub"
    domain = ""  # the provider's host; "" when every instance is its own (Mastodon)
    handle_re = re.compile(r"^$")
    # Owners can be told by a message from our service account; else only donors are told.
    can_notify = False
    # A sign-in proves several accounts at once; the claim names which (Facebook pages).
    needs_target = False

    # ---- How accounts are written (no network) ----

    def account_parse(self, raw: str) -> tuple[str, str] | None:
        """Return (handle, domain) from a handle as people type it or a profile URL, else None."""
        text = raw.strip() if isinstance(raw, str) else ""
        parsed = self.profile_url_parse(text)
        if parsed:
            return parsed
        handle = text.removeprefix("@")
        if self.handle_re.match(handle) and handle.lower() not in self.reserved:
            return handle, self.domain
        return None

    reserved: frozenset[str] = frozenset()

    def profile_url_parse(self, url: str) -> tuple[str, str] | None:
        """Return (handle, domain) of one of this provider's profile URLs, else None."""
        return None

    def account_key(self, handle: str, domain: str) -> str:
        """The account as it appears in our URLs and button markup ("bob", "anna@one.example")."""
        return handle

    def account_label(self, handle: str, domain: str) -> str:
        return f"@{handle}"

    def account_page(self, handle: str, domain: str) -> str:
        from django.urls import reverse

        return reverse(
            "platform_account",
            kwargs={"provider": self.key, "account": self.account_key(handle, domain)},
        )

    def thing_url(self, user: ProviderUser, domain: str) -> str:
        """A URL that names the account by its id (the thing's URL; never reused by others)."""
        raise NotImplementedError

    # ---- The provider's API ----

    def user_lookup(self, handle: str, domain: str) -> ProviderUser | None:
        """Return who holds `handle` now (None: nobody). Raise ProviderError when unsure."""
        raise NotImplementedError

    def user_by_id(self, user_id: str, domain: str) -> ProviderUser | None:
        raise ProviderError("not_supported")

    def profile_text(self, user_id: str, domain: str) -> str:
        """Return the public profile text (bio, website, …) of the account with this numeric id,
        where a one-time proof code may be placed. Raise ProviderError when unsure."""
        raise ProviderError("not_supported", f"{self.name} profiles cannot be read here.")

    def oauth_start(self, *, redirect_uri: str, domain: str) -> OAuthStart:
        raise NotImplementedError

    def oauth_finish(
        self, *, redirect_uri: str, code: str, code_verifier: str, domain: str, target: str = ""
    ) -> ProviderUser:
        """Return who signed in. `target` is the id of the account the sign-in means to claim,
        for providers where one person controls several (Facebook pages)."""
        raise NotImplementedError

    def oauth_finish_all(
        self, *, redirect_uri: str, code: str, code_verifier: str, domain: str
    ) -> list[ProviderUser]:
        """Return every account the person who signed in controls (Facebook: the pages they
        manage), for signing in without naming one. Most providers: just who signed in."""
        return [
            self.oauth_finish(
                redirect_uri=redirect_uri, code=code, code_verifier=code_verifier, domain=domain
            )
        ]

    def oauth_origin(self, domain: str) -> str:
        """The origin of the authorize page, for the CSP `form-action` of sign-in forms."""
        return ""

    def notice_post(self, *, handle: str, domain: str, text: str) -> str:
        """Tell the owner (a post from our service account); return the post id."""
        raise ProviderError("not_supported", f"{self.name} owners cannot be told by us.")


_PROVIDERS: dict[str, Provider] = {}


def provider_register(provider: Provider) -> None:
    _PROVIDERS[provider.key] = provider


def provider_get(key: str) -> Provider:
    """Return the registered provider, or raise KeyError."""
    return _PROVIDERS[key]


def provider_find(key: str) -> Provider | None:
    return _PROVIDERS.get(key) if isinstance(key, str) else None


def provider_list() -> list[Provider]:
    return list(_PROVIDERS.values())
