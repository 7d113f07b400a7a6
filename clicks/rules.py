"""Click sync arithmetic with no Django in it: the anti-cheat token bucket, the per-player sync
rate window and the sync interval.

The PostgreSQL sync statement (`clicks.sql`) evaluates the very same formulas in SQL;
tests check that both agree.
"""

import math
from dataclasses import dataclass

from core.pacing import paced_interval_ms

# The client is told to wait between syncs at least this long and at most this long.
MIN_SYNC_INTERVAL_MS = 1000
MAX_SYNC_INTERVAL_MS = 30000
# Unix seconds as floats step by ~0.24 µs today, so `rate * elapsed` carries noise of about
# 1e-5 clicks: an honest player at exactly the rate would sometimes see 0.99999 and lose a click.
# Accepting from `allowance + TOLERANCE` avoids that; what it lends is kept as a (tiny) negative
# allowance and paid back by the next refill, so over any sequence at most TOLERANCE extra is
# ever accepted, never more.
TOLERANCE = 1e-3


@dataclass(frozen=True)
class ClickCap:
    """The anti-cheat cap: `rate` clicks per second, banked up to `burst` clicks."""

    rate: float
    burst: float

    @classmethod
    def of(cls, *, per_second: int, burst_seconds: int) -> "ClickCap":
        """The cap for `per_second` clicks per second with `burst_seconds` seconds of banking."""
        return cls(rate=float(per_second), burst=float(per_second * burst_seconds))


@dataclass(frozen=True)
class CapDecision:
    """What the cap made of one batch and the bucket left behind."""

    accepted: int
    rejected: int
    allowance: float
    allowance_at: float


def refilled_allowance(
    cap: ClickCap, *, allowance: float, allowance_at: float, now: float
) -> float:
    """The allowance after refilling for the time since `allowance_at`, at most the burst.

    A clock that went backwards refills nothing (elapsed time is never negative).
    """
    return min(cap.burst, allowance + cap.rate * max(0.0, now - allowance_at))


def apply_cap(
    cap: ClickCap, *, count: int, allowance: float, allowance_at: float, now: float
) -> CapDecision:
    """Spend the bucket on a batch of `count` clicks arriving at `now` (unix seconds).

    accepted = min(count, floor(refilled allowance + TOLERANCE)); the rest is rejected. The
    refill time never moves backwards, so a clock jump cannot mint clicks twice.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    available = refilled_allowance(cap, allowance=allowance, allowance_at=allowance_at, now=now)
    accepted = min(count, max(0, math.floor(available + TOLERANCE)))
    return CapDecision(
        accepted=accepted,
        rejected=count - accepted,
        allowance=available - accepted,
        allowance_at=max(allowance_at, now),
    )


def sync_interval_ms(*, active_players: int, budget_rps: int) -> int:
    """Milliseconds a client waits between syncs so `active_players` stay within `budget_rps`.

    More players means longer intervals (bigger batches), bounded to 1-30 seconds.
    """
    return paced_interval_ms(
        active_players=active_players,
        budget_rps=budget_rps,
        minimum_ms=MIN_SYNC_INTERVAL_MS,
        maximum_ms=MAX_SYNC_INTERVAL_MS,
    )


_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


@dataclass(frozen=True)
class SyncRate:
    """At most `limit` syncs per player in a window of `period` seconds."""

    limit: int
    period: float

    @classmethod
    def parse(cls, rate: str) -> "SyncRate":
        """A rate in django-ratelimit's notation: "120/m", "5/10s", "1000/h"."""
        count, _, per = rate.partition("/")
        multiplier, unit = per[:-1], per[-1:]
        if (
            not count.isdigit()
            or unit not in _PERIOD_SECONDS
            or not (multiplier == "" or multiplier.isdigit())
        ):
            raise ValueError(f"not a rate: {rate!r} (expected e.g. '120/m')")
        seconds = int(multiplier or 1) * _PERIOD_SECONDS[unit]
        if int(count) < 1 or seconds < 1:
            raise ValueError(f"not a rate: {rate!r} (the count and period must be positive)")
        return cls(limit=int(count), period=float(seconds))


@dataclass(frozen=True)
class WindowDecision:
    """Whether one more sync fits the player's rate window, and the window it leaves behind.

    `retry_after` (seconds) is positive only when the sync is refused.
    """

    allowed: bool
    window_at: float
    window_syncs: int
    retry_after: float


def sync_window(
    rate: SyncRate, *, window_at: float, window_syncs: int, now: float
) -> WindowDecision:
    """Count one sync in a fixed window that opens with the first sync after the last one closed.

    A window is open for `rate.period` seconds from `window_at`; inside it at most `rate.limit`
    syncs are allowed. A clock that went backwards keeps the window open (never reopens it early).
    """
    if now - window_at >= rate.period:
        return WindowDecision(allowed=True, window_at=now, window_syncs=1, retry_after=0.0)
    if window_syncs < rate.limit:
        return WindowDecision(True, window_at, window_syncs + 1, 0.0)
    return WindowDecision(
        False, window_at, window_syncs, min(rate.period, window_at + rate.period - now)
    )
