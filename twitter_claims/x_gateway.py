"""The only module that talks to Twitter/X.

Base URLs and credentials come from settings (X_API_BASE, X_AUTHORIZE_URL, X_TOKEN_URL,
X_CLIENT_ID, X_CLIENT_SECRET, X_BEARER_TOKEN, X_SERVICE_ACCESS_TOKEN), so tests and `make run`
point it at the fake provider in `twitter_claims/fake_x.py`. Every call has a timeout and every
failure becomes an `XError` with a stable `code`:

- ``not_configured``: the credentials this call needs are not set;
- ``unavailable``: X did not answer, answered 5xx or timed out;
- ``rate_limited``: X said 429;
- ``unauthorized``: X refused our credentials or the user's token (401/403);
- ``oauth_failed``: the authorization code could not be exchanged (bad, reused or expired code,
  wrong PKCE verifier, wrong redirect URI);
- ``bad_response``: X answered something we cannot read.

"User not found" is not an error: the lookups return None.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import requests
from django.conf import settings
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from twitter_claims.models import PlatformAccount
from twitter_claims.providers import OAuthStart, ProviderError, ProviderUser

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
USER_ID_RE = re.compile(r"^[0-9]{1,20}$")


class XError(ProviderError):
    """A failed call to X (the codes above)."""


# X's users are the providers' users: the numeric id as a decimal string, the handle, a name.
XUser = ProviderUser


def _timeout() -> float:
    return settings.X_TIMEOUT_SECONDS


def _api_url(path: str) -> str:
    if not settings.X_API_BASE:
        raise XError("not_configured", "X_API_BASE is not set.")
    return settings.X_API_BASE.rstrip("/") + path


def _request(method: str, path: str, *, token: str, **kwargs) -> dict[str, Any]:
    """Call the X API with a bearer token and return the decoded JSON body."""
    if not token:
        raise XError("not_configured", "No X token is configured for this call.")
    try:
        response = requests.request(
            method,
            _api_url(path),
            headers={"Authorization": f"Bearer {token}"},
            timeout=_timeout(),
            allow_redirects=False,
            **kwargs,
        )
    except requests.RequestException as error:
        raise XError("unavailable", f"X did not answer: {error.__class__.__name__}") from error
    if response.status_code == 429:
        raise XError("rate_limited", "X is rate limiting us; try again later.")
    if response.status_code in (401, 403):
        raise XError("unauthorized", f"X refused the request ({response.status_code}).")
    if response.status_code >= 500:
        raise XError("unavailable", f"X answered {response.status_code}.")
    try:
        body = response.json()
    except ValueError as error:
        raise XError("bad_response", "X answered something that is not JSON.") from error
    if not isinstance(body, dict):
        raise XError("bad_response", "X answered an unexpected JSON value.")
    if response.status_code >= 400 and not _is_not_found(body):
        raise XError("bad_response", f"X answered {response.status_code}.")
    return body


def _is_not_found(body: dict) -> bool:
    errors = body.get("errors") or []
    return (
        "data" not in body
        and isinstance(errors, list)
        and any(
            isinstance(e, dict) and str(e.get("type", "")).endswith("resource-not-found")
            for e in errors
        )
    )


def _user_from(body: dict) -> XUser | None:
    if _is_not_found(body):
        return None
    data = body.get("data")
    if not isinstance(data, dict):
        raise XError("bad_response", "X answered without user data.")
    user_id, username = str(data.get("id", "")), str(data.get("username", ""))
    if not USER_ID_RE.match(user_id) or not HANDLE_RE.match(username):
        raise XError("bad_response", "X answered a malformed user.")
    name = str(data.get("name", ""))[: PlatformAccount.NAME_MAX]
    return XUser(id=user_id, username=username, name=name)


def user_by_username(handle: str) -> XUser | None:
    """Return the X user who holds `handle` right now, or None if nobody does (app-only auth)."""
    if not HANDLE_RE.match(handle):
        return None
    return _user_from(
        _request("GET", f"/2/users/by/username/{handle}", token=settings.X_BEARER_TOKEN)
    )


def user_by_id(user_id: str) -> XUser | None:
    """Return the X user with this numeric id (and their current handle), or None."""
    if not USER_ID_RE.match(user_id):
        return None
    return _user_from(_request("GET", f"/2/users/{user_id}", token=settings.X_BEARER_TOKEN))


def user_me(access_token: str) -> XUser:
    """Return the user an OAuth access token belongs to (`/2/users/me`)."""
    user = _user_from(_request("GET", "/2/users/me", token=access_token))
    if user is None:
        raise XError("bad_response", "X did not say who the token belongs to.")
    return user


def tweet_post(text: str) -> str:
    """Post `text` as the service account and return the new tweet's id."""
    body = _request("POST", "/2/tweets", token=settings.X_SERVICE_ACCESS_TOKEN, json={"text": text})
    data = body.get("data")
    if not isinstance(data, dict) or not data.get("id"):
        raise XError("bad_response", "X did not return the new tweet's id.")
    return str(data["id"])


def _oauth_configured() -> None:
    missing = [
        name
        for name in ("X_AUTHORIZE_URL", "X_TOKEN_URL", "X_CLIENT_ID", "X_API_BASE")
        if not getattr(settings, name)
    ]
    if missing:
        raise XError("not_configured", "Twitter sign-in is not configured: " + ", ".join(missing))


def _token_response_check(response: requests.Response) -> requests.Response:
    """Tell an outage or rate limit at the token endpoint apart from a refused code (oauthlib
    only reads the body, and a 503 page has no OAuth error in it)."""
    if response.status_code == 429:
        raise XError("rate_limited", "X is rate limiting us; try again later.")
    if response.status_code >= 500:
        raise XError("unavailable", f"X answered {response.status_code}.")
    return response


def oauth_start(*, redirect_uri: str) -> OAuthStart:
    """Begin an OAuth 2.0 authorization-code flow with PKCE (S256).

    The caller keeps `state` and `code_verifier` server-side (the session) and sends the browser
    to `authorize_url`. `state` is 256 random bits, so it cannot be guessed.
    """
    _oauth_configured()
    session = OAuth2Session(
        settings.X_CLIENT_ID,
        redirect_uri=redirect_uri,
        scope=list(settings.X_OAUTH_SCOPES),
        pkce="S256",
    )
    url, state = session.authorization_url(
        settings.X_AUTHORIZE_URL, state=secrets.token_urlsafe(32)
    )
    # requests-oauthlib generated the verifier for the S256 challenge and keeps it on the
    # session object, which has no public getter; we carry it in the Django session instead.
    return OAuthStart(authorize_url=url, state=state, code_verifier=session._code_verifier)


def oauth_finish(*, redirect_uri: str, code: str, code_verifier: str) -> XUser:
    """Exchange the authorization code (with the PKCE verifier) and return who signed in.

    The token is used for `/2/users/me` only and then forgotten: we need the proof of identity,
    not a standing permission to act for the user.
    """
    _oauth_configured()
    session = OAuth2Session(settings.X_CLIENT_ID, redirect_uri=redirect_uri)
    session.register_compliance_hook("access_token_response", _token_response_check)
    try:
        token = session.fetch_token(
            settings.X_TOKEN_URL,
            code=code,
            code_verifier=code_verifier,
            client_secret=settings.X_CLIENT_SECRET or None,
            include_client_id=True if not settings.X_CLIENT_SECRET else None,
            timeout=_timeout(),
        )
    except OAuth2Error as error:
        raise XError("oauth_failed", f"X refused the authorization code: {error.error}") from error
    except requests.RequestException as error:
        raise XError("unavailable", f"X did not answer: {error.__class__.__name__}") from error
    except ValueError as error:  # a non-JSON token response
        raise XError("bad_response", "X answered the token request with garbage.") from error
    access_token = token.get("access_token") if isinstance(token, dict) else None
    if not access_token:
        raise XError("oauth_failed", "X returned no access token.")
    return user_me(access_token)
