"""Reads never write: GET /api/leaderboard and the selectors change no row and no Redis key,
start no thread and do not sleep, whether the live board is present, lost or unreachable."""

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leaderboard import live
from leaderboard.boards import RedisBoard
from leaderboard.selectors import board_status, global_stats, leaderboard_for, ranks_for
from leaderboard.tests.board_data import (
    build_board,
    make_player,
    redis_dump,
    reference_board,
    without_degraded_fields,
)
from players.models import Player

pytestmark = pytest.mark.django_db

URL = "/api/leaderboard"
WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRUNCATE")


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def game_with_a_caller(client_for: Any) -> tuple[Any, Player, list[Player]]:
    """Eight players and an API client for the seventh; its sign-in has been recorded already."""
    players = [make_player(clicks=c) for c in (50, 40, 30, 20, 10, 8, 6, 4)]
    make_player(clicks=99, is_banned=True)
    caller = players[6]
    client = client_for(caller.telegram_id, first_name=caller.first_name)
    assert client.get(URL).status_code == 200  # the sign-in records last_seen_at (once a minute)
    return client, caller, players


def board_keys(client: Any) -> dict[bytes, Any]:
    """Every Redis key but the HTTP door's per-player read-throttle counter (core/throttles.py),
    which counts requests before the view runs and is not part of the leaderboard's read."""
    return {key: value for key, value in redis_dump(client).items() if b":throttle:" not in key}


def get_without_writes(client: Any, redis_client: Any | None, **params: Any) -> dict:
    """GET the board and assert that it wrote nothing, started no thread and did not sleep."""
    before = board_keys(redis_client) if redis_client is not None else None
    threads = set(threading.enumerate())
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200, response.content
    assert writes(queries) == []
    assert set(threading.enumerate()) <= threads
    assert time.monotonic() - started < 1.0
    if redis_client is not None:
        assert board_keys(redis_client) == before
    return response.json()


def test_get_on_the_table_board_writes_nothing(client_for, settings):
    settings.REDIS_URL = ""
    client, caller, players = game_with_a_caller(client_for)

    body = get_without_writes(client, None)
    other = get_without_writes(client, None, user_id=players[1].pk)

    assert body == reference_board(caller.pk)
    assert other == reference_board(players[1].pk)


@pytest.mark.redis
def test_get_with_the_live_board_present_writes_nothing(client_for, redis_client):
    client, caller, _players = game_with_a_caller(client_for)
    build_board(redis_client)

    body = get_without_writes(client, redis_client)
    assert body == reference_board(caller.pk)
    newcomer = make_player(clicks=0)  # not on the live board yet: no reader adds it
    newcomer_view = get_without_writes(client, redis_client, user_id=newcomer.pk)

    assert newcomer_view == reference_board(newcomer.pk)
    assert live.member_for(newcomer.pk).encode() not in dict(
        redis_client.zrange(live.BOARD_KEY, 0, -1, withscores=True)
    )


@pytest.mark.redis
def test_get_with_the_live_board_lost_writes_nothing_and_flags_a_rebuild(client_for, redis_client):
    client, caller, _players = game_with_a_caller(client_for)
    build_board(redis_client)
    redis_client.flushdb()
    make_player(clicks=0)

    body = get_without_writes(client, redis_client)

    assert without_degraded_fields(body) == reference_board(caller.pk)
    assert body["poll_interval_ms"] > 0
    assert board_keys(redis_client) == {}  # no rebuild, no flag, no lock written by the read
    assert board_status().rebuild_pending


@pytest.mark.redis
def test_get_showing_a_stale_banned_entry_writes_nothing(client_for, redis_client):
    client, caller, players = game_with_a_caller(client_for)
    build_board(redis_client)
    Player.objects.filter(pk=players[0].pk).update(is_banned=True)  # the board was not told

    body = get_without_writes(client, redis_client)

    assert body == reference_board(caller.pk)
    assert players[0].pk not in [entry["player_id"] for entry in body["top"]]


@pytest.mark.redis
def test_selectors_write_nothing_on_a_present_or_lost_board(redis_client):
    players = [make_player(clicks=c) for c in (5, 3, 1)]
    build_board(redis_client)
    make_player(clicks=0)
    for lost in (False, True):
        if lost:
            redis_client.flushdb()
        before = redis_dump(redis_client)
        with CaptureQueriesContext(connection) as queries:
            leaderboard_for(player_id=players[2].pk)
            leaderboard_for(player_id=players[0].pk, board=RedisBoard(redis_client))
            ranks_for(player_ids=[p.pk for p in players])
            global_stats()
            board_status()
        assert writes(queries) == []
        assert redis_dump(redis_client) == before
