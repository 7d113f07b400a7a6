"""Request-level guards that run before any view: proxy trust and body size."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

GetResponse = Callable[[HttpRequest], HttpResponse]
# request.META key holding the connection's own address, before X-Forwarded-For is believed.
PEER_ADDR_KEY = "CLICKGAME_PEER_ADDR"


def client_ip(remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The client's address, believing X-Forwarded-For only for `trusted_proxies` hops.

    Each trusted proxy appends the address it received the request from, so the client is the
    entry `trusted_proxies` places from the right; anything further left is client-supplied.
    """
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return hops[0] if hops else remote_addr
    return hops[-trusted_proxies]


class TrustedProxyMiddleware:
    """Set REMOTE_ADDR to the real client behind `TRUSTED_PROXY_COUNT` reverse proxies."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The socket's peer, kept for checks that must not rest on forwarded headers alone.
        request.META.setdefault(PEER_ADDR_KEY, request.META.get("REMOTE_ADDR", ""))
        request.META["REMOTE_ADDR"] = client_ip(
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_X_FORWARDED_FOR", ""),
            settings.TRUSTED_PROXY_COUNT,
        )
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Answer 413 for a declared body over the limit before anything reads it.

    The JSON API takes small documents (`MAX_REQUEST_BODY_BYTES`); other routes (admin forms, the
    Telegram webhook, whose updates can quote long messages) get Django's larger upload limit.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                {"error": "bad_request", "detail": "Content-Length is not a number."}, status=400
            )
        limit = (
            settings.MAX_REQUEST_BODY_BYTES
            if request.path.startswith("/api/")
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if length > limit:
            return JsonResponse(
                {"error": "too_large", "detail": f"Request body is over {limit} bytes."},
                status=413,
            )
        return self.get_response(request)
