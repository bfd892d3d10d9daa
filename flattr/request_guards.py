"""Refuse requests no real browser sends, before any view reads them.

A NUL character (`%00`) in the path or the query string: PostgreSQL cannot store or compare NUL
in text, so a view that looks up or searches by such a parameter would fail with a 500 instead
of answering. Forms already refuse NUL in their fields (Django's ProhibitNullCharactersValidator);
this covers parameters read straight from the URL (searches, buttons, auto-submit links, profile
names). Bodies are left to the forms: reading them here would consume what the Stripe webhook
needs to verify its signature.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

NUL = "\x00"


class NulCharacterRefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or any(
            NUL in key or any(NUL in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "The address contains a control character (NUL, %00).", content_type="text/plain"
            )
        return self.get_response(request)
