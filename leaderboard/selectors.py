"""Leaderboard reads: the board around a player, ranks, the global total, stats, board status.

Every function here only reads: no row, no Redis key and no thread is created by a read. A board
that needs work is reported (`board_status`) and repaired by `run_board_keeper`.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import NotRequired, TypedDict

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from redis.exceptions import RedisError

from core.outage import OutagePause
from core.pacing import paced_interval_ms
from leaderboard import live
from leaderboard.boards import (
    Board,
    BoardNotReady,
    BoardView,
    NotOnLiveBoard,
    Ranked,
    RedisBoard,
    SnapshotBoard,
    SqlBoard,
    board_backend,
    fallback_board,
)
from leaderboard.models import BoardSnapshot, ClickTotalShard, GlobalStats
from leaderboard.rebuild import LockHolder, rebuild_lock_holder
from players.models import Player, public_game_name

logger = logging.getLogger(__name__)

# A GlobalStats row older than this is not shown; its numbers are counted for the reader instead.
STATS_MAX_AGE = timedelta(seconds=30)
# A board answer that shows a banned or deleted player is asked again (then of the fallback).
VIEW_ATTEMPTS = 3
# While the live board cannot answer, clients are told to poll the leaderboard this rarely.
DEGRADED_POLL_INTERVAL_MS = 30_000
# An open leaderboard refreshes at most this often (see `board_poll_interval_ms`).
BOARD_POLL_MIN_MS = 5_000
# After Redis failed a read, this process asks the fallback board directly for this long, so a
# Redis outage costs one connection timeout per process and pause, not one per request.
LIVE_BOARD_PAUSE_SECONDS = 5.0


# This process's memory of a recent Redis failure on the read path (a circuit breaker).
live_board_pause = OutagePause(seconds=LIVE_BOARD_PAUSE_SECONDS)


class LeaderboardEntry(TypedDict):
    rank: int
    player_id: int
    game_name: str
    clicks: int
    share: float


class Leaderboard(TypedDict):
    total_clicks: int
    total_players: int
    top: list[LeaderboardEntry]
    around: list[LeaderboardEntry]
    me: LeaderboardEntry
    # When to ask again: longer past the sync budget, 30 s while degraded.
    poll_interval_ms: int
    # Only for answers from the snapshot: ranks and total_players are this old.
    source: NotRequired[str]
    stale_seconds: NotRequired[float]


def total_clicks() -> int:
    """Every click ever counted: the sum of the total-click shards."""
    return int(ClickTotalShard.objects.aggregate(total=Sum("clicks"))["total"] or 0)


def click_share(*, clicks: int, total: int) -> float:
    """A player's clicks as a percent of all clicks, unrounded (0 when there are none)."""
    return clicks * 100 / total if total > 0 else 0.0


@dataclass(frozen=True)
class _Answer:
    """A view, the board that gave it, whether the live board was degraded, and names."""

    view: BoardView
    board: Board
    degraded: bool
    around: list[Ranked]
    names: dict[int, str]


def _view(board: Board, player_id: int) -> tuple[BoardView, Board, bool]:
    """The board's view; the fallback's when the live board cannot answer (degraded unless it
    only lacks this player)."""
    try:
        return board.view(player_id=player_id), board, False
    except NotOnLiveBoard:
        fallback = fallback_board()
        return fallback.view(player_id=player_id), fallback, False
    except BoardNotReady:
        fallback = fallback_board()
        return fallback.view(player_id=player_id), fallback, True
    except RedisError:
        logger.exception("live leaderboard unreachable; answering from the fallback board")
        live_board_pause.failed()
        fallback = fallback_board()
        return fallback.view(player_id=player_id), fallback, True


def _default_board() -> tuple[Board, bool]:
    """The configured board, or the fallback (degraded) while Redis recently failed here."""
    if live_board_pause.active() and live.redis_client() is not None:
        return fallback_board(), True
    return board_backend(), False


def _around(view: BoardView) -> list[Ranked]:
    top_ids = {entry.player_id for entry in view.top}
    if view.me.player_id in top_ids:
        return []
    near = [view.above, view.me, view.below]
    return [entry for entry in near if entry is not None and entry.player_id not in top_ids]


def _named_view(board: Board, player_id: int, *, degraded: bool = False) -> _Answer:
    """The view, its `around` entries and the public names of everyone shown (one query).

    A live board can briefly list a player who was just banned or deleted (the keeper removes
    such entries): the answer then comes from the fallback board, which reads the table.
    """
    for _ in range(VIEW_ATTEMPTS):
        view, answered_by, degraded_now = _view(board, player_id)
        degraded = degraded or degraded_now
        around = _around(view)
        shown = {entry.player_id for entry in [*view.top, *around, view.me]}
        rows = Player.objects.filter(pk__in=shown).values_list(
            "pk", "game_name", "name_status", "is_banned"
        )
        names = {pk: public_game_name(pk, name, status) for pk, name, status, _banned in rows}
        stale = [pk for pk, _name, _status, banned in rows if banned]
        stale += sorted(shown - names.keys())
        if not stale:
            return _Answer(view, answered_by, degraded, around, names)
        logger.info("board showed players no longer visible %s; asking the table", stale)
        board = fallback_board() if isinstance(answered_by, RedisBoard) else answered_by
    return _named_view(SqlBoard(), player_id)


def leaderboard_for(*, player_id: int, board: Board | None = None) -> Leaderboard:
    """The leaderboard as `player_id` sees it: top 5, own place with neighbours, totals.

    `around` is empty when the player is in the top 5, else the entries directly above and below
    the player and the player, leaving out entries already in `top`. Equal clicks share a rank and
    are listed smaller player id first. Names are the public ones (placeholders for refused or
    unreviewed names). `board` picks a backend (default: Redis when configured, else the
    fallback). `poll_interval_ms` says when to ask again (`board_poll_interval_ms`; 30 s when the
    live board could not answer and the fallback did); an answer from the snapshot carries
    `source` and `stale_seconds`.
    Raises NotFound for unknown or banned players.
    """
    board, degraded = (board, False) if board is not None else _default_board()
    answer = _named_view(board, player_id, degraded=degraded)
    view, names = answer.view, answer.names
    total = total_clicks()

    def entry(ranked: Ranked) -> LeaderboardEntry:
        return {
            "rank": ranked.rank,
            "player_id": ranked.player_id,
            "game_name": names[ranked.player_id],
            "clicks": ranked.clicks,
            "share": click_share(clicks=ranked.clicks, total=total),
        }

    from_snapshot = isinstance(answer.board, SnapshotBoard)
    result: Leaderboard = {
        "total_clicks": total,
        "total_players": view.total_players,
        "top": [entry(ranked) for ranked in view.top],
        "around": [entry(ranked) for ranked in answer.around],
        "me": entry(view.me),
        "poll_interval_ms": DEGRADED_POLL_INTERVAL_MS
        if answer.degraded or from_snapshot
        else board_poll_interval_ms(active_players=view.active_players),
    }
    if from_snapshot:
        result["source"] = "snapshot"
        result["stale_seconds"] = round(answer.board.stale_seconds, 1)
    return result


def board_poll_interval_ms(*, active_players: int | None) -> int:
    """How long a client with the leaderboard open waits before asking again.

    At least BOARD_POLL_MIN_MS, and never shorter than the sync interval the same number of
    active players gets (SYNC_BUDGET_RPS): past the budget, boards refresh less often along with
    the syncs, so the board's share of the load stops growing with the players. Without the
    count (the SQL board), the minimum.
    """
    if active_players is None:
        return BOARD_POLL_MIN_MS
    return paced_interval_ms(
        active_players=active_players,
        budget_rps=settings.SYNC_BUDGET_RPS,
        minimum_ms=BOARD_POLL_MIN_MS,
        maximum_ms=DEGRADED_POLL_INTERVAL_MS,
    )


def ranks_for(*, player_ids: list[int], board: Board | None = None) -> dict[int, tuple[int, float]]:
    """(rank, share) of each visible player among `player_ids`; others are left out."""
    board = board or _default_board()[0]
    try:
        ranked = board.ranks(player_ids=list(player_ids))
    except BoardNotReady:
        ranked = fallback_board().ranks(player_ids=list(player_ids))
    except RedisError:
        logger.exception("live leaderboard unreachable; ranking from the fallback board")
        live_board_pause.failed()
        ranked = fallback_board().ranks(player_ids=list(player_ids))
    total = total_clicks()
    return {
        pk: (entry.rank, click_share(clicks=entry.clicks, total=total))
        for pk, entry in ranked.items()
    }


def global_stats(*, max_age: timedelta = STATS_MAX_AGE) -> GlobalStats:
    """The headline numbers: the stored row while fresher than `max_age`, else counted now.

    A read: a stale or missing row is not written back (`run_board_keeper` and
    `global_stats_refresh` store it). Counting costs the 64-shard sum and one count of visible
    players; the returned object is then unsaved.
    """
    now = timezone.now()
    stats = GlobalStats.objects.filter(pk=GlobalStats.SINGLETON_PK).first()
    if stats is not None and now - stats.last_updated < max_age:
        return stats
    return GlobalStats(
        pk=GlobalStats.SINGLETON_PK,
        total_clicks=total_clicks(),
        total_users=Player.objects.visible().count(),
        last_updated=now,
    )


@dataclass(frozen=True)
class BoardStatus:
    """The live board's state for probes, the admin and metrics (read without writing).

    `backend` is "redis" or "sql"; `ready` whether the live board answers; `rebuild_pending`
    when Redis is configured and the board lacks its ready key (Redis lost it) or Redis is
    unreachable; `rebuild` the lock holder while a rebuild runs; `snapshot_age_seconds` the age
    of the fallback snapshot (None without one).
    """

    backend: str
    ready: bool
    rebuild_pending: bool
    redis_reachable: bool
    rebuild: LockHolder | None
    snapshot_players: int | None
    snapshot_age_seconds: float | None

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready data."""
        return {
            "backend": self.backend,
            "ready": self.ready,
            "rebuild_pending": self.rebuild_pending,
            "redis_reachable": self.redis_reachable,
            "rebuild_owner": None if self.rebuild is None else self.rebuild.owner,
            "rebuild_age_seconds": None
            if self.rebuild is None
            else round(self.rebuild.age_seconds, 1),
            "snapshot_players": self.snapshot_players,
            "snapshot_age_seconds": None
            if self.snapshot_age_seconds is None
            else round(self.snapshot_age_seconds, 1),
        }


def board_status() -> BoardStatus:
    """Where the board stands: ready, rebuild pending or running, snapshot age."""
    snapshot = BoardSnapshot.objects.filter(pk=BoardSnapshot.SINGLETON_PK).first()
    snapshot_players = None if snapshot is None else snapshot.players
    snapshot_age = (
        None if snapshot is None else (timezone.now() - snapshot.taken_at).total_seconds()
    )
    client = live.redis_client()
    if client is None:
        return BoardStatus("sql", True, False, False, None, snapshot_players, snapshot_age)
    try:
        ready = bool(client.exists(live.BOARD_READY_KEY))
        holder = rebuild_lock_holder(client)
    except RedisError:
        return BoardStatus("redis", False, True, False, None, snapshot_players, snapshot_age)
    return BoardStatus("redis", ready, not ready, True, holder, snapshot_players, snapshot_age)
