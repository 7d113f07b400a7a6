"""The SQL board's order (`Player.board_clicks`) and the click sync.

While a ready live board tracks the syncs, a sync leaves the order alone, so its UPDATE changes
no indexed column and PostgreSQL makes it a HOT update; the board keeper copies the order. When
no ready live board tracks them (no Redis, Redis failing, the board lost or being rebuilt), each
sync writes its player's order itself, so the fallback board that answers meanwhile is exact for
every player who syncs. A player's first sync always writes it.
"""

from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import connection

from clicks import services
from clicks.services import clicks_reset, clicks_sync
from clicks.tests.conftest import postgres_only, redis_failing, redis_only
from leaderboard import live
from leaderboard.keeper import BoardKeeper
from leaderboard.snapshot import board_order_refresh
from players.models import Player
from players.services import player_ban, player_unban
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

NOW = 1_800_000_000.0


@pytest.fixture(params=["statement", "orm"])
def sync_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test runs on PostgreSQL's one-statement sync and on the ORM path (SQLite's)."""
    if request.param == "statement":
        if connection.vendor != "postgresql":
            pytest.skip("the one-statement sync is PostgreSQL's")
        yield request.param
        return
    with mock.patch.object(services, "_apply_postgresql", services._apply_locked):
        yield request.param


def sync(player: Player, seq: int, count: int) -> None:
    clicks_sync(telegram_id=player.telegram_id, seq=seq, count=count, now=NOW + seq)


def order(player: Player) -> tuple[int, int]:
    """(clicks, board_clicks) of the player as stored."""
    return Player.objects.values_list("clicks", "board_clicks").get(pk=player.pk)


@pytest.fixture
def ready_board(redis) -> None:
    """A live board that answers (built, not lost)."""
    redis.set(live.BOARD_READY_KEY, 1)


@redis_only
def test_syncs_tracked_by_a_ready_board_leave_the_order_to_the_keeper(
    sync_path, ready_board
) -> None:
    player = PlayerFactory()

    sync(player, 1, 4)
    first = order(player)
    sync(player, 2, 5)
    sync(player, 3, 6)
    tracked = order(player)
    copied = board_order_refresh()

    assert first == (4, 4)  # a first sync puts a new player on the SQL board at once
    assert tracked == (15, 4)
    assert copied == 1
    assert order(player) == (15, 15)
    assert board_order_refresh() == 0


@redis_only
def test_syncs_write_the_order_while_the_live_board_is_lost(sync_path, redis) -> None:
    player = PlayerFactory(clicks=3, last_seq=1)

    sync(player, 2, 5)
    after_one = order(player)
    sync(player, 3, 6)

    assert after_one == (8, 8)
    assert order(player) == (14, 14)


@redis_only
def test_after_a_sync_finds_the_board_lost_the_next_syncs_write_the_order(
    sync_path, ready_board, redis
) -> None:
    player = PlayerFactory(clicks=3, last_seq=1)
    sync(player, 2, 1)  # the process learns the board is ready (its first sync writes the order)
    redis.delete(live.BOARD_READY_KEY)  # Redis lost the board

    sync(player, 3, 2)  # finds it lost, after its own statement
    found_lost = order(player)
    sync(player, 4, 3)

    assert found_lost == (6, 4)
    assert order(player) == (9, 9)


@redis_only
def test_syncs_write_the_order_while_redis_fails(sync_path, ready_board) -> None:
    player = PlayerFactory(clicks=3, last_seq=1)
    sync(player, 2, 1)  # the process learns the board is ready (its first sync writes the order)

    with redis_failing():
        sync(player, 3, 2)  # Redis fails after the statement: this one is the keeper's
        first_failure = order(player)
        sync(player, 4, 3)

    assert first_failure == (6, 4)
    assert order(player) == (9, 9)


def test_without_redis_every_sync_writes_the_order(sync_path, settings) -> None:
    settings.REDIS_URL = ""
    player = PlayerFactory(clicks=3, last_seq=1)

    sync(player, 2, 5)
    after_one = order(player)
    sync(player, 3, 6)

    assert after_one == (8, 8)
    assert order(player) == (14, 14)


@postgres_only
@redis_only
def test_a_tracked_sync_is_a_hot_update(ready_board) -> None:
    """No index entry of the player is rewritten: PostgreSQL counts the update as HOT."""
    player = PlayerFactory()
    sync(player, 1, 1)  # the first sync writes the order: not HOT

    before = _player_updates()
    for seq in range(2, 7):
        sync(player, seq, 2)
    updated, hot = (after - start for after, start in zip(_player_updates(), before, strict=True))

    assert (updated, hot) == (5, 5)
    assert order(player) == (11, 1)


@postgres_only
def test_a_sync_that_writes_the_order_is_not_hot(settings) -> None:
    settings.REDIS_URL = ""
    player = PlayerFactory(clicks=3, last_seq=1)

    before = _player_updates()
    sync(player, 2, 2)
    updated, hot = (after - start for after, start in zip(_player_updates(), before, strict=True))

    assert (updated, hot) == (1, 0)


def _player_updates() -> tuple[int, int]:
    """Rows of the players table updated in this transaction, and how many of those were HOT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass),"
            " pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [Player._meta.db_table, Player._meta.db_table],
        )
        updated, hot = cursor.fetchone()
    return int(updated), int(hot)


@redis_only
def test_a_reset_and_an_unban_write_the_order_with_the_clicks(ready_board) -> None:
    reset = PlayerFactory(clicks=9, board_clicks=2)
    banned = PlayerFactory(clicks=7, board_clicks=7)
    player_ban(player_id=banned.pk, listings=mock.Mock())
    Player.objects.filter(pk=banned.pk).update(clicks=12)  # history recalculated while banned

    clicks_reset(player_id=reset.pk)
    player_unban(player_id=banned.pk, listings=mock.Mock())

    assert order(reset) == (0, 0)
    assert order(banned) == (12, 12)


def test_the_order_copy_works_in_batches_and_only_writes_what_moved() -> None:
    players = [PlayerFactory(clicks=n, board_clicks=n) for n in range(7)]
    moved = players[1:6:2]
    for player in moved:
        Player.objects.filter(pk=player.pk).update(clicks=100 + player.pk)

    copied = board_order_refresh(batch_size=2)

    assert copied == len(moved)
    assert [order(player) for player in moved] == [(100 + p.pk, 100 + p.pk) for p in moved]
    assert [order(player) for player in players if player not in moved] == [
        (n, n) for n in (0, 2, 4, 6)
    ]


def test_the_keeper_copies_the_order_on_its_first_pass() -> None:
    player = PlayerFactory(clicks=5, board_clicks=1)

    report = BoardKeeper(settle_seconds=0).run_pass()

    assert report.snapshot is not None
    assert report.snapshot.order_copied == 1
    assert order(player) == (5, 5)
