"""Mastodon and compatible servers, on any instance: accounts written `@user@instance`, the
numeric id from `/api/v1/accounts/lookup?acct=`, OAuth 2 per instance with our app registered
there through `POST /api/v1/apps` the first time it is needed (kept in MastodonApp), and owner
notices as a direct mention from our service account.

Settings: MASTODON_INSTANCE_URLS (domain → base URL, for the loopback fakes of development and
tests; when set, only those instances are reachable), MASTODON_SERVICE_DOMAIN and
MASTODON_SERVICE_TOKEN (the account that posts notices). In production an instance is
`https://<domain>`; IP literals and local names are refused, so a typed domain cannot make us
call into our own network.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError

from twitter_claims.models import MastodonApp, PlatformAccount
from twitter_claims.providers import (
    USER_ID_RE,
    OAuthStart,
    Provider,
    ProviderError,
    ProviderUser,
    provider_register,
)
from twitter_claims.providers.http import json_request, oauth2_start, oauth2_token

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACCT = re.compile(r"^@?(?P<user>[A-Za-z0-9_]{1,30})@(?P<domain>[A-Za-z0-9.-]{4,253})$")
_PROFILE = re.compile(
    r"^https://(?P<domain>[A-Za-z0-9.-]{4,253})/@(?P<user>[A-Za-z0-9_]{1,30})/?(?:[?#].*)?$"
)
SCOPES = ["read:accounts"]


def _domain_clean(raw: str) -> str | None:
    domain = raw.lower().rstrip(".")
    if not DOMAIN_RE.match(domain) or domain.endswith((".local", ".localhost", ".internal")):
        return None
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return domain
    return None


class Mastodon(Provider):
    key = "mastodon"
    name = "Mastodon"
    domain = ""  # every instance is its own
    handle_re = USERNAME_RE
    can_notify = True

    # ---- How accounts are written ----

    def account_parse(self, raw: str) -> tuple[str, str] | None:
        text = raw.strip() if isinstance(raw, str) else ""
        match = _ACCT.match(text) or _PROFILE.match(text)
        if not match:
            return None
        domain = _domain_clean(match.group("domain"))
        return (match.group("user"), domain) if domain else None

    def profile_url_parse(self, url: str) -> tuple[str, str] | None:
        match = _PROFILE.match(url or "") if isinstance(url, str) else None
        if not match:
            return None
        domain = _domain_clean(match.group("domain"))
        return (match.group("user"), domain) if domain else None

    def account_key(self, handle: str, domain: str) -> str:
        return f"{handle}@{domain}"

    def account_label(self, handle: str, domain: str) -> str:
        return f"@{handle}@{domain}"

    def thing_url(self, user: ProviderUser, domain: str) -> str:
        return f"https://{domain}/api/v1/accounts/{user.id}"

    # ---- The instance's API ----

    def base(self, domain: str) -> str:
        mapped = settings.MASTODON_INSTANCE_URLS
        if mapped:
            if domain not in mapped:
                raise ProviderError("not_configured", f"{domain} is not a known instance here.")
            return mapped[domain].rstrip("/")
        return f"https://{domain}"

    def _user(self, body) -> ProviderUser:
        if not isinstance(body, dict):
            raise ProviderError("bad_response", "The instance answered without an account.")
        user_id, username = str(body.get("id", "")), str(body.get("username", ""))
        if not USER_ID_RE.match(user_id) or not USERNAME_RE.match(username):
            raise ProviderError("bad_response", "The instance answered a malformed account.")
        name = str(body.get("display_name") or "")[: PlatformAccount.NAME_MAX]
        return ProviderUser(id=user_id, username=username, name=name)

    def user_lookup(self, handle: str, domain: str) -> ProviderUser | None:
        if not USERNAME_RE.match(handle):
            return None
        status, body = json_request(
            "GET",
            self.base(domain) + "/api/v1/accounts/lookup",
            name=domain,
            params={"acct": handle},
        )
        return None if status == 404 else self._user(body)

    def user_by_id(self, user_id: str, domain: str) -> ProviderUser | None:
        if not USER_ID_RE.match(user_id):
            return None
        status, body = json_request(
            "GET", self.base(domain) + f"/api/v1/accounts/{user_id}", name=domain
        )
        return None if status == 404 else self._user(body)

    def profile_text(self, user_id: str, domain: str) -> str:
        if not USER_ID_RE.match(user_id):
            return ""
        status, body = json_request(
            "GET", self.base(domain) + f"/api/v1/accounts/{user_id}", name=domain
        )
        if status == 404 or not isinstance(body, dict):
            return ""
        fields = body.get("fields") if isinstance(body.get("fields"), list) else []
        values = [str(f.get("value", "")) for f in fields if isinstance(f, dict)]
        return " ".join([str(body.get("note") or ""), *values])

    # ---- OAuth, per instance ----

    def app_for(self, domain: str, redirect_uri: str) -> MastodonApp:
        """Return our app on this instance, registering it there once (no transaction is
        open during the call; of two registrations at once, the first stored wins)."""
        app = MastodonApp.objects.filter(domain=domain, redirect_uri=redirect_uri).first()
        if app is not None:
            return app
        _status, body = json_request(
            "POST",
            self.base(domain) + "/api/v1/apps",
            name=domain,
            data={
                "client_name": "Flattr",
                "redirect_uris": redirect_uri,
                "scopes": " ".join(SCOPES),
                "website": settings.SITE_URL,
            },
        )
        if not isinstance(body, dict) or not body.get("client_id") or not body.get("client_secret"):
            raise ProviderError("bad_response", f"{domain} did not register our app.")
        MastodonApp.objects.filter(domain=domain).delete()  # a new redirect URI: register anew
        try:
            return MastodonApp.objects.create(
                domain=domain,
                client_id=str(body["client_id"])[:200],
                client_secret=str(body["client_secret"])[:200],
                redirect_uri=redirect_uri,
            )
        except IntegrityError:
            return MastodonApp.objects.get(domain=domain)

    def oauth_start(self, *, redirect_uri: str, domain: str) -> OAuthStart:
        if not _domain_clean(domain or ""):
            raise ProviderError("not_configured", "Which instance?")
        app = self.app_for(domain, redirect_uri)
        return oauth2_start(
            authorize_url=self.base(domain) + "/oauth/authorize",
            client_id=app.client_id,
            redirect_uri=redirect_uri,
            scopes=SCOPES,
        )

    def oauth_finish(
        self, *, redirect_uri: str, code: str, code_verifier: str, domain: str, target: str = ""
    ) -> ProviderUser:
        app = MastodonApp.objects.filter(domain=domain).first()
        if app is None:
            raise ProviderError("oauth_failed", "No app on that instance.")
        token = oauth2_token(
            name=domain,
            token_url=self.base(domain) + "/oauth/token",
            client_id=app.client_id,
            client_secret=app.client_secret,
            redirect_uri=redirect_uri,
            code=code,
            code_verifier=code_verifier,
        )
        _status, body = json_request(
            "GET",
            self.base(domain) + "/api/v1/accounts/verify_credentials",
            name=domain,
            token=token,
        )
        return self._user(body)

    def oauth_origin(self, domain: str) -> str:
        if not domain:
            return ""
        try:
            parts = urlsplit(self.base(domain))
        except ProviderError:
            return ""
        return f"{parts.scheme}://{parts.netloc}"

    # ---- Notices ----

    def notice_post(self, *, handle: str, domain: str, text: str) -> str:
        """Post `text` (which mentions @handle@domain) as a direct message from our service
        account, so only the owner sees it."""
        service = settings.MASTODON_SERVICE_DOMAIN
        if not service or not settings.MASTODON_SERVICE_TOKEN:
            raise ProviderError("not_configured", "No Mastodon service account is configured.")
        _status, body = json_request(
            "POST",
            self.base(service) + "/api/v1/statuses",
            name=service,
            token=settings.MASTODON_SERVICE_TOKEN,
            data={"status": text, "visibility": "direct"},
        )
        if not isinstance(body, dict) or not body.get("id"):
            raise ProviderError("bad_response", f"{service} did not return the post's id.")
        return str(body["id"])


PROVIDER = Mastodon()
provider_register(PROVIDER)
