"""Reads about clicks: recent activity and daily totals."""

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from clicks.live import ACTIVE_WINDOW_SECONDS, active_players_count
from clicks.models import ClickDay
from clicks.rules import MAX_SYNC_INTERVAL_MS, MIN_SYNC_INTERVAL_MS
from players.models import Player

# Without Redis the count is a database query, so it is cached this long.
ACTIVE_PLAYERS_CACHE_KEY = "clicks:active_players"
ACTIVE_PLAYERS_CACHE_SECONDS = 5


@dataclass(frozen=True)
class SyncLimits:
    """What every client syncs by; the server tells them (GET /api/me `limits`)."""

    # Clicks in one POST /api/clicks batch (the MAX_CLICKS_PER_SYNC setting).
    max_clicks_per_sync: int
    # Never sync more often than this, whatever else a client computes.
    min_sync_interval_ms: int
    # Failed syncs back off exponentially up to this; a Retry-After may ask for more.
    max_backoff_ms: int


def sync_limits() -> SyncLimits:
    """The click sync limits of this server, for the clients (one source of truth)."""
    return SyncLimits(
        max_clicks_per_sync=settings.MAX_CLICKS_PER_SYNC,
        min_sync_interval_ms=MIN_SYNC_INTERVAL_MS,
        max_backoff_ms=MAX_SYNC_INTERVAL_MS,
    )


def players_active_last_minute(*, now: float | None = None) -> int:
    """How many players synced clicks in the last minute.

    Redis when configured (a sorted set the sync keeps); otherwise players whose `last_seen_at`
    is under a minute old, counted at most every few seconds.
    """
    now = time.time() if now is None else now
    counted = active_players_count(now=now)
    if counted is not None:
        return counted
    cached = cache.get(ACTIVE_PLAYERS_CACHE_KEY)
    if cached is not None:
        return int(cached)
    since = datetime.fromtimestamp(now - ACTIVE_WINDOW_SECONDS, tz=UTC)
    counted = Player.objects.filter(last_seen_at__gte=since).count()
    cache.set(ACTIVE_PLAYERS_CACHE_KEY, counted, timeout=ACTIVE_PLAYERS_CACHE_SECONDS)
    return counted


def clicks_per_day(*, days: int, today: date | None = None) -> list[tuple[date, int]]:
    """Accepted clicks of all players per UTC day, for the last `days` days up to today.

    Every day is listed, oldest first, days without clicks as 0. Clicks later removed by a reset
    still count on the day they were made: this is activity, not the current total.
    """
    if days < 1:
        return []
    today = timezone.now().date() if today is None else today
    first = today - timedelta(days=days - 1)
    totals = dict(
        ClickDay.objects.filter(day__gte=first, day__lte=today)
        .values("day")
        .annotate(total=Sum("clicks"))
        .values_list("day", "total")
    )
    return [
        (first + timedelta(days=n), int(totals.get(first + timedelta(days=n)) or 0))
        for n in range(days)
    ]
