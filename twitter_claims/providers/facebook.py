"""Facebook pages: a page is resolved from its `facebook.com/<page>` URL through the Graph API
(the numeric page id is the key), claimed with Facebook Login by someone who manages it
(`/me/accounts` lists the pages the signed-in person manages), and never sent notices: its
donors are told when it is claimed, and the page's own link is there to share.

Settings: FACEBOOK_GRAPH_BASE, FACEBOOK_AUTHORIZE_URL, FACEBOOK_TOKEN_URL, FACEBOOK_APP_ID,
FACEBOOK_APP_SECRET (lookups use the app token `<id>|<secret>`). Development and tests point
them at twitter_claims/fake_facebook.py.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

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

# A page's username (5-50 letters, digits and dots) or its numeric id.
PAGE_RE = re.compile(r"^(?:[A-Za-z0-9.]{5,50}|[0-9]{1,20})$")
_HOSTS = {"facebook.com", "www.facebook.com", "m.facebook.com", "fb.com", "www.fb.com"}
RESERVED = frozenset(
    {"groups", "events", "pages", "watch", "marketplace", "gaming", "login", "help", "policies"}
)
SCOPES = ["pages_show_list"]


class Facebook(Provider):
    key = "facebook"
    name = "Facebook"
    domain = "facebook.com"
    handle_re = PAGE_RE
    reserved = RESERVED
    needs_target = True  # a person manages several pages: the claim names the page

    def profile_url_parse(self, url: str) -> tuple[str, str] | None:
        parts = urlsplit(url.strip()) if isinstance(url, str) and len(url) <= 300 else None
        if parts is None or parts.scheme not in ("http", "https") or parts.hostname not in _HOSTS:
            return None
        path = parts.path.strip("/")
        if path == "profile.php":  # facebook.com/profile.php?id=<page id>
            path = (parse_qs(parts.query).get("id") or [""])[0]
        if "/" in path or not PAGE_RE.match(path) or path.lower() in RESERVED:
            return None
        return path, self.domain

    def account_label(self, handle: str, domain: str) -> str:
        return handle

    def thing_url(self, user: ProviderUser, domain: str) -> str:
        return f"https://www.facebook.com/{user.id}"

    def _api(self, path: str, token: str, **params):
        if not settings.FACEBOOK_GRAPH_BASE:
            raise ProviderError("not_configured", "FACEBOOK_GRAPH_BASE is not set.")
        url = settings.FACEBOOK_GRAPH_BASE.rstrip("/") + path
        return json_request("GET", url, name=self.name, token=token, params=params)

    def _app_token(self) -> str:
        if not settings.FACEBOOK_APP_ID or not settings.FACEBOOK_APP_SECRET:
            raise ProviderError("not_configured", "FACEBOOK_APP_ID and _SECRET are not set.")
        return f"{settings.FACEBOOK_APP_ID}|{settings.FACEBOOK_APP_SECRET}"

    def _page(self, body) -> ProviderUser:
        if not isinstance(body, dict):
            raise ProviderError("bad_response", "Facebook answered without a page.")
        page_id = str(body.get("id", ""))
        handle = str(body.get("username") or page_id)
        if not USER_ID_RE.match(page_id) or not PAGE_RE.match(handle):
            raise ProviderError("bad_response", "Facebook answered a malformed page.")
        name = str(body.get("name") or "")[: PlatformAccount.NAME_MAX]
        return ProviderUser(id=page_id, username=handle, name=name)

    def user_lookup(self, handle: str, domain: str) -> ProviderUser | None:
        if not PAGE_RE.match(handle):
            return None
        status, body = self._api(f"/{handle}", self._app_token(), fields="id,name,username")
        return None if status == 404 else self._page(body)

    def user_by_id(self, user_id: str, domain: str) -> ProviderUser | None:
        return self.user_lookup(user_id, domain) if USER_ID_RE.match(user_id) else None

    def profile_text(self, user_id: str, domain: str) -> str:
        if not USER_ID_RE.match(user_id):
            return ""
        status, body = self._api(f"/{user_id}", self._app_token(), fields="about,website")
        if status == 404 or not isinstance(body, dict):
            return ""
        return " ".join(str(body.get(field) or "") for field in ("about", "website"))

    def oauth_start(self, *, redirect_uri: str, domain: str) -> OAuthStart:
        if not settings.FACEBOOK_AUTHORIZE_URL or not settings.FACEBOOK_APP_ID:
            raise ProviderError("not_configured", "Facebook Login is not configured.")
        return oauth2_start(
            authorize_url=settings.FACEBOOK_AUTHORIZE_URL,
            client_id=settings.FACEBOOK_APP_ID,
            redirect_uri=redirect_uri,
            scopes=SCOPES,
        )

    def oauth_finish(
        self, *, redirect_uri: str, code: str, code_verifier: str, domain: str, target: str = ""
    ) -> ProviderUser:
        """Return the page `target` if the person who signed in manages it."""
        pages = self._managed_pages(redirect_uri=redirect_uri, code=code, verifier=code_verifier)
        for page in pages:
            if page.id == target:
                return page
        raise ProviderError("not_manager", "You do not manage that page on Facebook.")

    def oauth_finish_all(
        self, *, redirect_uri: str, code: str, code_verifier: str, domain: str
    ) -> list[ProviderUser]:
        return self._managed_pages(redirect_uri=redirect_uri, code=code, verifier=code_verifier)

    def _managed_pages(self, *, redirect_uri: str, code: str, verifier: str) -> list[ProviderUser]:
        token = oauth2_token(
            name=self.name,
            token_url=settings.FACEBOOK_TOKEN_URL,
            client_id=settings.FACEBOOK_APP_ID,
            client_secret=settings.FACEBOOK_APP_SECRET,
            redirect_uri=redirect_uri,
            code=code,
            code_verifier=verifier,
        )
        _status, body = self._api("/me/accounts", token, fields="id,name,username")
        pages = body.get("data") if isinstance(body, dict) else None
        if not isinstance(pages, list):
            raise ProviderError("bad_response", "Facebook did not list your pages.")
        return [self._page(page) for page in pages[:100] if isinstance(page, dict)]

    def oauth_origin(self, domain: str) -> str:
        parts = urlsplit(settings.FACEBOOK_AUTHORIZE_URL or "")
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


PROVIDER = Facebook()
provider_register(PROVIDER)
