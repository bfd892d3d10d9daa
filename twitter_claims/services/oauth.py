"""OAuth round trips with X: start (random state, PKCE verifier kept in the session), finish
(state checked and spent once, code exchanged), and the short-lived identity a sign-in proves.

The state itself and the verifier live in the browser's server-side session; the database keeps
only a hash of the state (OAuthAttempt), spent by a conditional UPDATE, so a replayed callback
fails from any browser. No network call happens inside a transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from twitter_claims.errors import TwitterError
from twitter_claims.models import OAuthAttempt
from twitter_claims.providers import Provider, ProviderError
from twitter_claims.providers.x import PROVIDER as X
from twitter_claims.x_gateway import XUser

logger = logging.getLogger(__name__)

OAUTH_SESSION_KEY = "twitter_oauth"
IDENTITY_SESSION_KEY = "twitter_identity"
OAUTH_PURPOSES = ("claim", "connect", "login", "optout")


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _unavailable(provider: Provider) -> TwitterError:
    if provider.key == X.key:
        return TwitterError("x_unavailable")
    return TwitterError("provider_unavailable", provider=provider.name)


def _named(provider: Provider, code: str) -> TwitterError:
    """The error `code`, in the words of X's messages or naming the other provider."""
    if provider.key == X.key:
        return TwitterError(code)
    return TwitterError(code, provider=provider.name)


def _callback_url(provider: Provider) -> str:
    if provider.key == X.key:
        return settings.SITE_URL + reverse("twitter_claims:callback")
    return settings.SITE_URL + reverse("platform_callback", kwargs={"provider": provider.key})


def oauth_begin(
    *,
    session,
    purpose: str,
    extra: dict | None = None,
    provider: Provider = X,
    domain: str = "",
) -> str:
    """Start a sign-in with the provider (X unless told) and return the URL to send the
    browser to.

    The random `state` and the PKCE code verifier stay server-side in the session; a hash of the
    state is recorded so it can be spent once only.
    """
    if purpose not in OAUTH_PURPOSES:
        raise TwitterError("invalid_parameters")
    redirect_uri = _callback_url(provider)
    domain = domain or provider.domain
    try:
        start = provider.oauth_start(redirect_uri=redirect_uri, domain=domain)
    except ProviderError as error:
        raise _unavailable(provider) from error
    OAuthAttempt.objects.create(state_hash=_state_hash(start.state), purpose=purpose)
    session[OAUTH_SESSION_KEY] = {
        "state": start.state,
        "verifier": start.code_verifier,
        "purpose": purpose,
        "redirect_uri": redirect_uri,
        "started": time.time(),
        **(extra or {}),
        "provider": provider.key,
        "domain": domain,
    }
    return start.authorize_url


def oauth_complete(*, session, params, provider: Provider = X) -> tuple[XUser, dict]:
    """Finish a sign-in with the provider: check and spend the state, exchange the code with
    the PKCE verifier, and return (who signed in, the flow's data). Raise TwitterError
    otherwise; nothing has changed then.

    The flow is removed from the session first, so a replay from the same browser finds nothing;
    the database marks the state used, so a replay from anywhere else fails too.
    """
    flow = session.pop(OAUTH_SESSION_KEY, None)
    state, code, error = params.get("state", ""), params.get("code", ""), params.get("error", "")
    if not isinstance(flow, dict) or not state or not flow.get("state"):
        raise TwitterError("oauth_denied" if error else "oauth_state")
    if not constant_time_compare(state, flow["state"]):
        raise TwitterError("oauth_state")
    if flow.get("provider", X.key) != provider.key:  # began with another provider
        raise TwitterError("oauth_state")
    max_age = settings.TWITTER_OAUTH_MAX_AGE_SECONDS
    now = timezone.now()
    spent = OAuthAttempt.objects.filter(
        state_hash=_state_hash(state),
        used_at__isnull=True,
        created_at__gte=now - dt.timedelta(seconds=max_age),
    ).update(used_at=now)
    if spent != 1 or time.time() - float(flow.get("started", 0)) > max_age:
        raise TwitterError("oauth_state")
    if error:
        raise _named(provider, "oauth_denied")
    if not code or len(code) > 512:
        raise TwitterError("oauth_failed")
    try:
        if provider.needs_target and not flow.get("target"):
            # Signing in without naming an account (the login page): every account the person
            # controls; the first stands for them, the view looks for one that is linked.
            found = provider.oauth_finish_all(
                redirect_uri=flow["redirect_uri"],
                code=code,
                code_verifier=flow["verifier"],
                domain=flow.get("domain") or provider.domain,
            )
            if not found:
                raise ProviderError("not_manager", "You manage no account there.")
            flow["accounts"] = [account.id for account in found]
            x_user = found[0]
        else:
            x_user = provider.oauth_finish(
                redirect_uri=flow["redirect_uri"],
                code=code,
                code_verifier=flow["verifier"],
                domain=flow.get("domain") or provider.domain,
                target=str(flow.get("target", "")),
            )
    except ProviderError as failure:
        logger.info("%s sign-in failed: %s", provider.name, failure)
        if failure.code in ("unavailable", "rate_limited", "not_configured"):
            raise _unavailable(provider) from failure
        if failure.code == "not_manager":
            raise TwitterError("not_manager", provider=provider.name) from failure
        raise _named(provider, "oauth_failed") from failure
    return x_user, flow


def identity_remember(*, session, x_user: XUser, provider: str = X.key, domain: str = "") -> None:
    """Keep a just-proven identity in the session for the short account step."""
    session[IDENTITY_SESSION_KEY] = {
        "id": x_user.id,
        "username": x_user.username,
        "name": x_user.name,
        "at": time.time(),
        "provider": provider,
        "domain": domain,
    }


def identity_recall(*, session, provider: str = X.key) -> XUser | None:
    """Return the identity with `provider` proven in this session within
    TWITTER_OAUTH_MAX_AGE_SECONDS (and its domain, as `identity_domain` tells)."""
    data = session.get(IDENTITY_SESSION_KEY)
    if not isinstance(data, dict) or data.get("provider", X.key) != provider:
        return None
    if time.time() - float(data.get("at", 0)) > settings.TWITTER_OAUTH_MAX_AGE_SECONDS:
        session.pop(IDENTITY_SESSION_KEY, None)
        return None
    return XUser(id=data["id"], username=data["username"], name=data.get("name", ""))


def identity_domain(*, session) -> str:
    data = session.get(IDENTITY_SESSION_KEY)
    return str(data.get("domain", "")) if isinstance(data, dict) else ""


def identity_forget(*, session) -> None:
    session.pop(IDENTITY_SESSION_KEY, None)


def oauth_attempts_prune(*, older_than_hours: int = 24) -> int:
    """Delete OAuth attempts older than a day; their states expired long ago."""
    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    deleted, _ = OAuthAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
