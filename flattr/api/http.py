"""The API's HTTP conventions, in one decorator every endpoint goes through.

Flattr's clients were written against a lenient server, so this module is lenient the same way:
trailing slashes (the URL patterns), JSON or form bodies on any method, `_method=patch` on a POST,
`access_token` as a parameter as well as a Bearer header, `?jsonp=` (or `callback`), CORS on every
answer, and `X-RateLimit-*` headers counted per token or IP. Whatever goes wrong, the answer is
Flattr's error object `{"error", "error_description", "error_uri"}`, never an HTML page.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from flattr.api import ratelimit
from flattr.api.auth import ApiAuth, client_ip, token_authenticate
from flattr.errors import FlattrError

logger = logging.getLogger(__name__)

ERROR_URI = "https://developers.flattr.net/api/#errors"
# Flattr's error codes and their statuses (content/api/errors.md).
ERROR_STATUS = {
    "invalid_request": 400,
    "invalid_parameters": 400,
    "validation": 400,
    "unauthorized": 401,
    "no_means": 401,
    "flattr_once": 403,
    "flattr_owner": 403,
    "thing_owner": 403,
    "subscribed": 403,
    "forbidden": 403,
    "invalid_scope": 403,
    "insufficient_scope": 403,
    "rate_limit_exceeded": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "server_error": 500,
}
# Refusals of core and of platform apps (FlattrError codes) as API errors.
FLATTR_CODES = {
    "flattr_once": "flattr_once",
    "flattr_owner": "flattr_owner",
    "no_means": "no_means",
    "account_frozen": "forbidden",
    "thing_hidden": "not_found",
    "not_found": "not_found",
    "flattr_closed": "forbidden",
    "invalid_url": "validation",
    "thing_exists": "validation",
    "invalid_parameters": "validation",
    "subscription_exists": "subscribed",
    "unknown_handle": "not_found",
    "opted_out": "forbidden",
    "invalid_handle": "validation",
}
JSONP_CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, X-Requested-With",
    "Access-Control-Expose-Headers": (
        "Location, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Current, X-RateLimit-Reset"
    ),
    "Access-Control-Max-Age": "86400",
}
ACCEPTABLE = ("json", "javascript", "*/*", "application/*", "text/*")


class ApiError(Exception):
    """An answer in Flattr's error shape; `extra` keys are added to the body."""

    def __init__(self, code: str, description: str = "", *, status: int | None = None, extra=None):
        self.code = code
        self.status = status or ERROR_STATUS.get(code, 400)
        self.description = description or code
        self.extra = extra or {}
        super().__init__(f"{code}: {self.description}")

    @classmethod
    def from_flattr(cls, error: FlattrError) -> ApiError:
        return cls(FLATTR_CODES.get(error.code, "invalid_parameters"), str(error.message))


@dataclass
class ApiResult:
    """What an endpoint returns: a body (None for 204), a status and extra headers."""

    data: object = None
    status: int = 200
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    raw: str | None = None  # a body that is not JSON (the Atom activity feed)


def error_body(code: str, description: str) -> dict:
    return {"error": code, "error_description": description, "error_uri": ERROR_URI}


def render(request: HttpRequest, result: ApiResult) -> HttpResponse:
    """Turn a result into a response: JSON (or JSONP), CORS, rate-limit headers."""
    if result.raw is not None:
        response = HttpResponse(result.raw, status=result.status, content_type=result.content_type)
    elif result.data is None and result.status == 204:
        response = HttpResponse(status=204)
        del response["Content-Type"]
    else:
        body = json.dumps(result.data, ensure_ascii=False, separators=(",", ":"))
        callback = request.GET.get("jsonp") or request.GET.get("callback") or ""
        if callback and JSONP_CALLBACK.match(callback) and len(callback) <= 100:
            response = HttpResponse(
                f"/**/{callback}({body});",
                status=result.status,
                content_type="application/javascript; charset=utf-8",
            )
        else:
            response = HttpResponse(body, status=result.status, content_type=result.content_type)
    for name, value in {**CORS_HEADERS, **result.headers}.items():
        response[name] = value
    if "Location" in result.headers:
        response.url = result.headers["Location"]  # as HttpResponseRedirect has it
    rate_headers = getattr(request, "api_rate_headers", None)
    if rate_headers is None:
        rate_headers = ratelimit.peek(ApiAuth(ip=client_ip(request)))
    for name, value in rate_headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def error_response(request: HttpRequest, error: ApiError) -> HttpResponse:
    body = {**error_body(error.code, error.description), **error.extra}
    return render(request, ApiResult(body, error.status))


def body_parse(request: HttpRequest) -> dict:
    """Return the request's parameters: the query string overlaid by a JSON or form body."""
    data: dict = {key: request.GET.get(key) for key in request.GET}
    raw = request.body or b""
    content_type = request.content_type or ""
    if raw.strip():
        if "json" in content_type or raw.lstrip()[:1] in (b"{", b"["):
            try:
                parsed = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as error:
                raise ApiError("invalid_request", _("The body is not valid JSON.")) from error
            if not isinstance(parsed, dict):
                raise ApiError("invalid_request", _("The body must be a JSON object."))
            data.update(parsed)
        else:
            try:
                form = request.POST if request.method == "POST" else QueryDict(raw)
            except Exception as error:  # a malformed multipart body
                raise ApiError("invalid_request", _("The body could not be read.")) from error
            data.update({key: form.get(key) for key in form})
    return data


def accept_check(request: HttpRequest) -> None:
    accept = request.headers.get("Accept", "").lower()
    if accept and not any(kind in accept for kind in ACCEPTABLE):
        raise ApiError("not_acceptable", _("This API answers in JSON only."))


def endpoint(
    *methods: str, auth: str = "public", scope: str | None = None, counted: bool = True
) -> Callable:
    """Wrap an API view: `auth` is "public" (a token is used when given) or "token"; `scope` is
    the OAuth scope the call needs. The view gets (request, **kwargs) with `request.api` (ApiAuth)
    and `request.api_data` (the parameters) and returns an ApiResult or raises ApiError."""
    allowed = {method.upper() for method in methods}

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method == "OPTIONS":
                    return render(request, ApiResult(None, 204))
                method = request.method
                if method == "HEAD":
                    method = "GET"
                data = body_parse(request)
                override = str(data.pop("_method", "") or "").upper()
                if method == "POST" and override in {"PATCH", "PUT", "DELETE"}:
                    method = override
                request.api_method = method
                request.api_data = data
                request.api = token_authenticate(request, data)
                if counted:
                    request.api_rate_headers, exceeded = ratelimit.hit(request.api)
                    if exceeded:
                        raise ApiError(
                            "rate_limit_exceeded",
                            _("Too many calls this hour; the limit resets on the hour."),
                        )
                else:
                    request.api_rate_headers = ratelimit.peek(request.api)
                if method not in allowed:
                    raise ApiError(
                        "method_not_allowed",
                        _("This resource does not answer %(method)s.") % {"method": method},
                        status=405,
                    )
                accept_check(request)
                if auth == "token" and request.api.user is None:
                    raise ApiError("unauthorized", _("This call needs an access token."))
                if scope and not request.api.has_scope(scope):
                    if request.api.user is None:
                        raise ApiError("unauthorized", _("This call needs an access token."))
                    raise ApiError(
                        "insufficient_scope",
                        _("This call needs the “%(scope)s” scope.") % {"scope": scope},
                    )
                result = view(request, *args, **kwargs)
            except ApiError as error:
                response = error_response(request, error)
                if error.status == 405:
                    response["Allow"] = ", ".join(sorted(allowed | {"OPTIONS"}))
                return response
            except FlattrError as error:
                return error_response(request, ApiError.from_flattr(error))
            except Http404:
                return error_response(request, ApiError("not_found", _("No such resource.")))
            except Exception:
                logger.exception("API error on %s %s", request.method, request.path)
                return error_response(
                    request, ApiError("server_error", _("Something went wrong on our side."))
                )
            return render(request, result)

        wrapper.api_methods = allowed
        return wrapper

    return decorate


__all__ = ["ApiAuth", "ApiError", "ApiResult", "endpoint", "error_body", "render"]
