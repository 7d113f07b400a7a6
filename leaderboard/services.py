"""Leaderboard use cases: the board's side of bans and unbans, and the board recalculation."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.utils import timezone
from redis import Redis

from leaderboard import live
from leaderboard.models import GlobalStats
from leaderboard.rebuild import BoardReport, board_rebuild
from leaderboard.selectors import total_clicks
from leaderboard.snapshot import board_snapshot_refresh
from players.models import Player

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _stats_expire() -> None:
    """Make the next `global_stats()` read recompute the row (cheap; no count here)."""
    GlobalStats.objects.filter(pk=GlobalStats.SINGLETON_PK).update(last_updated=_LONG_AGO)


class LeaderboardListings:
    """The leaderboard's side of a ban or unban (`players.services.PlayerListings`).

    Without Redis the board is the players table itself, so only GlobalStats needs telling.
    """

    def __init__(self, client: Redis | None) -> None:
        self.client = client

    def player_hidden(self, *, player_id: int) -> None:
        """Take the banned player's live entry off the board (under the ban's row lock)."""
        if self.client is not None:
            self.client.zrem(live.BOARD_KEY, live.member_for(player_id))

    def player_shown(self, *, player_id: int, clicks: int) -> None:
        """Put the unbanned player back with the clicks read under the unban's row lock.

        An absolute ZADD: a click sync of this player waits for the unban's commit, so its own
        board write lands after this one.
        """
        if self.client is not None:
            self.client.zadd(live.BOARD_KEY, {live.member_for(player_id): clicks})

    def player_committed(self, *, player_id: int) -> None:
        """After the commit: a rebuild that read the row before the change re-checks it."""
        if self.client is not None:
            live.board_touch(self.client, player_id=player_id)
        _stats_expire()


def player_listings() -> LeaderboardListings:
    """What a ban or unban must update besides the player row: the live board, GlobalStats."""
    return LeaderboardListings(live.redis_client())


def global_stats_refresh() -> GlobalStats:
    """Count the headline numbers now and store them in the GlobalStats row (pk 1).

    Called by `run_board_keeper` every few seconds and by `recalculate_leaderboard`; reads
    (`selectors.global_stats`) never write the row.
    """
    fresh = {
        "total_clicks": total_clicks(),
        "total_users": Player.objects.visible().count(),
        "last_updated": timezone.now(),
    }
    stats, _created = GlobalStats.objects.update_or_create(
        pk=GlobalStats.SINGLETON_PK, defaults=fresh
    )
    return stats


def leaderboard_recalculate(
    *, dry_run: bool = False, progress: Callable[[str], None] | None = None
) -> BoardReport:
    """Rebuild the live board from the database (Redis), or check the SQL backend.

    With Redis: see `leaderboard.rebuild.board_rebuild` (temporary key, atomic swap, safe under
    traffic); the report carries the drift the old board had. Without Redis the board is the
    players table itself: the report counts the visible players and nothing needs rebuilding.
    Either way the fallback board's order and snapshot (`board_snapshot_refresh`) and GlobalStats
    are recomputed unless `dry_run`. Idempotent.
    """
    say = progress or (lambda _message: None)
    client = live.redis_client()
    if client is not None:
        report = board_rebuild(client=client, dry_run=dry_run, progress=say)
    else:
        started = time.monotonic()
        report = BoardReport(backend="sql", dry_run=dry_run)
        report.players = Player.objects.visible().count()
        report.seconds = time.monotonic() - started
        say(f"SQL backend: the board is the players table ({report.players} visible players)")
    if not dry_run:
        fallback = board_snapshot_refresh()
        say(
            f"fallback board: order copied for {fallback.order_copied} players, snapshot of "
            f"{fallback.players} players"
        )
        stats = global_stats_refresh()
        say(f"global stats: {stats.total_clicks} clicks, {stats.total_users} players")
    return report
