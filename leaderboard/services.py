"""Leaderboard use cases: bans and unbans (both backends at once) and the board recalculation."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import transaction

from core.errors import NotFound
from leaderboard import live
from leaderboard.models import GlobalStats
from leaderboard.rebuild import BoardReport, board_rebuild
from leaderboard.selectors import global_stats
from players.models import Player

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _stats_expire() -> None:
    """Make the next `global_stats()` read recompute the row (cheap; no count here)."""
    GlobalStats.objects.filter(pk=GlobalStats.SINGLETON_PK).update(last_updated=_LONG_AGO)


def player_ban(*, player_id: int) -> Player:
    """Ban a player: off the board and out of every count at once. Idempotent.

    The live entry is removed while the ban's row lock is held, so a ban and an unban in one
    transaction leave the board as the database. A click sync committed just before the ban can
    still land its increment a moment after the removal; readers drop such an entry when they
    would show it (`selectors.leaderboard_for`) and `recalculate_leaderboard` removes it.
    Raises NotFound for an unknown player.
    """
    client = live.redis_client()
    with transaction.atomic():
        player = Player.objects.select_for_update().filter(pk=player_id).first()
        if player is None:
            raise NotFound(f"No player {player_id}.")
        if not player.is_banned:
            player.is_banned = True
            player.save(update_fields=["is_banned", "updated_at"])
        if client is not None:
            client.zrem(live.BOARD_KEY, live.member_for(player_id))
    if client is not None:
        # After the commit: a rebuild that read the row before the ban re-checks it.
        live.board_touch(client, player_id=player_id)
    _stats_expire()
    return player


def player_unban(*, player_id: int) -> Player:
    """Lift a ban: the player is back on the board with their clicks. Idempotent.

    The live entry is written with an absolute ZADD of the clicks read under the row lock that the
    unban's UPDATE holds. A click sync updates the same row first, so it waits for the unban to
    commit and its ZINCRBY lands after the ZADD: no increment can fall between the read and the
    write. Raises NotFound for an unknown player.
    """
    client = live.redis_client()
    with transaction.atomic():
        player = Player.objects.select_for_update().filter(pk=player_id).first()
        if player is None:
            raise NotFound(f"No player {player_id}.")
        if player.is_banned:
            player.is_banned = False
            player.save(update_fields=["is_banned", "updated_at"])
            if client is not None:
                client.zadd(live.BOARD_KEY, {live.member_for(player_id): player.clicks})
    if client is not None:
        # After the commit: a rebuild that read the row while it was banned re-checks it.
        live.board_touch(client, player_id=player_id)
    _stats_expire()
    return player


def leaderboard_recalculate(
    *, dry_run: bool = False, progress: Callable[[str], None] | None = None
) -> BoardReport:
    """Rebuild the live board from the database (Redis), or check the SQL backend.

    With Redis: see `leaderboard.rebuild.board_rebuild` (temporary key, atomic swap, safe under
    traffic); the report carries the drift the old board had. Without Redis the board is the
    players table itself: the report counts the visible players and nothing needs rebuilding.
    Either way GlobalStats is recomputed unless `dry_run`. Idempotent.
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
        stats = global_stats(max_age=timedelta(0))
        say(f"global stats: {stats.total_clicks} clicks, {stats.total_users} players")
    return report
