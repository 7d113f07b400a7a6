"""Prometheus metrics for operators: what players get, and how the backing services hold up.

Apps report events through the small functions below (one counter step each; the sync hot path
pays about a microsecond). Under gunicorn every worker writes its samples to files in
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode, set up by
`deploy/gunicorn.conf.py`), and `/metrics` adds them all up. Without that variable (the dev
server, tests) the process's own registry is served.

`/metrics` is not public: it answers clients on the loopback interface that came through no
proxy, and anyone sending `Authorization: Bearer <METRICS_TOKEN>` when that setting is set;
everyone else gets a plain 404, as if it did not exist. nginx does not route it either.
"""

import hmac
import ipaddress
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

# An empty PROMETHEUS_MULTIPROC_DIR (as .env.example ships it) means "not set": prometheus-client
# would take it for the current folder and write its sample files there. Before its import.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip():
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

from prometheus_client import (  # after the environment fix above
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

# The sync API's URL name: its 429 and 503 answers are sync outcomes too.
SYNC_ENDPOINT = "clicks-sync"

SYNCS = Counter(
    "clickgame_syncs_total",
    "Click syncs answered, by outcome: applied, duplicate, rate_limited (429), unavailable (503).",
    ["outcome"],
)
SYNC_CLICKS = Counter(
    "clickgame_sync_clicks_total",
    "Clicks sent in applied syncs: accepted (counted) or rejected (over the anti-cheat cap).",
    ["fate"],
)
REQUEST_SECONDS = Histogram(
    "clickgame_request_seconds",
    "Time to answer a request, by endpoint (URL name) and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESPONSES = Counter(
    "clickgame_responses_total",
    "Answers by endpoint (URL name) and HTTP status.",
    ["endpoint", "status"],
)
BOARD_REBUILDS = Counter(
    "clickgame_board_rebuilds_total",
    "Live leaderboard rebuilds from PostgreSQL, by result: done or failed.",
    ["result"],
)
BOARD_REPAIRS = Counter(
    "clickgame_board_repairs_total",
    "Live board entries found wrong and corrected, by who found them: rebuild or reconcile.",
    ["source"],
)
BOARD_READY = Gauge(
    "clickgame_board_ready",
    "1 while the live leaderboard in Redis is complete; 0 while it is lost or being rebuilt.",
    multiprocess_mode="mostrecent",
)
BACKEND_ERRORS = Counter(
    "clickgame_backend_errors_total",
    "Errors talking to a backing service, by backend: database or redis.",
    ["backend"],
)


def sync_answered(*, duplicate: bool, accepted: int, rejected: int) -> None:
    """A sync was answered 200: applied (with its accepted and rejected clicks) or a duplicate."""
    if duplicate:
        SYNCS.labels("duplicate").inc()
        return
    SYNCS.labels("applied").inc()
    if accepted:
        SYNC_CLICKS.labels("accepted").inc(accepted)
    if rejected:
        SYNC_CLICKS.labels("rejected").inc(rejected)


def board_rebuilt(*, ok: bool, repaired: int = 0) -> None:
    """A board rebuild finished (`ok`) or failed; it corrected `repaired` entries after its swap."""
    BOARD_REBUILDS.labels("done" if ok else "failed").inc()
    if repaired:
        BOARD_REPAIRS.labels("rebuild").inc(repaired)


def board_reconciled(*, repaired: int) -> None:
    """A periodic reconciliation pass corrected `repaired` board entries."""
    if repaired:
        BOARD_REPAIRS.labels("reconcile").inc(repaired)


def board_ready(ready: bool) -> None:
    """The live board became ready (complete) or was found lost / is being rebuilt."""
    BOARD_READY.set(1 if ready else 0)


def backend_error(backend: str) -> None:
    """A call to `backend` ("database" or "redis") failed."""
    BACKEND_ERRORS.labels(backend).inc()


def backend_error_seen(exc: BaseException) -> None:
    """Count `exc` (or the error it was raised from) when it is a database or Redis failure."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DatabaseError):
            backend_error("database")
            return
        if isinstance(cause, RedisError | ConnectionInterrupted):
            backend_error("redis")
            return
        cause = cause.__cause__


GetResponse = Callable[[HttpRequest], HttpResponse]


class MetricsMiddleware:
    """Time every answer and count it by endpoint and status (routed requests only)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # Unrouted paths (scanners) share one label, so they cannot grow the label set.
        endpoint = match.view_name if match is not None else "unrouted"
        REQUEST_SECONDS.labels(endpoint, request.method or "").observe(
            time.perf_counter() - started
        )
        status = response.status_code
        RESPONSES.labels(endpoint, str(status)).inc()
        if endpoint == SYNC_ENDPOINT and status in (429, 503):
            SYNCS.labels("rate_limited" if status == 429 else "unavailable").inc()
        return response


def _from_loopback(request: HttpRequest) -> bool:
    # REMOTE_ADDR is the client after TrustedProxyMiddleware; a proxy on this host connects from
    # loopback but says whom it forwards, so any forwarding header means "not local".
    if any(name in request.META for name in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED")):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _has_token(request: HttpRequest) -> bool:
    token: str = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def scrape_allowed(request: HttpRequest) -> bool:
    """Loopback clients without a proxy in between, or the holder of METRICS_TOKEN."""
    return _from_loopback(request) or _has_token(request)


def exposition() -> bytes:
    """All metrics in the Prometheus text format, summed over gunicorn workers when there are."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def serve_metrics(port: int) -> None:
    """Serve this process's metrics on `port` from a thread (the board keeper, not behind nginx).

    Publish no such port: on the Compose network only Prometheus reaches it.
    """
    start_http_server(port)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics for Prometheus; 404 for everyone not allowed to scrape."""
    if not scrape_allowed(request):
        return HttpResponseNotFound(b"Not Found", content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
