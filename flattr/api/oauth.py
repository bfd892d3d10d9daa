"""The OAuth2 provider at Flattr's paths, /oauth/authorize and /oauth/token.

django-oauth-toolkit does the protocol; this module bends it to what Flattr's clients send:
token requests as a form *or* JSON body (the docs' example is JSON, most clients send a form),
scopes joined by commas as well as spaces (oauthlib splits on spaces only), client credentials
in HTTP Basic or in the body (the toolkit accepts both), no PKCE (settings), and the token answer
Flattr documented: `{"access_token", "token_type": "bearer", "scope"}`, no-store.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.views import AuthorizationView, TokenView

from flattr.api.auth import scopes_split


def _scope_fix(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, " ".join(scopes_split(v)) if k == "scope" else v) for k, v in pairs]


def _redirect_uri_fix(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Repair the callback of a token request the way Flattr's clients send it.

    The WordPress plugin urlencodes its callback before its HTTP client encodes the body again,
    so the URL arrives still encoded once; other clients leave `redirect_uri` out of the token
    request altogether. An encoded callback is decoded; a missing one is taken from the code's
    grant, which holds the callback the code was issued for (so nothing an attacker sends can
    redirect anywhere: the code is only ever bound to its own registered callback).
    """
    data = dict(pairs)
    uri = data.get("redirect_uri", "")
    for _round in range(2):
        if uri and "://" not in uri and "%3A" in uri.upper():
            uri = unquote(uri)
    if not uri and data.get("grant_type") == "authorization_code" and data.get("code"):
        from oauth2_provider.models import Grant

        grant = Grant.objects.filter(code=data["code"][:255]).only("redirect_uri").first()
        uri = grant.redirect_uri if grant is not None else ""
    if not uri:
        return pairs
    return [(k, v) for k, v in pairs if k != "redirect_uri"] + [("redirect_uri", uri)]


class FlattrOAuthLibCore(OAuthLibCore):
    """Reads form and JSON bodies alike, and comma-joined scopes anywhere."""

    def _get_escaped_full_path(self, request: HttpRequest) -> str:
        uri = super()._get_escaped_full_path(request)
        parts = urlsplit(uri)
        if "scope=" not in parts.query:
            return uri
        query = urlencode(_scope_fix(parse_qsl(parts.query, keep_blank_values=True)))
        return urlunsplit(parts._replace(query=query))

    def extract_body(self, request: HttpRequest):
        if "json" in (request.content_type or "") and request.body:
            try:
                data = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                data = {}
            pairs = [(str(k), str(v)) for k, v in data.items()] if isinstance(data, dict) else []
        else:
            pairs = super().extract_body(request)
        return _redirect_uri_fix(_scope_fix(pairs))


class FlattrAuthorizationView(AuthorizationView):
    """The consent page ("Allow Podcatcher to flattr for you?") inside the site's frame."""

    template_name = "flattr_api/authorize.html"


@method_decorator(csrf_exempt, name="dispatch")
class FlattrTokenView(TokenView):
    """Issues tokens and answers exactly Flattr's three fields."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        response["Access-Control-Allow-Origin"] = "*"
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return response
        if response.status_code == 200 and "access_token" in body:
            body = {
                "access_token": body["access_token"],
                "token_type": "bearer",
                "scope": body.get("scope", ""),
            }
        else:
            body.setdefault("error", "invalid_request")
            body.setdefault("error_description", body["error"].replace("_", " "))
        response.content = json.dumps(body).encode()
        response["Content-Type"] = "application/json; charset=utf-8"
        return response

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        body = {"error": "invalid_request", "error_description": "Use POST."}
        return HttpResponse(json.dumps(body), status=405, content_type="application/json")
