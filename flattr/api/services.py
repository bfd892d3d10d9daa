"""Writes of the API app: deleting a thing, applications, personal tokens, revocations.

Flattrs, things and subscriptions themselves are written by flattr.services; this module only
adds what the API has and the pages do not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    AccessToken,
    Application,
    Grant,
    RefreshToken,
    set_token_value,
)
from oauthlib.common import generate_token

from flattr.api.auth import SCOPES, scopes_split
from flattr.api.redirects import callback_url_valid
from flattr.errors import FlattrError
from flattr.models import Thing
from flattr.services.things import counts_forget_on_commit, thing_button_keys

APP_NAME_MAX = 100
TOKEN_LABEL_MAX = 100


@transaction.atomic
def thing_delete(*, thing: Thing, actor) -> bool:
    """Delete the owner's thing; return True if its row is gone.

    A thing that was ever flattred stays in the books (its flattrs and payday shares point at
    it), so it is closed and unlisted instead (`closed`: no more flattrs, its page shown to its
    owner only; `hidden`: out of every listing), but kept for statements.
    Raise FlattrError `not_found` unless `actor` owns it.
    """
    thing = (
        Thing.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=thing.pk)
        .first()
    )
    if thing is None or thing.owner_id is None or thing.owner_id != actor.pk:
        raise FlattrError("not_found")
    thing_id, keys = thing.pk, thing_button_keys(thing)
    if thing.flattrs.exists():
        Thing.objects.filter(pk=thing_id).update(
            hidden=True, closed=True, updated_at=timezone.now()
        )
        deleted = False
    else:
        thing.subscriptions.all().delete()
        thing.delete()
        deleted = True
    counts_forget_on_commit([thing_id], keys)
    return deleted


def scopes_clean(raw) -> str:
    """Return known scopes, space-separated, from a list or a space/comma string."""
    scopes = scopes_split(" ".join(raw) if isinstance(raw, list | tuple) else str(raw or ""))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise FlattrError("invalid_parameters", _("Unknown scope: %(s)s.") % {"s": unknown[0]})
    return " ".join(s for s in SCOPES if s in scopes)


@dataclass(frozen=True)
class NewApplication:
    application: Application
    client_secret: str  # shown once; only its hash is stored


@transaction.atomic
def application_create(*, user, name: str, callback_url: str) -> NewApplication:
    """Register an OAuth client (authorization code flow, confidential) for `user`."""
    name = (name or "").strip()
    if not 1 <= len(name) <= APP_NAME_MAX:
        raise FlattrError("invalid_parameters", _("Give the application a name."), field="name")
    secret = generate_client_secret()
    application = Application(
        user=user,
        name=name,
        redirect_uris=(callback_url or "").strip(),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=secret,
        hash_client_secret=True,
        algorithm="",
    )
    # Not full_clean(): the toolkit's own check allows http and https only (see redirects).
    if not callback_url_valid(application.redirect_uris):
        raise FlattrError(
            "invalid_parameters",
            _("Enter the callback URL your application is sent back to."),
            field="callback_url",
        )
    application.save()
    return NewApplication(application=application, client_secret=secret)


@transaction.atomic
def application_delete(*, user, application_id: int) -> None:
    deleted, _rows = Application.objects.filter(pk=application_id, user=user).delete()
    if not deleted:
        raise FlattrError("not_found")


@transaction.atomic
def authorization_revoke(*, user, application_id: int) -> int:
    """Revoke every token and pending code `user` gave the application; return tokens revoked."""
    RefreshToken.objects.filter(user=user, application_id=application_id).delete()
    Grant.objects.filter(user=user, application_id=application_id).delete()
    revoked, _rows = AccessToken.objects.filter(user=user, application_id=application_id).delete()
    return revoked


@dataclass(frozen=True)
class NewToken:
    token: AccessToken
    value: str  # shown once


@transaction.atomic
def personal_token_create(*, user, scopes) -> NewToken:
    """Create a personal access token (no application) with the chosen scopes."""
    scope = scopes_clean(scopes)
    if not scope:
        raise FlattrError("invalid_parameters", _("Choose at least one scope."), field="scopes")
    value = generate_token()
    expires = timezone.now() + dt.timedelta(
        seconds=settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    )
    token = AccessToken(user=user, application=None, expires=expires, scope=scope)
    set_token_value(token, value)  # only its checksum is stored (RFC 9700 token storage)
    token.save()
    return NewToken(token=token, value=value)


@transaction.atomic
def personal_token_revoke(*, user, token_id: int) -> None:
    deleted, _rows = AccessToken.objects.filter(
        pk=token_id, user=user, application__isnull=True
    ).delete()
    if not deleted:
        raise FlattrError("not_found")
