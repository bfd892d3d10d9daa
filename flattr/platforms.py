"""The platforms core can flattr accounts on, as platform apps register them at start-up.

Core (things, flattrs, buttons, auto-submit) knows no platform by name. A platform app
(twitter_claims, and later GitHub, Mastodon, Facebook) describes itself with a `Platform` and
calls `platform_register` from its AppConfig.ready; core then asks this registry whenever a page,
a button or an auto-submit link may be about a platform account. The registry never imports a
platform app: the arrow points up only through the callables the app hands in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flattr.models import Flattr, Thing

# Platform keys appear in URLs and button markup (`platform=<key>`).
PLATFORM_KEY = re.compile(r"^[a-z][a-z0-9_-]{1,19}$")
ACCOUNT_MAX = 200  # longest account name a button or form may hand us (`@user@instance` …)


@dataclass(frozen=True)
class Platform:
    """What core needs to know about one platform. Every callable must be cheap and must not
    call the platform's API unless its docstring here says so."""

    key: str  # "twitter": the value of a button's `platform=` and the registry's key
    name: str  # shown to people ("X (Twitter)"); may be a lazy translation
    # A handle as a button, form or URL gives it → the canonical account name, or None.
    account_clean: Callable[[str], str | None]
    # The account name as people write it ("@bob").
    account_label: Callable[[str], str]
    # Our page for the account (a path); opening it never calls the platform.
    account_page: Callable[[str], str]
    # The page of a thing that stands for one of this platform's accounts, else None.
    thing_page: Callable[[Thing], str | None]
    # A profile URL of this platform → the account name, reading the string only; else None.
    profile_url_account: Callable[[str], str | None]
    # A profile URL → the thing donors flattr for that account, else None. May call the
    # platform's API; raises FlattrError for a profile it refuses (unknown, opted out).
    thing_for_profile_url: Callable[[str], Thing | None]
    # The thing donors flattr for this account if we know the account already, else None.
    # Reads our rows only (the button's confirmation window shows it without asking anyone).
    account_thing: Callable[[str], Thing | None] = lambda account: None
    # Flattr the account (donor=, account=, source=): the same rules as any thing, through
    # flattr_add. May call the platform's API; raises FlattrError for a refusal.
    account_flattr: Callable[..., Flattr] | None = None
    # An older button parameter that names an account of this platform alone ("twitter").
    button_param: str = ""
    # A static script that decorates this platform's account buttons in the iframe.
    button_hook: str = ""
    # A template included on the dashboard: the box to flattr an account by name.
    dashboard_template: str = ""


_PLATFORMS: dict[str, Platform] = {}


def platform_register(platform: Platform) -> None:
    """Add a platform (call from AppConfig.ready). Registering the same key again replaces it,
    so a reloaded app does not fail."""
    if not PLATFORM_KEY.match(platform.key):
        raise ValueError(f"invalid platform key {platform.key!r}")
    _PLATFORMS[platform.key] = platform


def platform_list() -> list[Platform]:
    """Return the registered platforms in the order they registered."""
    return list(_PLATFORMS.values())


def platform_get(key: str) -> Platform | None:
    return _PLATFORMS.get(key) if isinstance(key, str) else None


def thing_account_page(thing: Thing) -> str | None:
    """Return the account page of a thing that stands for a platform account, else None."""
    for platform in _PLATFORMS.values():
        page = platform.thing_page(thing)
        if page:
            return page
    return None


def profile_url_page(url: str) -> str | None:
    """Return our account page for a supported profile URL, else None (no network call)."""
    for platform in _PLATFORMS.values():
        account = platform.profile_url_account(url)
        if account:
            return platform.account_page(account)
    return None


def thing_for_profile_url(url: str) -> Thing | None:
    """Return the thing donors flattr for the account a profile URL names, else None.

    For callers that flattr by URL (auto-submit, the REST API's POST /flattr): None means "not a
    profile URL we know, treat it as a web page". May call the platform's API; raises the
    platform's FlattrError for a profile it refuses.
    """
    for platform in _PLATFORMS.values():
        if platform.profile_url_account(url):
            return platform.thing_for_profile_url(url)
    return None


@dataclass(frozen=True)
class ButtonAccount:
    """A button's platform account: which platform, and the canonical account name."""

    platform: Platform
    account: str

    @property
    def label(self) -> str:
        return self.platform.account_label(self.account)

    def query(self) -> dict[str, str]:
        """Return the parameters that name this account on a button or confirmation URL (the
        platform's own parameter where it has one, so older links keep their shape)."""
        if self.platform.button_param:
            return {self.platform.button_param: self.account}
        return {"platform": self.platform.key, "account": self.account}


def button_account(params) -> ButtonAccount | None:
    """Return the platform account a button's query names, else None.

    `platform=<key>&account=<name>`, or a platform's own older parameter (`<button_param>=…`).
    Anything that does not clean is ignored, as unknown button parameters always were.
    """
    key = params.get("platform", "")
    platform = platform_get(key) if key else None
    if platform is not None:
        account = _clean(platform, params.get("account", ""))
        if account:
            return ButtonAccount(platform, account)
    for platform in _PLATFORMS.values():
        if platform.button_param and params.get(platform.button_param):
            account = _clean(platform, params.get(platform.button_param, ""))
            if account:
                return ButtonAccount(platform, account)
    return None


def _clean(platform: Platform, raw) -> str | None:
    if not isinstance(raw, str) or not raw or len(raw) > ACCOUNT_MAX:
        return None
    return platform.account_clean(raw)
