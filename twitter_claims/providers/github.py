"""GitHub: an OAuth app to claim, `/users/<login>` for the numeric id, `github.com/<login>`
profile URLs. Owners are not told by us (GitHub has no messages between users); their donors
are told when they claim.

Settings: GITHUB_API_BASE, GITHUB_AUTHORIZE_URL, GITHUB_TOKEN_URL, GITHUB_CLIENT_ID,
GITHUB_CLIENT_SECRET, GITHUB_TOKEN (optional, raises the lookup rate limit). Development and
tests point them at twitter_claims/fake_github.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings

from twitter_claims.models import PlatformAccount
from twitter_claims.providers import (
    USER_ID_RE,
    OAuthStart,
    Provider,
    ProviderError,
    ProviderUser,
    provider_register,
)
from twitter_claims.providers.http import json_request, oauth2_start, oauth2_token

# GitHub logins: 1-39 letters, digits and single hyphens, not at either end.
LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_PROFILE = re.compile(
    r"^https?://(?:www\.)?github\.com/(?P<login>[A-Za-z0-9-]{1,39})/?(?:[?#].*)?$", re.IGNORECASE
)
# github.com/<these> are GitHub's own pages, not users.
RESERVED = frozenset(
    {
        "about", "apps", "orgs", "settings", "login", "logout", "join", "explore", "topics",
        "marketplace", "features", "pricing", "sponsors", "notifications", "new", "search",
        "pulls", "issues", "enterprise", "collections", "trending", "site", "security",
    }
)  # fmt: skip


class GitHub(Provider):
    key = "github"
    name = "GitHub"
    domain = "github.com"
    handle_re = LOGIN_RE
    reserved = RESERVED

    def profile_url_parse(self, url: str) -> tuple[str, str] | None:
        match = _PROFILE.match(url or "")
        if not match or match.group("login").lower() in RESERVED:
            return None
        if not LOGIN_RE.match(match.group("login")):
            return None
        return match.group("login"), self.domain

    def thing_url(self, user: ProviderUser, domain: str) -> str:
        return f"https://github.com/u/{user.id}"

    def _user(self, body) -> ProviderUser:
        if not isinstance(body, dict):
            raise ProviderError("bad_response", "GitHub answered without a user.")
        user_id, login = str(body.get("id", "")), str(body.get("login", ""))
        if not USER_ID_RE.match(user_id) or not LOGIN_RE.match(login):
            raise ProviderError("bad_response", "GitHub answered a malformed user.")
        return ProviderUser(
            id=user_id, username=login, name=str(body.get("name") or "")[: PlatformAccount.NAME_MAX]
        )

    def _api(self, path: str, token: str = ""):
        if not settings.GITHUB_API_BASE:
            raise ProviderError("not_configured", "GITHUB_API_BASE is not set.")
        url = settings.GITHUB_API_BASE.rstrip("/") + path
        return json_request("GET", url, name=self.name, token=token)

    def user_lookup(self, handle: str, domain: str) -> ProviderUser | None:
        if not LOGIN_RE.match(handle):
            return None
        status, body = self._api(f"/users/{handle}", settings.GITHUB_TOKEN)
        return None if status == 404 else self._user(body)

    def user_by_id(self, user_id: str, domain: str) -> ProviderUser | None:
        if not USER_ID_RE.match(user_id):
            return None
        status, body = self._api(f"/user/{user_id}", settings.GITHUB_TOKEN)
        return None if status == 404 else self._user(body)

    def profile_text(self, user_id: str, domain: str) -> str:
        if not USER_ID_RE.match(user_id):
            return ""
        status, body = self._api(f"/user/{user_id}", settings.GITHUB_TOKEN)
        if status == 404 or not isinstance(body, dict):
            return ""
        return " ".join(str(body.get(field) or "") for field in ("bio", "blog"))

    def _configured(self) -> None:
        names = ("GITHUB_AUTHORIZE_URL", "GITHUB_TOKEN_URL", "GITHUB_CLIENT_ID", "GITHUB_API_BASE")
        missing = [name for name in names if not getattr(settings, name)]
        if missing:
            raise ProviderError("not_configured", "GitHub sign-in: set " + ", ".join(missing))

    def oauth_start(self, *, redirect_uri: str, domain: str) -> OAuthStart:
        self._configured()
        return oauth2_start(
            authorize_url=settings.GITHUB_AUTHORIZE_URL,
            client_id=settings.GITHUB_CLIENT_ID,
            redirect_uri=redirect_uri,
            scopes=list(settings.GITHUB_OAUTH_SCOPES),
        )

    def oauth_finish(
        self, *, redirect_uri: str, code: str, code_verifier: str, domain: str, target: str = ""
    ) -> ProviderUser:
        self._configured()
        token = oauth2_token(
            name=self.name,
            token_url=settings.GITHUB_TOKEN_URL,
            client_id=settings.GITHUB_CLIENT_ID,
            client_secret=settings.GITHUB_CLIENT_SECRET,
            redirect_uri=redirect_uri,
            code=code,
            code_verifier=code_verifier,
        )
        _status, body = self._api("/user", token)
        return self._user(body)

    def oauth_origin(self, domain: str) -> str:
        parts = urlsplit(settings.GITHUB_AUTHORIZE_URL or "")
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


PROVIDER = GitHub()
provider_register(PROVIDER)
