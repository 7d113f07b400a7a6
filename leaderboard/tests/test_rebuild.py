"""The Redis board: lost data, rebuilds under traffic, drift reports, stale entries."""

import threading

import pytest

from core.errors import Conflict
from leaderboard import live, rebuild
from leaderboard.boards import RedisBoard, board_backend
from leaderboard.rebuild import board_rebuild, rebuild_lock_acquire
from leaderboard.selectors import leaderboard_for, ranks_for
from leaderboard.tests.board_data import (
    add_clicks,
    board_scores,
    build_board,
    make_player,
    reference_board,
    visible_clicks,
)
from players.models import Player

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_flushed_redis_answers_from_sql_and_rebuilds_the_board(redis_client):
    players = [make_player(clicks=c) for c in (40, 30, 20, 10, 9, 8, 7)]
    build_board(redis_client)
    redis_client.flushdb()
    # A sync right after the flush recreates a partial board by its increment.
    add_clicks(players[6].pk, 5, client=redis_client)
    assert not redis_client.exists(live.BOARD_READY_KEY)

    answer = leaderboard_for(player_id=players[6].pk)

    assert answer == reference_board(players[6].pk)
    assert answer["total_players"] == 7
    assert redis_client.exists(live.BOARD_READY_KEY)
    assert board_scores(redis_client) == visible_clicks()
    assert not redis_client.exists(live.REBUILD_LOCK_KEY)
    assert leaderboard_for(player_id=players[6].pk, board=RedisBoard(redis_client)) == answer


@pytest.mark.django_db(transaction=True)
def test_large_lost_board_is_rebuilt_in_the_background_while_sql_answers(redis_client, monkeypatch):
    players = [make_player(clicks=c) for c in (3, 2, 1)]
    monkeypatch.setattr(rebuild, "SYNC_REBUILD_MAX_PLAYERS", 2)

    answer = leaderboard_for(player_id=players[2].pk)

    assert answer == reference_board(players[2].pk)
    workers = [t for t in threading.enumerate() if t.name == "leaderboard-rebuild"]
    assert len(workers) == 1
    workers[0].join(timeout=30)
    assert redis_client.exists(live.BOARD_READY_KEY)
    assert board_scores(redis_client) == visible_clicks()


def test_only_one_worker_rebuilds_a_lost_board(redis_client):
    player = make_player(clicks=4)
    held = rebuild_lock_acquire(redis_client)

    answer = leaderboard_for(player_id=player.pk)

    assert answer == reference_board(player.pk)
    assert redis_client.get(live.REBUILD_LOCK_KEY).decode() == held
    assert not redis_client.exists(live.BOARD_READY_KEY)
    with pytest.raises(Conflict):
        board_rebuild(client=redis_client, settle_seconds=0)


def test_clicks_during_a_rebuild_are_neither_lost_nor_counted_twice(redis_client):
    players = [make_player(clicks=10 * n) for n in range(1, 8)]
    build_board(redis_client)
    # Committed before the rebuild reads the row, board increment delayed until after the swap.
    Player.objects.filter(pk=players[0].pk).update(clicks=10 + 7)
    late = make_player(clicks=0)

    def traffic(message: str) -> None:
        if message.startswith("2 "):
            add_clicks(players[1].pk, 3, client=redis_client)  # row read: lands on the old board
            add_clicks(players[6].pk, 4, client=redis_client)  # row not read yet
        elif message.startswith("new board swapped in"):
            pipe = redis_client.pipeline()
            live.board_add_clicks(pipe, player_id=players[0].pk, clicks=7)
            pipe.execute()
            add_clicks(late.pk, 2, client=redis_client)

    report = board_rebuild(client=redis_client, batch_size=2, settle_seconds=0, progress=traffic)

    assert board_scores(redis_client) == visible_clicks()
    assert visible_clicks()[players[0].pk] == 10 + 7
    assert visible_clicks()[players[1].pk] == 20 + 3
    assert report.repaired == 2  # players[0] would count 7 twice, players[1] would lose 3
    assert report.unsettled == 0
    assert not redis_client.exists(live.REBUILDING_KEY)
    assert not redis_client.exists(live.TOUCHED_KEY)


def test_a_ban_during_a_rebuild_keeps_the_player_off_the_new_board(redis_client):
    players = [make_player(clicks=n) for n in range(1, 6)]
    build_board(redis_client)

    def ban_after_first_batch(message: str) -> None:
        if message.startswith("2 "):
            Player.objects.filter(pk=players[0].pk).update(is_banned=True)
            redis_client.zrem(live.BOARD_KEY, live.member_for(players[0].pk))
            live.board_touch(redis_client, player_id=players[0].pk)

    board_rebuild(
        client=redis_client, batch_size=2, settle_seconds=0, progress=ban_after_first_batch
    )

    assert players[0].pk not in board_scores(redis_client)
    assert board_scores(redis_client) == visible_clicks()


def test_dry_run_reports_drift_and_changes_nothing(redis_client):
    players = [make_player(clicks=c) for c in (5, 6, 7, 8)]
    banned = make_player(clicks=9, is_banned=True)
    build_board(redis_client)
    redis_client.zincrby(live.BOARD_KEY, 100, live.member_for(players[0].pk))
    redis_client.zrem(live.BOARD_KEY, live.member_for(players[1].pk))
    redis_client.zadd(live.BOARD_KEY, {live.member_for(banned.pk): 9})
    drifted = board_scores(redis_client)

    report = board_rebuild(client=redis_client, dry_run=True)

    assert (report.wrong_score, report.missing, report.extra) == (1, 1, 1)
    assert sorted(report.drift_samples) == sorted([players[0].pk, players[1].pk])
    assert report.written == 0
    assert board_scores(redis_client) == drifted

    fixed = board_rebuild(client=redis_client, settle_seconds=0)
    again = board_rebuild(client=redis_client, dry_run=True)

    assert fixed.drift == 3
    assert board_scores(redis_client) == visible_clicks()
    assert again.drift == 0


def test_rebuild_of_an_empty_game_leaves_an_empty_ready_board(redis_client):
    redis_client.zadd(live.BOARD_KEY, {live.member_for(77): 3})

    report = board_rebuild(client=redis_client, settle_seconds=0)

    assert report.players == 0
    assert report.extra == 1
    assert not redis_client.exists(live.BOARD_KEY)
    assert redis_client.exists(live.BOARD_READY_KEY)


def test_new_players_are_counted_on_the_live_board(redis_client):
    veteran = make_player(clicks=5)
    build_board(redis_client)
    newcomers = [make_player(clicks=0) for _ in range(3)]

    answer = leaderboard_for(player_id=veteran.pk, board=board_backend())

    assert answer["total_players"] == 4
    assert [e["player_id"] for e in answer["top"]] == [veteran.pk, *[p.pk for p in newcomers]]
    assert answer == reference_board(veteran.pk)


def test_a_banned_player_still_on_the_board_is_dropped_when_shown(redis_client):
    players = [make_player(clicks=c) for c in (9, 5, 1)]
    build_board(redis_client)
    Player.objects.filter(pk=players[0].pk).update(is_banned=True)  # board not told

    answer = leaderboard_for(player_id=players[2].pk, board=RedisBoard(redis_client))

    assert answer == reference_board(players[2].pk)
    assert players[0].pk not in board_scores(redis_client)


def test_player_whose_first_clicks_are_not_on_the_board_yet_is_answered_from_sql(redis_client):
    veteran = make_player(clicks=5)
    build_board(redis_client)
    clicker = make_player(clicks=0)
    redis_client.set(live.KNOWN_MAX_ID_KEY, clicker.pk)  # a reader already saw this player
    Player.objects.filter(pk=clicker.pk).update(clicks=8)  # board increment still in flight

    answer = leaderboard_for(player_id=clicker.pk, board=RedisBoard(redis_client))

    assert answer["me"]["rank"] == 1
    assert answer["total_players"] == 2
    assert clicker.pk not in board_scores(redis_client)
    assert veteran.pk in board_scores(redis_client)


def test_ranks_count_new_players_like_the_table(redis_client):
    veteran = make_player(clicks=5)
    build_board(redis_client)
    newcomer = make_player(clicks=0)

    ranks = ranks_for(player_ids=[veteran.pk, newcomer.pk], board=RedisBoard(redis_client))

    assert ranks == {veteran.pk: (1, 100.0), newcomer.pk: (2, 0.0)}
