"""The leaderboard answer, on each backend: ranks, ties, top/around, names, shares, totals."""

import time

import pytest
from django.test import override_settings
from redis import Redis

from core.errors import NotFound
from leaderboard import live
from leaderboard.boards import RedisBoard, SqlBoard
from leaderboard.selectors import (
    BOARD_POLL_MIN_MS,
    DEGRADED_POLL_INTERVAL_MS,
    click_share,
    leaderboard_for,
    ranks_for,
    total_clicks,
)
from leaderboard.tests.board_data import (
    build_board,
    make_player,
    reference_board,
    shards_match_players,
    without_degraded_fields,
)
from players.models import NameStatus

pytestmark = pytest.mark.django_db


def ids(entries: list[dict]) -> list[int]:
    return [entry["player_id"] for entry in entries]


def test_equal_clicks_share_a_rank_and_list_smaller_id_first(board_after_setup):
    players = [make_player(clicks=c) for c in (10, 20, 20, 5)]
    board = board_after_setup()

    answer = leaderboard_for(player_id=players[0].pk, board=board)

    assert [(e["player_id"], e["rank"]) for e in answer["top"]] == [
        (players[1].pk, 1),
        (players[2].pk, 1),
        (players[0].pk, 3),
        (players[3].pk, 4),
    ]
    assert answer["around"] == []
    assert answer["me"]["rank"] == 3


def test_player_ranked_sixth_gets_self_and_the_one_below(board_after_setup):
    players = [make_player(clicks=100 - n) for n in range(8)]
    board = board_after_setup()

    answer = leaderboard_for(player_id=players[5].pk, board=board)

    assert ids(answer["top"]) == [p.pk for p in players[:5]]
    assert ids(answer["around"]) == [players[5].pk, players[6].pk]
    assert [e["rank"] for e in answer["around"]] == [6, 7]


def test_player_in_the_middle_sees_neighbours_above_and_below(board_after_setup):
    players = [make_player(clicks=100 - n) for n in range(10)]
    board = board_after_setup()

    answer = leaderboard_for(player_id=players[7].pk, board=board)

    assert ids(answer["around"]) == [players[6].pk, players[7].pk, players[8].pk]
    assert answer["me"] == answer["around"][1]


def test_last_player_with_zero_clicks_has_a_rank_and_no_one_below(board_after_setup):
    players = [make_player(clicks=c) for c in (9, 8, 7, 6, 5, 4, 3)]
    last = make_player(clicks=0)
    board = board_after_setup()

    answer = leaderboard_for(player_id=last.pk, board=board)

    assert answer["me"]["rank"] == 8
    assert answer["me"]["share"] == 0.0
    assert ids(answer["around"]) == [players[-1].pk, last.pk]


def test_ties_around_the_player_keep_the_shared_rank(board_after_setup):
    players = [make_player(clicks=c) for c in (50, 40, 30, 20, 10, 5, 5, 5, 1)]
    board = board_after_setup()

    answer = leaderboard_for(player_id=players[6].pk, board=board)

    assert [(e["player_id"], e["rank"]) for e in answer["around"]] == [
        (players[5].pk, 6),
        (players[6].pk, 6),
        (players[7].pk, 6),
    ]


def test_single_player_is_first_of_one(board_after_setup):
    player = make_player(clicks=0)
    board = board_after_setup()

    answer = leaderboard_for(player_id=player.pk, board=board)

    assert answer["total_players"] == 1
    assert answer["total_clicks"] == 0
    assert answer["me"] == {
        "rank": 1,
        "player_id": player.pk,
        "game_name": player.game_name,
        "clicks": 0,
        "share": 0.0,
    }
    assert ids(answer["top"]) == [player.pk]
    assert answer["around"] == []


def test_banned_players_are_not_shown_or_counted(board_after_setup):
    cheater = make_player(clicks=1000, is_banned=True)
    honest = [make_player(clicks=c) for c in (30, 20, 10)]
    board = board_after_setup()

    answer = leaderboard_for(player_id=honest[2].pk, board=board)

    assert cheater.pk not in ids(answer["top"])
    assert answer["total_players"] == 3
    assert answer["me"]["rank"] == 3
    assert answer["total_clicks"] == 1060  # every counted click, the banned player's too
    with pytest.raises(NotFound):
        leaderboard_for(player_id=cheater.pk, board=board)


def test_unknown_player_is_not_found(board_after_setup):
    make_player(clicks=3)
    board = board_after_setup()

    with pytest.raises(NotFound):
        leaderboard_for(player_id=987_654, board=board)


def test_refused_and_missing_names_show_a_placeholder(board_after_setup):
    rejected = make_player(clicks=3, game_name="Rude", name_status=NameStatus.REJECTED)
    nameless = make_player(clicks=2, game_name=None, name_status=NameStatus.PENDING)
    shown = make_player(clicks=1, game_name="Nice", name_status=NameStatus.PENDING)
    board = board_after_setup()

    answer = leaderboard_for(player_id=shown.pk, board=board)

    assert [e["game_name"] for e in answer["top"]] == [
        f"Player #{rejected.pk}",
        f"Player #{nameless.pk}",
        "Nice",  # post-moderation (the default) shows a pending name until it is rejected
    ]
    with override_settings(NAME_MODERATION="pre"):
        pre = leaderboard_for(player_id=shown.pk, board=board)
    assert pre["me"]["game_name"] == f"Player #{shown.pk}"


def test_shares_are_unrounded_percents_of_all_clicks(board_after_setup):
    players = [make_player(clicks=c) for c in (1_000_000, 999_999, 1)]
    shards_match_players(extra=1_000)
    board = board_after_setup()

    answer = leaderboard_for(player_id=players[0].pk, board=board)

    total = 2_001_000
    assert answer["total_clicks"] == total
    shares = [e["share"] for e in answer["top"]]
    assert shares == [c * 100 / total for c in (1_000_000, 999_999, 1)]
    assert len(set(shares)) == 3


def test_answer_matches_the_reference_model(board_after_setup):
    players = [make_player(clicks=c) for c in (7, 3, 3, 9, 0, 3, 12, 1, 1, 0, 5)]
    make_player(clicks=8, is_banned=True)
    board = board_after_setup()

    for player in players:
        assert leaderboard_for(player_id=player.pk, board=board) == reference_board(player.pk)


def test_ranks_for_gives_rank_and_share_of_visible_players_only(board_after_setup):
    first, second, tied = (make_player(clicks=c) for c in (6, 2, 2))
    banned = make_player(clicks=10, is_banned=True)
    board = board_after_setup()

    ranks = ranks_for(player_ids=[first.pk, second.pk, tied.pk, banned.pk, 424_242], board=board)

    total = 20
    assert ranks == {
        first.pk: (1, 6 * 100 / total),
        second.pk: (2, 2 * 100 / total),
        tied.pk: (2, 2 * 100 / total),
    }


def test_total_clicks_is_the_sum_of_the_shards():
    make_player(clicks=5)
    make_player(clicks=7, is_banned=True)
    shards_match_players(extra=100)

    assert total_clicks() == 112


def test_share_is_zero_when_nobody_clicked():
    assert click_share(clicks=0, total=0) == 0.0
    assert click_share(clicks=1, total=3) == 100 / 3


def test_unreachable_redis_is_answered_from_sql():
    players = [make_player(clicks=c) for c in (4, 8, 6)]
    unreachable = RedisBoard(Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5))

    answer = leaderboard_for(player_id=players[0].pk, board=unreachable)
    ranks = ranks_for(player_ids=[players[1].pk], board=unreachable)

    assert without_degraded_fields(answer) == reference_board(players[0].pk)
    assert answer["poll_interval_ms"] == DEGRADED_POLL_INTERVAL_MS  # clients poll less
    assert "source" not in answer  # counted exactly: no snapshot at this size
    assert ranks == {players[1].pk: (1, 8 * 100 / 18)}


@pytest.mark.redis
def test_the_poll_interval_grows_with_the_players_active_past_the_sync_budget(
    redis_client, settings
):
    players = [make_player(clicks=c) for c in (4, 8, 6)]
    board = RedisBoard(redis_client)
    build_board(redis_client)
    now = time.time()
    settings.SYNC_BUDGET_RPS = 100
    few = {str(n): now for n in range(200)}
    redis_client.zadd(live.ACTIVE_PLAYERS_KEY, few)
    # 200 active players at 100 syncs/s sync every 2 s; the board still waits its 5 s.
    assert leaderboard_for(player_id=players[0].pk, board=board)["poll_interval_ms"] == 5_000
    many = {str(n): now for n in range(200, 1_200)}
    redis_client.zadd(live.ACTIVE_PLAYERS_KEY, many)
    # 1,200 active: each syncs every 12 s, and refreshes an open board as rarely.
    assert leaderboard_for(player_id=players[0].pk, board=board)["poll_interval_ms"] == 12_000
    # Players whose last sync is over a minute old no longer count.
    redis_client.zadd(live.ACTIVE_PLAYERS_KEY, dict.fromkeys(many, now - 61), xx=True)
    assert leaderboard_for(player_id=players[0].pk, board=board)["poll_interval_ms"] == 5_000
    # Far past the budget the interval stops at the degraded one.
    redis_client.zadd(live.ACTIVE_PLAYERS_KEY, {str(n): now for n in range(10_000)})
    assert leaderboard_for(player_id=players[0].pk, board=board)["poll_interval_ms"] == 30_000


def test_the_sql_board_asks_for_the_shortest_poll_interval(settings):
    players = [make_player(clicks=c) for c in (4, 8, 6)]
    settings.SYNC_BUDGET_RPS = 1
    answer = leaderboard_for(player_id=players[0].pk, board=SqlBoard())
    assert answer["poll_interval_ms"] == BOARD_POLL_MIN_MS
