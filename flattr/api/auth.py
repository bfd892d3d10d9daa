"""Who is calling: the access token of a request (Bearer header or `access_token` parameter).

Tokens are django-oauth-toolkit's AccessToken rows, issued to an application through
/oauth/token or created on the settings page as personal tokens (no application). Scopes are
stored space-separated; some clients joined them with commas, which `scopes_split` accepts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

SCOPES = ("flattr", "thing", "email", "extendedread")
_SCOPE_SEPARATORS = re.compile(r"[\s,+]+")
TOKEN_MAX = 255


def scopes_split(raw: str) -> list[str]:
    """Return the scopes of "flattr thing", "flattr,thing" or "flattr, thing", in order."""
    seen: list[str] = []
    for scope in _SCOPE_SEPARATORS.split(raw or ""):
        if scope and scope not in seen:
            seen.append(scope)
    return seen


@dataclass(frozen=True)
class ApiAuth:
    """The caller: a user and the token's scopes, or nobody (user None) and the client's IP."""

    user: object = None
    token_id: int | None = None
    scopes: frozenset = field(default_factory=frozenset)
    ip: str = ""

    def has_scope(self, scope: str) -> bool:
        return self.user is not None and scope in self.scopes

    @property
    def rate_key(self) -> str:
        return f"token:{self.token_id}" if self.token_id else f"ip:{self.ip}"


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, from X-Forwarded-For behind our own trusted proxies."""
    from django.conf import settings

    proxies = int(getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def token_from_request(request: HttpRequest, data: dict) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and value.strip():
        return value.strip()
    token = data.get("access_token")
    return token.strip() if isinstance(token, str) else ""


def token_authenticate(request: HttpRequest, data: dict) -> ApiAuth:
    """Return the caller, or raise ApiError `unauthorized` for an unknown or expired token."""
    from oauth2_provider.models import AccessToken

    from flattr.api.http import ApiError

    ip = client_ip(request)
    raw = token_from_request(request, data)
    if not raw:
        return ApiAuth(ip=ip)
    token = None
    if len(raw) <= TOKEN_MAX:
        checksum = hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
        token = (
            AccessToken.objects.select_related("user")
            .filter(token_checksum=checksum, user__isnull=False)
            .first()
        )
    if token is None or token.expires <= timezone.now() or not token.user.is_active:
        raise ApiError("unauthorized", _("The access token is not valid (any more)."))
    return ApiAuth(
        user=token.user, token_id=token.pk, scopes=frozenset(scopes_split(token.scope)), ip=ip
    )
