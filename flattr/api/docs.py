"""The API's documentation: a readable page with curl examples, and the OpenAPI document."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from flattr.api.openapi import openapi_document
from flattr.api.webhooks import EVENTS


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(openapi_document(server=_base(request) + "/rest/v2"))
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    site = _base(request)
    return render(
        request,
        "flattr_api/docs.html",
        {"site": site, "api": site + "/rest/v2", "events": EVENTS},
    )
