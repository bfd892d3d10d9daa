"""X (Twitter): OAuth 2.0 with PKCE, handles resolved through `/2/users/by/username/`, owners
told by a post from the service account. The calls are in twitter_claims/x_gateway.py; X also
keeps its own pages under /twitter/ and flattrs kept against handles X could not resolve
(services.handles), which the other providers do without (an unresolvable handle is refused)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from twitter_claims import x_gateway
from twitter_claims.providers import OAuthStart, Provider, ProviderUser, provider_register

POST_MAX = 280  # the length of a post on X


class X(Provider):
    key = "twitter"
    name = "Twitter/X"
    domain = "x.com"
    handle_re = x_gateway.HANDLE_RE
    can_notify = True

    @property
    def reserved(self):  # type: ignore[override]
        from twitter_claims.services.handles import RESERVED_PATHS

        return RESERVED_PATHS

    def profile_url_parse(self, url: str) -> tuple[str, str] | None:
        from twitter_claims.selectors import profile_url_handle

        handle = profile_url_handle(url)
        return (handle, self.domain) if handle else None

    def account_page(self, handle: str, domain: str) -> str:
        return reverse("twitter_claims:account", kwargs={"handle": handle})

    def thing_url(self, user: ProviderUser, domain: str) -> str:
        return f"https://x.com/i/user/{user.id}"

    def user_lookup(self, handle: str, domain: str) -> ProviderUser | None:
        return x_gateway.user_by_username(handle)

    def user_by_id(self, user_id: str, domain: str) -> ProviderUser | None:
        return x_gateway.user_by_id(user_id)

    def oauth_start(self, *, redirect_uri: str, domain: str) -> OAuthStart:
        return x_gateway.oauth_start(redirect_uri=redirect_uri)

    def oauth_finish(
        self, *, redirect_uri: str, code: str, code_verifier: str, domain: str, target: str = ""
    ) -> ProviderUser:
        return x_gateway.oauth_finish(
            redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
        )

    def oauth_origin(self, domain: str) -> str:
        parts = urlsplit(settings.X_AUTHORIZE_URL or "")
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""

    def notice_post(self, *, handle: str, domain: str, text: str) -> str:
        return x_gateway.tweet_post(text)


PROVIDER = X()
provider_register(PROVIDER)
