"""The rank snapshot: what the fallback board answers with at scale while Redis is away."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis import Redis

from leaderboard import snapshot
from leaderboard.boards import RedisBoard, SnapshotBoard, SqlBoard, board_backend
from leaderboard.models import BoardSnapshot, BoardSnapshotRank
from leaderboard.selectors import DEGRADED_POLL_INTERVAL_MS, leaderboard_for, ranks_for
from leaderboard.snapshot import board_snapshot_refresh, snapshot_rank, usable_snapshot
from leaderboard.tests.board_data import (
    add_clicks,
    make_player,
    reference_board,
    without_degraded_fields,
)

pytestmark = pytest.mark.django_db

UNREACHABLE = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)


@pytest.fixture
def small_boards_use_the_snapshot(monkeypatch):
    """The snapshot answers for boards of any size (normally only from 50,000 players)."""
    monkeypatch.setattr(snapshot, "SNAPSHOT_MIN_PLAYERS", 0)


def test_refresh_stores_players_at_or_above_each_click_count():
    for clicks in (10, 10, 5, 0, 0, 0):
        make_player(clicks=clicks)
    make_player(clicks=50, is_banned=True)

    report = board_snapshot_refresh()

    assert (report.players, report.click_counts) == (6, 3)
    assert dict(BoardSnapshotRank.objects.values_list("clicks", "players_at_or_above")) == {
        10: 2,
        5: 3,
        0: 6,
    }
    assert [snapshot_rank(c) for c in (11, 10, 7, 5, 0)] == [1, 1, 3, 3, 4]
    assert BoardSnapshot.objects.get().players == 6
    assert board_snapshot_refresh().players == 6  # replaced, not added to


def test_snapshot_board_matches_the_exact_board_on_an_unchanged_game(
    small_boards_use_the_snapshot,
):
    players = [make_player(clicks=c) for c in (7, 3, 3, 9, 0, 3, 12, 1, 1, 0, 5)]
    make_player(clicks=8, is_banned=True)
    board_snapshot_refresh()
    board = SnapshotBoard(usable_snapshot())

    for player in players:
        assert without_degraded_fields(leaderboard_for(player_id=player.pk, board=board)) == (
            reference_board(player.pk)
        )
    ids = [p.pk for p in players]
    assert ranks_for(player_ids=ids, board=board) == ranks_for(player_ids=ids, board=SqlBoard())


def test_unreachable_redis_at_scale_answers_from_the_snapshot_marked_as_such(
    small_boards_use_the_snapshot,
):
    players = [make_player(clicks=100 - n) for n in range(10)]
    board_snapshot_refresh()
    add_clicks(players[8].pk, 50)  # after the snapshot: clicks and order live, ranks as of then

    answer = leaderboard_for(player_id=players[8].pk, board=RedisBoard(UNREACHABLE))

    assert answer["source"] == "snapshot"
    assert 0 <= answer["stale_seconds"] < 30  # includes the refused connection's retries
    assert answer["poll_interval_ms"] == DEGRADED_POLL_INTERVAL_MS
    assert answer["me"]["clicks"] == 142
    assert answer["top"][0]["player_id"] == players[8].pk
    assert answer["me"]["rank"] == 1


def test_snapshot_answer_counts_no_players(small_boards_use_the_snapshot):
    players = [make_player(clicks=100 - n) for n in range(12)]
    board_snapshot_refresh()
    board = board_backend() if connection.vendor == "sqlite" else SnapshotBoard(usable_snapshot())

    with CaptureQueriesContext(connection) as queries:
        leaderboard_for(player_id=players[9].pk, board=board)

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts == []


def test_without_redis_the_big_board_is_answered_from_the_snapshot(
    settings, small_boards_use_the_snapshot
):
    settings.REDIS_URL = ""
    player = make_player(clicks=4)
    assert isinstance(board_backend(), SqlBoard)
    assert not isinstance(board_backend(), SnapshotBoard)  # no snapshot yet: exact

    board_snapshot_refresh()

    assert isinstance(board_backend(), SnapshotBoard)
    assert leaderboard_for(player_id=player.pk)["source"] == "snapshot"


def test_small_or_old_snapshots_are_not_used(monkeypatch):
    player = make_player(clicks=4)
    board_snapshot_refresh()
    assert usable_snapshot() is None  # 1 player: exact counting is cheap

    monkeypatch.setattr(snapshot, "SNAPSHOT_MIN_PLAYERS", 0)
    assert usable_snapshot() is not None
    BoardSnapshot.objects.update(taken_at=timezone.now() - timedelta(hours=1))
    assert usable_snapshot() is None
    answer = leaderboard_for(player_id=player.pk, board=RedisBoard(UNREACHABLE))
    assert "source" not in answer
    assert without_degraded_fields(answer) == reference_board(player.pk)


@pytest.mark.redis
def test_after_a_redis_failure_reads_skip_redis_for_a_pause(monkeypatch):
    from leaderboard import live

    player = make_player(clicks=4)
    monkeypatch.setattr(live, "redis_client", lambda: UNREACHABLE)

    first = leaderboard_for(player_id=player.pk)
    started = time.monotonic()
    second = leaderboard_for(player_id=player.pk)
    ranks = ranks_for(player_ids=[player.pk])

    assert time.monotonic() - started < 0.5  # no second connection attempt
    assert first == second
    assert second["poll_interval_ms"] == DEGRADED_POLL_INTERVAL_MS
    assert without_degraded_fields(second) == reference_board(player.pk)
    assert ranks == {player.pk: (1, 100.0)}
