"""Click use cases: sync a batch, reset a player, rebuild totals from history.

Invariants every function here keeps (and `stats_recalculate` restores):
- a player's `clicks` == sum of their ClickDay clicks - `history_clicks` of their latest reset;
- each total shard == sum of `clicks` of the players whose id falls into it, so the global total
  (sum of the shards) == sum of all players' clicks;
- the live board (Redis) gets each synced player's committed total after the commit, as an
  absolute score that only rises (`ZADD GT`), so one later sync heals a board that missed one.
- a player's `board_clicks` (the SQL board's order) is written with `clicks` by every change
  here except a sync that a ready live board tracks (not the player's first); the board keeper
  copies those (`leaderboard.snapshot.board_order_refresh`), so the sync's UPDATE stays HOT.

A sync needs PostgreSQL only: the per-player sync rate is checked inside the sync statement, and
Redis (the live board, the activity count behind `sync_interval_ms`) is written after the commit,
best effort. With Redis away, syncs are applied and acknowledged as usual and clients are told the
longest interval.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import Mod
from redis.exceptions import RedisError

from clicks.live import board_apply, board_tracks_syncs, sync_track
from clicks.models import ClickDay, ClickReset
from clicks.rules import (
    MAX_SYNC_INTERVAL_MS,
    TOLERANCE,
    ClickCap,
    SyncRate,
    apply_cap,
    sync_interval_ms,
    sync_window,
)
from clicks.selectors import players_active_last_minute
from clicks.sql import sync_statement_run
from core import metrics
from core.errors import Forbidden, InvalidInput, NotFound, RateLimited, ServiceUnavailable
from leaderboard.models import TOTAL_CLICK_SHARDS, ClickTotalShard, shard_for
from leaderboard.selectors import total_clicks
from players.models import Player
from players.services import player_sign_in

logger = logging.getLogger(__name__)

# The largest seq a client may send: PostgreSQL bigint.
MAX_SEQ = 2**63 - 1
# The largest batch id a client may send: the largest integer a JavaScript number (or a JSON
# number parsed as a double) holds exactly, so every client can make and keep one.
MAX_BATCH_ID = 2**53 - 1


@dataclass(frozen=True)
class SyncResult:
    """The answer to one sync; `seq` is the last applied seq, `clicks` the player's total.

    `same_batch`: a duplicate of the last applied seq that carried the batch id that seq was
    applied with; the client's own batch, counted before (its answer was lost).
    """

    accepted: int
    rejected: int
    duplicate: bool
    same_batch: bool
    seq: int
    clicks: int
    total_clicks: int
    sync_interval_ms: int

    def as_json(self) -> dict[str, int | bool]:
        """The answer's fields as a JSON object (`dataclasses.asdict` without its deep copy)."""
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicate": self.duplicate,
            "same_batch": self.same_batch,
            "seq": self.seq,
            "clicks": self.clicks,
            "total_clicks": self.total_clicks,
            "sync_interval_ms": self.sync_interval_ms,
        }


@dataclass(frozen=True)
class _Outcome:
    """What the database did with a sync (or found, when it applied nothing).

    `accepted`/`rejected` are the answer of `last_seq` when the sync's seq is that seq (applied
    now or before), else 0; `retry_after` > 0 means the sync rate refused it; `same_batch` means
    it applied nothing because that seq was applied before with this very batch id.
    """

    player_id: int
    clicks: int
    last_seq: int
    accepted: int
    rejected: int
    banned: bool
    applied: bool
    total_clicks: int
    retry_after: float = 0.0
    same_batch: bool = False


def click_cap() -> ClickCap:
    """The anti-cheat cap from settings."""
    return ClickCap.of(
        per_second=settings.MAX_CLICKS_PER_SECOND, burst_seconds=settings.CLICK_BURST_SECONDS
    )


def sync_rate() -> SyncRate:
    """The per-player sync rate from settings (CLICK_SYNC_RATE, e.g. "120/m")."""
    return _parsed_rate(settings.CLICK_SYNC_RATE)


@lru_cache(maxsize=4)
def _parsed_rate(rate: str) -> SyncRate:
    return SyncRate.parse(rate)


def _check_batch(*, seq: int, count: int, batch: int) -> None:
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        raise InvalidInput(f"seq must be an integer from 1 to {MAX_SEQ}.", code="invalid_seq")
    if type(count) is not int or not 0 <= count <= settings.MAX_CLICKS_PER_SYNC:
        raise InvalidInput(
            f"count must be an integer from 0 to {settings.MAX_CLICKS_PER_SYNC}.",
            code="invalid_count",
        )
    if type(batch) is not int or not 0 <= batch <= MAX_BATCH_ID:
        raise InvalidInput(
            f"batch must be an integer from 1 to {MAX_BATCH_ID}, or 0 for none.",
            code="invalid_batch",
        )


def _same_batch(*, last_seq: int, last_batch: int, seq: int, batch: int) -> bool:
    """True when a sync that applied nothing is the very batch applied as the last seq."""
    return last_seq == seq and batch != 0 and last_batch == batch


def clicks_sync(
    *,
    telegram_id: int,
    seq: int,
    count: int,
    batch: int = 0,
    now: float | None = None,
    first_name: str = "",
    username: str = "",
    language_code: str = "",
) -> SyncResult:
    """Apply a batch of `count` clicks numbered `seq` for a player, exactly once.

    A seq at or below the last applied one changes nothing and answers `duplicate`; a resend of
    the last applied seq answers what its first answer said (accepted, rejected), an older seq
    0 and 0. A seq that skips ahead is applied and becomes the last one. Clicks over the
    anti-cheat allowance are answered as rejected. A player seen for the first time is created
    (with the given profile). Call it outside a transaction: the live board is updated right
    after the database commit.

    `batch` is the client's random id of this batch, the same on every resend of it (0: the
    client sent none). It is kept with the last applied seq, so a duplicate of that seq with
    that id is answered `same_batch`: the client's own batch, counted before, where a different
    id (or none) may be another device's batch that took the seq.

    Redis is not needed: if it fails (or failed moments ago) the clicks are applied and the
    answer is normal, except `sync_interval_ms` is the maximum (the server is degraded, so
    clients slow down); the player's board entry is healed by their next sync with Redis back.

    Raises InvalidInput, Forbidden(code="banned"), RateLimited (over CLICK_SYNC_RATE; nothing
    applied), ServiceUnavailable (database down).
    """
    _check_batch(seq=seq, count=count, batch=batch)
    now = time.time() if now is None else now
    try:
        outcome = _apply(telegram_id=telegram_id, seq=seq, count=count, batch=batch, now=now)
        if outcome is None:
            player_sign_in(
                telegram_id=telegram_id,
                first_name=first_name,
                username=username,
                language_code=language_code,
            )
            outcome = _apply(telegram_id=telegram_id, seq=seq, count=count, batch=batch, now=now)
    except (OperationalError, InterfaceError) as exc:
        raise ServiceUnavailable() from exc
    if outcome is None:
        raise NotFound("No such player.")
    if outcome.banned:
        raise Forbidden("This player is banned.", code="banned")
    if outcome.retry_after > 0:
        raise RateLimited(
            "Too many syncs, try again later.", retry_after=math.ceil(outcome.retry_after)
        )

    try:
        active = sync_track(player_id=outcome.player_id, clicks=outcome.clicks, now=now)
    except RedisError:
        # Logged by sync_track once per outage; PostgreSQL has the truth, the board heals.
        metrics.backend_error("redis")
        interval = MAX_SYNC_INTERVAL_MS
    else:
        if active is None:
            active = players_active_last_minute(now=now)
        interval = sync_interval_ms(active_players=active, budget_rps=settings.SYNC_BUDGET_RPS)
    metrics.sync_answered(
        duplicate=not outcome.applied, accepted=outcome.accepted, rejected=outcome.rejected
    )
    return SyncResult(
        accepted=outcome.accepted,
        rejected=outcome.rejected,
        duplicate=not outcome.applied,
        same_batch=outcome.same_batch,
        seq=outcome.last_seq,
        clicks=outcome.clicks,
        total_clicks=outcome.total_clicks,
        sync_interval_ms=interval,
    )


def _apply(*, telegram_id: int, seq: int, count: int, batch: int, now: float) -> _Outcome | None:
    """Apply the batch in the database; None when the player does not exist."""
    if connection.vendor == "postgresql":
        return _apply_postgresql(
            telegram_id=telegram_id, seq=seq, count=count, batch=batch, now=now
        )
    return _apply_locked(telegram_id=telegram_id, seq=seq, count=count, batch=batch, now=now)


def _apply_postgresql(
    *, telegram_id: int, seq: int, count: int, batch: int, now: float
) -> _Outcome | None:
    cap = click_cap()
    rate = sync_rate()
    now_at = datetime.fromtimestamp(now, tz=UTC)
    params = {
        "telegram_id": telegram_id,
        "seq": seq,
        "count": count,
        "batch": batch,
        "now": now,
        "now_at": now_at,
        "day": now_at.date(),
        "rate": cap.rate,
        "burst": cap.burst,
        "tolerance": TOLERANCE,
        "rate_limit": rate.limit,
        "rate_period": rate.period,
        "board_write": not board_tracks_syncs(),
    }
    row = sync_statement_run(params)
    if row is None:
        return None
    outcome = _Outcome(*row)
    if not outcome.applied and not outcome.banned and outcome.last_seq < seq:
        if outcome.retry_after > 0:
            return outcome
        # A concurrent sync with this seq committed after this statement's snapshot was taken
        # (it held the row lock we waited for): read the row it left behind.
        return _read_current(telegram_id=telegram_id, seq=seq, batch=batch)
    return outcome


def _read_current(*, telegram_id: int, seq: int, batch: int) -> _Outcome | None:
    row = (
        Player.objects.filter(telegram_id=telegram_id)
        .values_list(
            "id",
            "clicks",
            "last_seq",
            "last_sync_accepted",
            "last_sync_rejected",
            "last_sync_batch",
            "is_banned",
        )
        .first()
    )
    if row is None:
        return None
    player_id, clicks, last_seq, accepted, rejected, last_batch, banned = row
    if last_seq != seq:
        accepted = rejected = 0
    return _Outcome(
        player_id,
        clicks,
        last_seq,
        accepted,
        rejected,
        banned,
        False,
        total_clicks(),
        same_batch=_same_batch(last_seq=last_seq, last_batch=last_batch, seq=seq, batch=batch),
    )


def _apply_locked(
    *, telegram_id: int, seq: int, count: int, batch: int, now: float
) -> _Outcome | None:
    """The same sync as ordinary statements under the player's row lock.

    On SQLite the transaction is IMMEDIATE (settings), so writers are serialised from BEGIN.
    """
    now_at = datetime.fromtimestamp(now, tz=UTC)
    with transaction.atomic():
        row = (
            Player.objects.select_for_update()
            .filter(telegram_id=telegram_id)
            .values_list(
                "id",
                "clicks",
                "last_seq",
                "last_sync_accepted",
                "last_sync_rejected",
                "last_sync_batch",
                "is_banned",
                "click_allowance",
                "click_allowance_at",
                "sync_window_at",
                "sync_window_syncs",
            )
            .first()
        )
        if row is None:
            return None
        player_id, clicks, last_seq, last_accepted, last_rejected, last_batch, *rest = row
        banned, allowance, allowance_at, window_at, window_syncs = rest
        if banned or last_seq >= seq:
            if last_seq != seq:
                last_accepted = last_rejected = 0
            return _Outcome(
                player_id,
                clicks,
                last_seq,
                last_accepted,
                last_rejected,
                banned,
                False,
                total_clicks(),
                same_batch=_same_batch(
                    last_seq=last_seq, last_batch=last_batch, seq=seq, batch=batch
                ),
            )
        window = sync_window(sync_rate(), window_at=window_at, window_syncs=window_syncs, now=now)
        if not window.allowed:
            return _Outcome(
                player_id,
                clicks,
                last_seq,
                0,
                0,
                False,
                False,
                total_clicks(),
                retry_after=window.retry_after,
            )
        decision = apply_cap(
            click_cap(), count=count, allowance=allowance, allowance_at=allowance_at, now=now
        )
        changes = {
            "clicks": F("clicks") + decision.accepted,
            "last_sync_accepted": decision.accepted,
            "last_sync_rejected": decision.rejected,
            "sync_window_at": window.window_at,
            "sync_window_syncs": window.window_syncs,
            "click_allowance": decision.allowance,
            "click_allowance_at": decision.allowance_at,
            "rejected_clicks": F("rejected_clicks") + decision.rejected,
            "last_seq": seq,
            "last_sync_batch": batch,
            "last_seen_at": now_at,
        }
        if decision.rejected:
            changes["last_rejected_at"] = now_at
        if last_seq == 0 or not board_tracks_syncs():
            changes["board_clicks"] = F("clicks") + decision.accepted
        Player.objects.filter(pk=player_id).update(**changes)
        _day_add(
            player_id=player_id,
            day=now_at.date(),
            clicks=decision.accepted,
            rejected=decision.rejected,
        )
        if decision.accepted:
            ClickTotalShard.objects.filter(shard=shard_for(player_id)).update(
                clicks=F("clicks") + decision.accepted
            )
        return _Outcome(
            player_id,
            clicks + decision.accepted,
            seq,
            decision.accepted,
            decision.rejected,
            False,
            True,
            total_clicks(),
        )


def _day_add(*, player_id: int, day: date, clicks: int, rejected: int) -> None:
    """Add one sync to the player's day row; the caller holds the player's row lock."""
    updated = ClickDay.objects.filter(player_id=player_id, day=day).update(
        clicks=F("clicks") + clicks, rejected=F("rejected") + rejected, syncs=F("syncs") + 1
    )
    if not updated:
        ClickDay.objects.create(
            player_id=player_id, day=day, clicks=clicks, rejected=rejected, syncs=1
        )


def clicks_reset(*, player_id: int) -> int:
    """Set a player's clicks to 0 and return how many were removed.

    The global total shard, the history marker (ClickReset) and the live board change with it,
    so `recalculate_stats` keeps the reset. Raises NotFound for an unknown player.
    """
    with transaction.atomic():
        row = (
            Player.objects.select_for_update()
            .filter(pk=player_id)
            .values_list("id", "clicks")
            .first()
        )
        if row is None:
            raise NotFound("No such player.")
        removed = int(row[1])
        # Read after the lock: every sync of this player that committed is in ClickDay now.
        history = ClickDay.objects.filter(player_id=player_id).aggregate(total=Sum("clicks"))
        Player.objects.filter(pk=player_id).update(
            clicks=F("clicks") - removed, board_clicks=F("clicks") - removed
        )
        if removed:
            ClickTotalShard.objects.filter(shard=shard_for(player_id)).update(
                clicks=F("clicks") - removed
            )
        ClickReset.objects.create(
            player_id=player_id,
            clicks_removed=removed,
            history_clicks=int(history["total"] or 0),
        )
        transaction.on_commit(
            lambda: board_apply([(player_id, -removed)], reason=f"reset of player {player_id}")
        )
    logger.info("clicks of player %s reset, %s removed", player_id, removed)
    return removed


@dataclass
class StatsReport:
    """What `stats_recalculate` found (and fixed, unless it was a dry run)."""

    dry_run: bool
    players_checked: int = 0
    players_drifted: int = 0
    clicks_drift: int = 0
    shards_drifted: int = 0
    total_before: int = 0
    total_after: int = 0
    examples: list[tuple[int, int, int]] = field(default_factory=list)


Progress = Callable[[str], None]
RECALCULATE_BATCH = 10_000
DRIFT_EXAMPLES = 10


def stats_recalculate(
    *, dry_run: bool = False, batch_size: int = RECALCULATE_BATCH, progress: Progress | None = None
) -> StatsReport:
    """Rebuild players' clicks and rejected totals and the total shards from ClickDay history.

    Idempotent: a second run finds no drift. Safe while players sync: each batch of players is
    row-locked while its history is summed, the shards are locked while players are summed.
    `dry_run` only reports the drift (read without locks, so under live load it is a snapshot).
    """
    report = StatsReport(dry_run=dry_run, total_before=total_clicks())
    ids = Player.objects.order_by("pk").values_list("pk", flat=True)
    first, last = ids.first(), ids.last()
    if first is not None and last is not None:
        for low in range(first, last + 1, batch_size):
            _recalculate_players(low=low, high=low + batch_size, report=report)
            if progress is not None:
                done = min(last, low + batch_size - 1)
                progress(
                    f"players up to id {done}: {report.players_checked} checked, "
                    f"{report.players_drifted} drifted"
                )
    _recalculate_shards(report=report)
    report.total_after = report.total_before if dry_run else total_clicks()
    return report


def _recalculate_players(*, low: int, high: int, report: StatsReport) -> None:
    with transaction.atomic():
        players = Player.objects.filter(pk__gte=low, pk__lt=high).order_by("pk")
        if not report.dry_run:
            players = players.select_for_update()
        current = list(players.values_list("pk", "clicks", "rejected_clicks"))
        if not current:
            return
        history = {
            player_id: (int(clicks or 0), int(rejected or 0))
            for player_id, clicks, rejected in ClickDay.objects.filter(
                player_id__gte=low, player_id__lt=high
            )
            .values("player_id")
            .annotate(clicks=Sum("clicks"), rejected=Sum("rejected"))
            .values_list("player_id", "clicks", "rejected")
        }
        offsets: dict[int, int] = {}
        for player_id, history_clicks in (
            ClickReset.objects.filter(player_id__gte=low, player_id__lt=high)
            .order_by("player_id", "-id")
            .values_list("player_id", "history_clicks")
        ):
            offsets.setdefault(player_id, history_clicks)
        fixes: list[tuple[int, int, int, int]] = []
        for player_id, clicks, rejected in current:
            day_clicks, day_rejected = history.get(player_id, (0, 0))
            expected = max(0, day_clicks - offsets.get(player_id, 0))
            if (clicks, rejected) != (expected, day_rejected):
                fixes.append((player_id, clicks, expected, day_rejected))
        report.players_checked += len(current)
        report.players_drifted += len(fixes)
        for player_id, clicks, expected, _ in fixes:
            report.clicks_drift += expected - clicks
            if len(report.examples) < DRIFT_EXAMPLES:
                report.examples.append((player_id, clicks, expected))
        if report.dry_run or not fixes:
            return
        for player_id, _, expected, day_rejected in fixes:
            Player.objects.filter(pk=player_id).update(
                clicks=expected, board_clicks=expected, rejected_clicks=day_rejected
            )
        board_changes = [(pid, expected - clicks) for pid, clicks, expected, _ in fixes]
        transaction.on_commit(lambda: board_apply(board_changes, reason="recalculate_stats"))


def _recalculate_shards(*, report: StatsReport) -> None:
    with transaction.atomic():
        shards = ClickTotalShard.objects.order_by("shard")
        if not report.dry_run:
            shards = shards.select_for_update()
        current = dict(shards.values_list("shard", "clicks"))
        # Summed after the shard locks: a sync holding a shard has committed its player by now.
        expected = dict(
            Player.objects.annotate(shard_no=Mod("id", TOTAL_CLICK_SHARDS))
            .values("shard_no")
            .annotate(total=Sum("clicks"))
            .values_list("shard_no", "total")
        )
        for shard in range(TOTAL_CLICK_SHARDS):
            want = int(expected.get(shard) or 0)
            if shard not in current:
                report.shards_drifted += 1
                if not report.dry_run:
                    ClickTotalShard.objects.create(shard=shard, clicks=want)
            elif current[shard] != want:
                report.shards_drifted += 1
                if not report.dry_run:
                    ClickTotalShard.objects.filter(shard=shard).update(clicks=want)
