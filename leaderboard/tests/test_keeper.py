"""The board keeper: it heals drift without an operator, adds new players, runs as a loop."""

import os
import signal
import subprocess
import sys
import threading
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from prometheus_client import REGISTRY
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError

from clicks.services import clicks_sync
from leaderboard import live
from leaderboard.keeper import BoardKeeper
from leaderboard.models import BoardSnapshot, GlobalStats
from leaderboard.tests.board_data import (
    board_scores,
    build_board,
    keeper_pass,
    make_player,
    reference_board,
    visible_clicks,
)
from players.models import Player

pytestmark = pytest.mark.django_db


def repairs_metric(source: str) -> float:
    """The operators' count of board repairs (`/metrics`, clickgame_board_repairs_total)."""
    return REGISTRY.get_sample_value("clickgame_board_repairs_total", {"source": source}) or 0.0


def failing_send(*_args: Any, **_kwargs: Any) -> None:
    raise RedisConnectionError("Redis went away right after the commit")


def sync_while_redis_fails(monkeypatch: pytest.MonkeyPatch, player: Player, count: int) -> None:
    """A real click sync whose database commit succeeds and whose Redis call then fails."""
    with monkeypatch.context() as patch:
        patch.setattr(AbstractConnection, "send_packed_command", failing_send)
        result = clicks_sync(telegram_id=player.telegram_id, seq=1, count=count, now=time.time())
    assert result.accepted == count


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_keeper_heals_a_board_drifted_by_a_redis_failure_within_its_period(
    redis_client, monkeypatch, client_for
):
    players = [make_player(clicks=c) for c in (30, 20, 10, 5, 4, 3, 2)]
    build_board(redis_client)
    sync_while_redis_fails(monkeypatch, players[6], 25)  # 2 -> 27 in SQL, still 2 on the board
    assert board_scores(redis_client) != visible_clicks()
    viewer = client_for(players[3].telegram_id, first_name=players[3].first_name)
    drifted = viewer.get("/api/leaderboard").json()
    assert drifted != reference_board(players[3].pk)

    # The compose service `board` runs `run_board_keeper`; here it runs in a thread.
    output = StringIO()
    period = 1.0
    keeper = threading.Thread(
        target=call_command,
        args=("run_board_keeper", "--interval", str(period), "--max-passes", "3"),
        kwargs={"stdout": output},
    )
    started = time.monotonic()
    keeper.start()
    healed_after = None
    while time.monotonic() - started < 3 * period + 5:
        if viewer.get("/api/leaderboard").json() == reference_board(players[3].pk):
            healed_after = time.monotonic() - started
            break
        time.sleep(0.1)
    keeper.join(timeout=30)

    # Within the first pass (which starts at once) plus its settle time, with slack for CI load.
    assert healed_after is not None and healed_after < period + 4, output.getvalue()
    assert board_scores(redis_client) == visible_clicks()
    assert "repaired=1" in output.getvalue()


@pytest.mark.redis
def test_reconciliation_counts_repairs_of_every_kind(redis_client):
    players = [make_player(clicks=c) for c in (9, 7, 5, 3)]
    build_board(redis_client)
    redis_client.zincrby(live.BOARD_KEY, 4, live.member_for(players[0].pk))  # counted twice
    redis_client.zrem(live.BOARD_KEY, live.member_for(players[1].pk))  # lost
    Player.objects.filter(pk=players[2].pk).update(is_banned=True)  # ban the board missed
    redis_client.zadd(live.BOARD_KEY, {live.member_for(999_999): 50})  # a deleted player
    newcomer = make_player(clicks=0)  # joined without a sync
    counted_before = repairs_metric("reconcile")

    report = keeper_pass()

    assert (report.mismatched, report.repaired, report.unsettled) == (5, 5, 0)
    assert repairs_metric("reconcile") == counted_before + 5
    assert board_scores(redis_client) == visible_clicks()
    assert newcomer.pk in board_scores(redis_client)
    assert keeper_pass().repaired == 0


@pytest.mark.redis
def test_reconciliation_work_per_pass_is_bounded_by_the_rolling_cursor(redis_client):
    players = [make_player(clicks=n) for n in range(1, 11)]
    build_board(redis_client)
    for player in players:
        redis_client.zincrby(live.BOARD_KEY, 100, live.member_for(player.pk))
    # Without the board scan (a small sorted set answers ZSCAN whole): the cursor alone.
    keeper = BoardKeeper(settle_seconds=0, cursor_batch=4, scan_batch=0)

    passes = [keeper.run_pass() for _ in range(3)]

    assert [report.checked for report in passes] == [4, 4, 2]
    assert [report.repaired for report in passes] == [4, 4, 2]
    assert board_scores(redis_client) == visible_clicks()
    assert keeper.player_cursor == 0  # wrapped around for the next round


def test_without_redis_the_keeper_refreshes_snapshot_and_stats(settings):
    settings.REDIS_URL = ""
    make_player(clicks=4)
    make_player(clicks=4)
    make_player(clicks=9, is_banned=True)

    report = keeper_pass()

    assert report.board == "sql"
    assert report.snapshot is not None
    assert BoardSnapshot.objects.get().players == 2
    assert GlobalStats.objects.get().total_users == 2


@pytest.mark.redis
def test_an_unreachable_redis_is_reported_and_the_snapshot_kept_fresh(monkeypatch, redis_client):
    make_player(clicks=3)

    def unreachable(*_args: Any, **_kwargs: Any) -> None:
        raise RedisConnectionError("connection refused")

    monkeypatch.setattr(redis_client.__class__, "exists", unreachable)
    keeper = BoardKeeper(settle_seconds=0)
    first, second = keeper.run_pass(), keeper.run_pass()

    assert "connection refused" in first.redis_error
    assert first.snapshot is not None and second.snapshot is not None  # every pass while degraded


def test_keeper_command_refuses_a_bad_interval():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--interval"):
        call_command("run_board_keeper", "--interval", "0")


@pytest.mark.django_db(transaction=True)
def test_keeper_process_stops_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "DEBUG": "True"}
    from django.db import connection

    env["DATABASE_URL"] = _url_of_test_database(connection)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_board_keeper", "--interval", "1"],
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and "started" not in line:
            line = process.stdout.readline()
        assert "board keeper started" in line
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "stopping after this pass" in stdout
    assert "board keeper stopped after" in stdout


def _url_of_test_database(connection: Any) -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        name = settings_dict["NAME"]
        if not name or ":memory:" in str(name) or "mode=memory" in str(name):
            pytest.skip("the keeper process cannot see an in-memory SQLite test database")
        return f"sqlite:///{name}"
    user, host, port = settings_dict["USER"], settings_dict["HOST"], settings_dict["PORT"]
    return f"postgres://{user}@{host}:{port or 5432}/{settings_dict['NAME']}"
