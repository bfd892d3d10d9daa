"""HTTP for the providers: one JSON request function and the OAuth 2 authorization-code flow
with PKCE (requests-oauthlib), shared by GitHub, Mastodon and Facebook.

Nothing here touches the database, so no transaction is ever held open across a network call.
Every failure becomes a ProviderError with a stable code; "not found" is a 404 the caller reads.
"""

from __future__ import annotations

import secrets
from typing import Any

import requests
from django.conf import settings
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from twitter_claims.providers import OAuthStart, ProviderError


def _timeout() -> float:
    return settings.PROVIDER_TIMEOUT_SECONDS


def json_request(method: str, url: str, *, name: str, token: str = "", **kwargs) -> tuple[int, Any]:
    """Call a provider's API and return (status, decoded JSON); 404 is returned, not raised."""
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.request(
            method, url, headers=headers, timeout=_timeout(), allow_redirects=False, **kwargs
        )
    except requests.RequestException as error:
        raise ProviderError("unavailable", f"{name} did not answer.") from error
    if response.status_code == 429:
        raise ProviderError("rate_limited", f"{name} is rate limiting us; try again later.")
    if response.status_code in (401, 403):
        raise ProviderError("unauthorized", f"{name} refused the request.")
    if response.status_code >= 500:
        raise ProviderError("unavailable", f"{name} answered {response.status_code}.")
    if response.status_code == 404:
        return 404, None
    try:
        body = response.json()
    except ValueError as error:
        raise ProviderError(
            "bad_response", f"{name} answered something that is not JSON."
        ) from error
    if response.status_code >= 400:
        raise ProviderError("bad_response", f"{name} answered {response.status_code}.")
    return response.status_code, body


def oauth2_start(
    *, authorize_url: str, client_id: str, redirect_uri: str, scopes: list[str]
) -> OAuthStart:
    """Begin an authorization-code flow with PKCE (S256) and a 256-bit random state."""
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scopes, pkce="S256")
    url, state = session.authorization_url(authorize_url, state=secrets.token_urlsafe(32))
    # requests-oauthlib keeps the verifier on the session object only; we carry it in ours.
    return OAuthStart(authorize_url=url, state=state, code_verifier=session._code_verifier)


def oauth2_token(
    *,
    name: str,
    token_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
) -> str:
    """Exchange the code (with the PKCE verifier) and return the access token. The token is
    used once, to ask who signed in, and then forgotten."""

    def check(response: requests.Response) -> requests.Response:
        if response.status_code == 429:
            raise ProviderError("rate_limited", f"{name} is rate limiting us.")
        if response.status_code >= 500:
            raise ProviderError("unavailable", f"{name} answered {response.status_code}.")
        return response

    session = OAuth2Session(client_id, redirect_uri=redirect_uri)
    session.register_compliance_hook("access_token_response", check)
    try:
        token = session.fetch_token(
            token_url,
            code=code,
            code_verifier=code_verifier,
            client_secret=client_secret,
            include_client_id=True,
            timeout=_timeout(),
        )
    except OAuth2Error as error:
        raise ProviderError("oauth_failed", f"{name} refused the code: {error.error}") from error
    except requests.RequestException as error:
        raise ProviderError("unavailable", f"{name} did not answer.") from error
    except ValueError as error:
        raise ProviderError("bad_response", f"{name} answered the token request badly.") from error
    access_token = token.get("access_token") if isinstance(token, dict) else None
    if not access_token:
        raise ProviderError("oauth_failed", f"{name} returned no access token.")
    return access_token
