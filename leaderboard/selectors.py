"""Leaderboard reads: the board around a player, ranks, the global total and the stats row."""

import logging
from datetime import timedelta
from typing import TypedDict

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from redis.exceptions import RedisError

from leaderboard.boards import Board, BoardNotReady, BoardView, Ranked, SqlBoard, board_backend
from leaderboard.models import ClickTotalShard, GlobalStats
from players.models import Player, public_game_name

logger = logging.getLogger(__name__)

# GlobalStats is recomputed (shard sum + a count) when read and older than this.
STATS_MAX_AGE = timedelta(seconds=10)
# A stale board entry (banned or deleted player) is dropped and the answer recomputed this often.
VIEW_ATTEMPTS = 3


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


def total_clicks() -> int:
    """Every click ever counted: the sum of the total-click shards."""
    return int(ClickTotalShard.objects.aggregate(total=Sum("clicks"))["total"] or 0)


def click_share(*, clicks: int, total: int) -> float:
    """A player's clicks as a percent of all clicks, unrounded (0 when there are none)."""
    return clicks * 100 / total if total > 0 else 0.0


def _view(board: Board, player_id: int) -> BoardView:
    """The board's answer; SQL's when the live board is not ready or Redis is unreachable."""
    try:
        return board.view(player_id=player_id)
    except BoardNotReady:
        return SqlBoard().view(player_id=player_id)
    except RedisError:
        logger.exception("live leaderboard unreachable; answering from SQL")
        return SqlBoard().view(player_id=player_id)


def _around(view: BoardView) -> list[Ranked]:
    top_ids = {entry.player_id for entry in view.top}
    if view.me.player_id in top_ids:
        return []
    near = [view.above, view.me, view.below]
    return [entry for entry in near if entry is not None and entry.player_id not in top_ids]


def _named_view(board: Board, player_id: int) -> tuple[BoardView, list[Ranked], dict[int, str]]:
    """The view, its `around` entries and the public names of everyone shown (one query).

    A live board can briefly list a player who was just banned or deleted: such entries are
    dropped from it and the view is asked again; after `VIEW_ATTEMPTS` the table answers.
    """
    for _ in range(VIEW_ATTEMPTS):
        view = _view(board, player_id)
        around = _around(view)
        shown = {entry.player_id for entry in [*view.top, *around, view.me]}
        rows = Player.objects.filter(pk__in=shown).values_list(
            "pk", "game_name", "name_status", "is_banned"
        )
        names = {pk: public_game_name(pk, name, status) for pk, name, status, _banned in rows}
        stale = [pk for pk, _name, _status, banned in rows if banned]
        stale += sorted(shown - names.keys())
        if not stale:
            return view, around, names
        board.forget(player_ids=stale)
    return _named_view(SqlBoard(), player_id)


def leaderboard_for(*, player_id: int, board: Board | None = None) -> Leaderboard:
    """The leaderboard as `player_id` sees it: top 5, own place with neighbours, totals.

    `around` is empty when the player is in the top 5, else the entries directly above and below
    the player and the player, leaving out entries already in `top`. Equal clicks share a rank and
    are listed smaller player id first. Names are the public ones (placeholders for refused or
    unreviewed names). `board` picks a backend (default: Redis when configured, else SQL; a Redis
    board that is not ready is answered from SQL). Raises NotFound for unknown or banned players.
    """
    view, around, names = _named_view(board or board_backend(), player_id)
    total = total_clicks()

    def entry(ranked: Ranked) -> LeaderboardEntry:
        return {
            "rank": ranked.rank,
            "player_id": ranked.player_id,
            "game_name": names[ranked.player_id],
            "clicks": ranked.clicks,
            "share": click_share(clicks=ranked.clicks, total=total),
        }

    return {
        "total_clicks": total,
        "total_players": view.total_players,
        "top": [entry(ranked) for ranked in view.top],
        "around": [entry(ranked) for ranked in around],
        "me": entry(view.me),
    }


def ranks_for(*, player_ids: list[int], board: Board | None = None) -> dict[int, tuple[int, float]]:
    """(rank, share) of each visible player among `player_ids`; others are left out."""
    board = board or board_backend()
    try:
        ranked = board.ranks(player_ids=list(player_ids))
    except (BoardNotReady, RedisError):
        ranked = SqlBoard().ranks(player_ids=list(player_ids))
    total = total_clicks()
    return {
        pk: (entry.rank, click_share(clicks=entry.clicks, total=total))
        for pk, entry in ranked.items()
    }


def global_stats(*, max_age: timedelta = STATS_MAX_AGE) -> GlobalStats:
    """The GlobalStats row, recomputed first when older than `max_age` (or missing).

    Recomputing costs the sum of the 64 shards and one count of visible players.
    """
    now = timezone.now()
    stats = GlobalStats.objects.filter(pk=GlobalStats.SINGLETON_PK).first()
    if stats is not None and now - stats.last_updated < max_age:
        return stats
    fresh = {
        "total_clicks": total_clicks(),
        "total_users": Player.objects.visible().count(),
        "last_updated": now,
    }
    if not GlobalStats.objects.filter(pk=GlobalStats.SINGLETON_PK).update(**fresh):
        try:
            with transaction.atomic():
                GlobalStats.objects.create(pk=GlobalStats.SINGLETON_PK, **fresh)
        except IntegrityError:
            # Another request created the row first; its numbers are just as fresh.
            GlobalStats.objects.filter(pk=GlobalStats.SINGLETON_PK).update(**fresh)
    return GlobalStats(pk=GlobalStats.SINGLETON_PK, **fresh)
