"""Under /rest/v2 every answer is JSON in Flattr's error shape, even when something outside the
API views answers: Django's 404/500 handlers, CSRF failures, a crash in another middleware."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)
PREFIX = "/rest/v2"
CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 406: "not_acceptable"}  # fmt: skip


class ApiErrorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def _applies(self, request: HttpRequest) -> bool:
        return request.path_info == PREFIX or request.path_info.startswith(PREFIX + "/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not self._applies(request) or response.status_code < 400:
            return response
        if "json" in response.get("Content-Type", "") or "javascript" in response.get(
            "Content-Type", ""
        ):
            return response
        return self._error(request, response.status_code)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not self._applies(request):
            return None
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exception)
        from flattr.outage import OUTAGE_ERRORS, RETRY_AFTER_SECONDS

        if isinstance(exception, OUTAGE_ERRORS):  # Redis unreachable: try again, not a bug
            response = self._error(request, 503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return self._error(request, 500)

    def _error(self, request: HttpRequest, status: int) -> HttpResponse:
        from flattr.api.http import ApiError, error_response

        code = CODES.get(status, "server_error" if status >= 500 else "invalid_request")
        return error_response(request, ApiError(code, code.replace("_", " "), status=status))
