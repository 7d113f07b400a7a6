"""A cheap per-player throttle for read endpoints: one cache INCR per request.

A fixed window per player (`API_READ_RATE`, e.g. 240/m): the first request of a window adds the
counter, every later one is a single INCR. When the cache is unreachable the throttle lets the
request through, so a Redis outage never turns reads into errors by itself; after a failure
this process leaves the cache out of the throttle for a few seconds and logs the outage once.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.outage import OutagePause

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# After the cache failed, this process lets reads through uncounted for this long.
CACHE_RETRY_SECONDS = 5.0
read_throttle_pause = OutagePause(seconds=CACHE_RETRY_SECONDS)


def parse_rate(rate: str) -> tuple[int, int]:
    """`"240/m"` -> (240, 60): requests allowed and the window in seconds (`"100/10m"` too)."""
    count, _, period = rate.partition("/")
    multiplier = int(period[:-1]) if period[:-1] else 1
    return int(count), multiplier * _PERIODS[period[-1]]


class PlayerReadThrottle(BaseThrottle):
    """At most `API_READ_RATE` requests per player (by Telegram id) on the views that use it."""

    scope = "read"
    timer: Callable[[], float] = time.time

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        """Count this request in the player's window; False once the window is spent."""
        ident = getattr(request.user, "telegram_id", None) or self.get_ident(request)
        limit, period = parse_rate(settings.API_READ_RATE)
        now = self.timer()
        window = int(now // period)
        key = f"throttle:{self.scope}:{ident}:{window}"
        if read_throttle_pause.active():
            return True
        try:
            count = _incr_or_start(key, period)
        except (ConnectionInterrupted, RedisError, OSError) as exc:
            if read_throttle_pause.failed():
                logger.warning(
                    "read throttle skipped: the cache is unreachable (%s); retrying every %ss",
                    exc,
                    CACHE_RETRY_SECONDS,
                )
            return True
        if read_throttle_pause.succeeded():
            logger.warning("read throttle counts again: the cache is back")
        if count <= limit:
            return True
        self.wait_seconds = max(1.0, (window + 1) * period - now)
        return False

    def wait(self) -> float | None:
        """Seconds until the player's window ends (sent as Retry-After)."""
        return self.wait_seconds


def _incr_or_start(key: str, period: int) -> int:
    try:
        return int(cache.incr(key))
    except ValueError:  # no counter yet in this window
        if cache.add(key, 1, period + 5):
            return 1
        return int(cache.incr(key))
