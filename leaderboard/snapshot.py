"""The fallback board's data: the board order copy and the rank snapshot, kept by the keeper.

The board order (`Player.board_clicks`, indexed) is a copy of `clicks` that the click sync
leaves alone while the live board tracks it (so the sync's UPDATE is HOT);
`board_order_refresh` copies the clicks that moved since, in small statements.

The board snapshot: ranks by click count, taken every few seconds by `run_board_keeper`.

Counting the players above a score costs a scan of the board index, which at a million players
is far too slow to do per request while Redis is away. The snapshot stores, for each distinct
click count, how many visible players had at least that many; a rank is then one index probe.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from leaderboard.models import BoardSnapshot, BoardSnapshotRank
from players.models import Player

# The fallback board reads ranks from the snapshot only for boards at least this big (smaller
# boards are counted exactly per request, fast enough) and only while it is this fresh.
SNAPSHOT_MIN_PLAYERS = 50_000
SNAPSHOT_MAX_AGE = timedelta(minutes=10)
# Players (by id range) per statement of the board order copy: each statement is short and locks
# only the rows it changes, so a sync of one of them waits milliseconds at most.
ORDER_COPY_BATCH = 20_000


@dataclass(frozen=True)
class SnapshotReport:
    """What one refresh wrote."""

    players: int
    click_counts: int
    seconds: float
    order_copied: int = 0


def board_order_refresh(*, batch_size: int = ORDER_COPY_BATCH) -> int:
    """Copy every player's `clicks` into `board_clicks` where they differ; return how many.

    One UPDATE per `batch_size` ids, each in its own transaction. A sync committing meanwhile is
    not lost: an UPDATE that meets a row a sync holds waits for it and copies the committed
    value (READ COMMITTED re-check), and a later sync is copied by the next refresh.
    """
    bounds = Player.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if low is None or high is None:
        return 0
    copied = 0
    for start in range(low, high + 1, batch_size):
        copied += (
            Player.objects.filter(pk__gte=start, pk__lt=start + batch_size)
            .exclude(board_clicks=F("clicks"))
            .update(board_clicks=F("clicks"))
        )
    return copied


def board_snapshot_refresh() -> SnapshotReport:
    """Copy the board order (`board_order_refresh`), then replace the snapshot with the board
    as that order has it now (one transaction).

    Readers see the old snapshot until the commit. Concurrent refreshes queue on the singleton
    row's lock.
    """
    started = time.monotonic()
    order_copied = board_order_refresh()
    ranks, players = BoardSnapshotRank._meta.db_table, Player._meta.db_table
    BoardSnapshot.objects.get_or_create(
        pk=BoardSnapshot.SINGLETON_PK, defaults={"taken_at": timezone.now()}
    )
    with transaction.atomic():
        BoardSnapshot.objects.select_for_update().filter(pk=BoardSnapshot.SINGLETON_PK).first()
        taken_at = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ranks}")  # noqa: S608 (table names from the models)
            cursor.execute(
                f"INSERT INTO {ranks} (clicks, players_at_or_above) "  # noqa: S608
                f"SELECT board_clicks, SUM(COUNT(*)) OVER (ORDER BY board_clicks DESC) "
                f"FROM {players} WHERE is_banned = %s GROUP BY board_clicks",
                [False],
            )
            click_counts = cursor.rowcount
            cursor.execute(f"SELECT COALESCE(MAX(players_at_or_above), 0) FROM {ranks}")  # noqa: S608
            total = int(cursor.fetchone()[0])
        seconds = time.monotonic() - started
        BoardSnapshot.objects.filter(pk=BoardSnapshot.SINGLETON_PK).update(
            players=total, taken_at=taken_at, seconds=seconds
        )
    return SnapshotReport(
        players=total,
        click_counts=max(click_counts, 0),
        seconds=seconds,
        order_copied=order_copied,
    )


def usable_snapshot() -> BoardSnapshot | None:
    """The snapshot when it is big and fresh enough to answer for the board, else None."""
    snapshot = BoardSnapshot.objects.filter(pk=BoardSnapshot.SINGLETON_PK).first()
    if snapshot is None or snapshot.players < SNAPSHOT_MIN_PLAYERS:
        return None
    if timezone.now() - snapshot.taken_at > SNAPSHOT_MAX_AGE:
        return None
    return snapshot


def snapshot_rank(clicks: int) -> int:
    """1 + the visible players who had more than `clicks` clicks at snapshot time."""
    above = (
        BoardSnapshotRank.objects.filter(clicks__gt=clicks)
        .order_by("clicks")
        .values_list("players_at_or_above", flat=True)
        .first()
    )
    return 1 + int(above or 0)
