"""The Redis board: lost data, rebuilds under traffic, drift reports, stale entries, new players."""

import pytest

from core.errors import Conflict
from leaderboard import live
from leaderboard.boards import RedisBoard, board_backend
from leaderboard.rebuild import board_rebuild, rebuild_lock_acquire
from leaderboard.selectors import (
    DEGRADED_POLL_INTERVAL_MS,
    board_status,
    leaderboard_for,
    ranks_for,
)
from leaderboard.snapshot import board_order_refresh
from leaderboard.tests.board_data import (
    add_clicks,
    board_scores,
    build_board,
    keeper_pass,
    make_player,
    redis_dump,
    reference_board,
    visible_clicks,
    without_degraded_fields,
)
from players.models import Player

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_flushed_redis_is_answered_from_sql_and_rebuilt_by_the_keeper(redis_client):
    players = [make_player(clicks=c) for c in (40, 30, 20, 10, 9, 8, 7)]
    build_board(redis_client)
    redis_client.flushdb()
    # A sync right after the flush recreates a partial board by its write. It left the SQL
    # board's order alone (it learnt of the loss only from its own Redis call).
    add_clicks(players[6].pk, 5, client=redis_client)
    partial = board_scores(redis_client)

    before_copy = leaderboard_for(player_id=players[6].pk)
    board_order_refresh()  # what the keeper's next pass does first while the board is lost
    answer = leaderboard_for(player_id=players[6].pk)

    assert before_copy["me"]["clicks"] == 7  # the order as last copied: at most a pass behind
    assert without_degraded_fields(answer) == reference_board(players[6].pk)
    assert answer["poll_interval_ms"] == DEGRADED_POLL_INTERVAL_MS
    assert not redis_client.exists(live.BOARD_READY_KEY)
    assert board_scores(redis_client) == partial  # the reads rebuilt nothing
    assert board_status().rebuild_pending

    report = keeper_pass()

    assert report.rebuild is not None
    assert report.rebuild.written == 7
    assert redis_client.exists(live.BOARD_READY_KEY)
    assert board_scores(redis_client) == visible_clicks()
    assert not redis_client.exists(live.REBUILD_LOCK_KEY)
    assert not board_status().rebuild_pending
    assert leaderboard_for(player_id=players[6].pk) == reference_board(players[6].pk)


def test_the_keeper_leaves_a_lost_board_to_a_live_rebuild(redis_client):
    player = make_player(clicks=4)
    held = rebuild_lock_acquire(redis_client)

    report = keeper_pass()
    answer = leaderboard_for(player_id=player.pk)

    assert report.rebuild is None
    assert "already running" in report.rebuild_skipped
    assert without_degraded_fields(answer) == reference_board(player.pk)
    assert redis_client.get(live.REBUILD_LOCK_KEY).decode() == held
    assert not redis_client.exists(live.BOARD_READY_KEY)
    with pytest.raises(Conflict, match=held):
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


def test_new_players_reach_the_live_board_by_the_keeper_not_by_reads(redis_client):
    veteran = make_player(clicks=5)
    build_board(redis_client)
    newcomers = [make_player(clicks=0) for _ in range(3)]
    before = redis_dump(redis_client)

    leaderboard_for(player_id=veteran.pk, board=board_backend())

    assert redis_dump(redis_client) == before
    report = keeper_pass()
    answer = leaderboard_for(player_id=veteran.pk, board=board_backend())

    assert report.repaired == 3
    assert answer["total_players"] == 4
    assert [e["player_id"] for e in answer["top"]] == [veteran.pk, *[p.pk for p in newcomers]]
    assert answer == reference_board(veteran.pk)


def test_a_new_player_not_on_the_board_yet_is_answered_from_the_table(redis_client):
    make_player(clicks=5)
    build_board(redis_client)
    newcomer = make_player(clicks=0)

    answer = leaderboard_for(player_id=newcomer.pk, board=RedisBoard(redis_client))

    assert answer == reference_board(newcomer.pk)  # not degraded: the shortest poll interval
    assert newcomer.pk not in board_scores(redis_client)


def test_a_banned_player_still_on_the_board_is_answered_around_and_removed_by_the_keeper(
    redis_client,
):
    players = [make_player(clicks=c) for c in (9, 5, 1)]
    build_board(redis_client)
    Player.objects.filter(pk=players[0].pk).update(is_banned=True)  # board not told
    before = redis_dump(redis_client)

    answer = leaderboard_for(player_id=players[2].pk, board=RedisBoard(redis_client))

    assert answer == reference_board(players[2].pk)
    assert redis_dump(redis_client) == before
    assert keeper_pass().repaired == 1
    assert players[0].pk not in board_scores(redis_client)
    assert board_scores(redis_client) == visible_clicks()


def test_player_whose_first_clicks_are_not_on_the_board_yet_is_answered_from_sql(redis_client):
    veteran = make_player(clicks=5)
    build_board(redis_client)
    clicker = make_player(clicks=0)
    redis_client.set(live.KNOWN_MAX_ID_KEY, clicker.pk)  # the keeper already saw this player
    # The player's first sync committed (writing the SQL board's order too, as a first sync
    # does); its board write is still in flight.
    Player.objects.filter(pk=clicker.pk).update(clicks=8, board_clicks=8, last_seq=1)

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
    assert newcomer.pk not in board_scores(redis_client)
