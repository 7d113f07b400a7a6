"""The one error vocabulary: domain errors and the DRF handler that renders every error alike.

Every error response is `{"error": "<code>", "detail": "<human sentence>"}` with the right HTTP
status; validation errors add `"fields"` with the per-field messages.
"""

import logging
import math
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from django_ratelimit.exceptions import Ratelimited
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.metrics import backend_error_seen

logger = logging.getLogger(__name__)

# How long a client should wait before retrying when a backing service is down.
SERVICE_RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    """Base of the errors services raise; `code` and `status` reach the client unchanged."""

    code: str = "error"
    status: int = status.HTTP_400_BAD_REQUEST
    default_detail: str = "The request could not be completed."

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        self.detail = detail or self.default_detail
        if code is not None:
            self.code = code
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """Input that breaks a game rule (a name too short, a count out of range)."""

    code = "invalid"


class NotFound(DomainError):
    code = "not_found"
    status = status.HTTP_404_NOT_FOUND
    default_detail = "Not found."


class Conflict(DomainError):
    code = "conflict"
    status = status.HTTP_409_CONFLICT


class Forbidden(DomainError):
    code = "forbidden"
    status = status.HTTP_403_FORBIDDEN
    default_detail = "You are not allowed to do this."


class RateLimited(DomainError):
    """Too many requests; the client retries after `retry_after` seconds and loses nothing."""

    code = "rate_limited"
    status = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many requests, try again later."

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    """A backing service (database, cache) is down; nothing was applied."""

    code = "unavailable"
    status = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The game server is busy, try again shortly."


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": code, "detail": detail, **extra}


def _first_code(codes: Any) -> str:
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list):
        for value in codes:
            return _first_code(value)
    return str(codes) if codes else "invalid"


def _first_message(detail: Any, field: str = "") -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            return _first_message(value, name)
    if isinstance(detail, list):
        for value in detail:
            return _first_message(value, field)
    return f"{field}: {detail}" if field else str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render domain, DRF, rate-limit and outage errors as `{"error", "detail"}` JSON."""
    headers: dict[str, str] = {}
    backend_error_seen(exc)
    if isinstance(exc, DomainError):
        if isinstance(exc, RateLimited | ServiceUnavailable):
            retry = exc.retry_after if isinstance(exc, RateLimited) else SERVICE_RETRY_AFTER_SECONDS
            headers["Retry-After"] = str(retry)
        return Response(error_body(exc.code, exc.detail), status=exc.status, headers=headers)
    if isinstance(exc, Ratelimited):
        return Response(
            error_body("rate_limited", "Too many requests, try again later."),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": "60"},
        )
    if isinstance(exc, exceptions.Throttled):
        # A DRF throttle (core.throttles): the same answer as every other rate limit.
        return Response(
            error_body(RateLimited.code, RateLimited.default_detail),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(max(1, math.ceil(exc.wait or 1)))},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("too_large", "Request body is too large."), status=413)
    # django-redis wraps Redis failures in its own ConnectionInterrupted (not a RedisError).
    if isinstance(exc, DatabaseError | RedisError | ConnectionInterrupted):
        logger.exception("backing service failed")
        return Response(
            error_body(ServiceUnavailable.code, ServiceUnavailable.default_detail),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(SERVICE_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            _first_code(exc.get_codes()), _first_message(exc.detail), fields=exc.detail
        )
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body("malformed_json", str(exc.detail))
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = error_body("missing", "Sign in through Telegram: initData is missing.")
    else:
        response.data = error_body(_first_code(exc.get_codes()), _first_message(exc.detail))
    return response


API_PREFIX = "/api/"

# Error codes and sentences for the answers Django gives before or around a DRF view.
_STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "No such API endpoint."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("too_large", "Request body is too large."),
    500: ("server_error", "The server failed; the error is logged."),
}


def json_or_html_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for unrouted paths: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
    return page_not_found(request, exception)


def api_error_as_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """`response` itself, or for a non-JSON error under /api/ the same status as `{error, detail}`.

    DRF views already answer JSON; this covers what Django answers itself: DEBUG's 404 page, a
    405 from `require_http_methods`, a 500 page. Headers such as `Allow` and `Retry-After` stay.
    """
    content_type = response.get("Content-Type", "")
    if (
        response.status_code < 400
        or not request.path.startswith(API_PREFIX)
        or content_type.startswith("application/json")
    ):
        return response
    code, detail = _STATUS_ERRORS.get(
        response.status_code, ("server_error" if response.status_code >= 500 else "error", "")
    )
    if response.status_code == 405 and response.get("Allow"):
        detail = f"{request.method} is not allowed here; use {response['Allow']}."
    json_response = JsonResponse(
        error_body(code, detail or response.reason_phrase + "."), status=response.status_code
    )
    for header in ("Allow", "Retry-After", "Vary"):
        if header in response:
            json_response[header] = response[header]
    # Django logs an error response once; the replacement must not be logged a second time.
    if getattr(response, "_has_been_logged", False):
        json_response._has_been_logged = True  # type: ignore[attr-defined]
    return json_response


class ApiJsonErrorsMiddleware:
    """Every error under /api/ is `{"error", "detail"}` JSON, whoever produced it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return api_error_as_json(request, self.get_response(request))
