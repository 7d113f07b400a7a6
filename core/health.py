"""Liveness and readiness probes for load balancers and orchestrators."""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Named reports the apps add to /ready (e.g. the leaderboard's "rebuild pending"): information
# for operators that does not make the process unready. core imports no app, so apps register
# here from their AppConfig.ready().
_REPORTS: dict[str, Callable[[], dict[str, object]]] = {}


def ready_report_register(name: str, report: Callable[[], dict[str, object]]) -> None:
    """Show `report()` under `reports.<name>` in /ready; it must only read and be quick."""
    _REPORTS[name] = report


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """The database and the cache answer; 503 naming what is down otherwise."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    ok = all(checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks, "reports": _reports()}
    response = JsonResponse(body, status=200 if ok else 503)
    if not ok:
        response["Retry-After"] = "5"
    return response


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("readiness: database check failed")
        return False


def _cache_ok() -> bool:
    key, token = "ready:probe", uuid.uuid4().hex
    try:
        cache.set(key, token, timeout=10)
        return cache.get(key) == token
    except Exception:
        logger.exception("readiness: cache check failed")
        return False


def _reports() -> dict[str, object]:
    reports: dict[str, object] = {}
    for name, report in _REPORTS.items():
        try:
            reports[name] = report()
        except Exception:
            logger.exception("readiness: report %s failed", name)
            reports[name] = {"error": "unavailable"}
    return reports
