"""The recalculate_leaderboard command."""

import os
import re
import socket
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leaderboard import live, rebuild
from leaderboard.models import GlobalStats
from leaderboard.rebuild import rebuild_lock_acquire
from leaderboard.tests.board_data import board_scores, build_board, make_player, visible_clicks

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("recalculate_leaderboard", *args, stdout=out)
    return out.getvalue()


def test_without_redis_the_command_checks_the_sql_backend(settings):
    settings.REDIS_URL = ""
    make_player(clicks=5)
    make_player(clicks=2, is_banned=True)

    output = run()

    assert "SQL backend" in output
    assert "backend=sql players=1" in output
    assert GlobalStats.objects.get().total_users == 1


@pytest.mark.redis
def test_dry_run_prints_the_drift_and_fixes_nothing(redis_client):
    player = make_player(clicks=5)
    build_board(redis_client)
    redis_client.zincrby(live.BOARD_KEY, 3, live.member_for(player.pk))

    output = run("--dry-run")

    assert "wrong_score=1" in output
    assert f"drifted players (sample): [{player.pk}]" in output
    assert "dry run: drift in 1 entries; nothing was changed" in output
    assert board_scores(redis_client) == {player.pk: 8}


@pytest.mark.redis
def test_command_rebuilds_the_board_with_progress(redis_client):
    players = [make_player(clicks=c) for c in (1, 2, 3)]
    redis_client.zadd(live.BOARD_KEY, {live.member_for(players[0].pk): 40})

    output = run()

    assert "3 players read" in output
    assert "new board swapped in (3 players)" in output
    assert "leaderboard recalculated" in output
    assert board_scores(redis_client) == visible_clicks()
    assert "dry run: no drift" in run("--dry-run")


@pytest.mark.redis
def test_command_fails_cleanly_while_another_rebuild_runs(redis_client):
    make_player(clicks=1)
    rebuild_lock_acquire(redis_client)

    with pytest.raises(CommandError, match="already running") as refused:
        run()
    assert not redis_client.exists(live.BOARD_KEY)
    message = str(refused.value)
    assert f"{socket.gethostname()}:{os.getpid()}:" in message  # the owner: host:pid:token
    assert re.search(r"\(alive\), started [0-2] s ago, renewed [0-2] s ago", message)


def dead_pid() -> int:
    """The pid of a process of ours that has exited (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


@pytest.mark.redis
def test_command_takes_over_the_lock_of_a_dead_owner_on_this_host(redis_client):
    player = make_player(clicks=6)
    owner = f"{socket.gethostname()}:{dead_pid()}:killedrebuild:{time.time() - 42:.0f}"
    redis_client.set(live.REBUILD_LOCK_KEY, owner, ex=rebuild.LOCK_TTL_SECONDS)

    output = run()

    assert f"taking over the rebuild lock of a dead owner: owner {owner} (dead)" in output
    assert re.search(r"started 4[1-5] s ago", output)  # the owner's age
    assert "leaderboard recalculated" in output
    assert board_scores(redis_client) == {player.pk: 6}
    assert not redis_client.exists(live.REBUILD_LOCK_KEY)


@pytest.mark.redis
def test_command_waits_out_a_lock_its_owner_elsewhere_stopped_renewing(redis_client):
    player = make_player(clicks=2)
    owner = f"other-host:4242:silent:{time.time() - 60:.0f}"
    redis_client.set(live.REBUILD_LOCK_KEY, owner, px=1500)  # last renewed 8.5 s ago

    started = time.monotonic()
    output = run()

    assert f"waiting for the lock of a dead owner to expire: owner {owner} (dead)" in output
    assert time.monotonic() - started < rebuild.LOCK_TTL_SECONDS
    assert board_scores(redis_client) == {player.pk: 2}


@pytest.mark.redis
def test_a_dead_owners_lock_expires_within_seconds_and_a_live_one_is_renewed(
    redis_client, monkeypatch
):
    monkeypatch.setattr(rebuild, "LOCK_TTL_SECONDS", 1)
    monkeypatch.setattr(rebuild, "LOCK_RENEW_SECONDS", 0.2)

    abandoned = rebuild_lock_acquire(redis_client)  # taken, never renewed: its owner died
    assert abandoned is not None
    time.sleep(1.3)
    assert not redis_client.exists(live.REBUILD_LOCK_KEY)

    held = rebuild.RebuildLock.acquire(redis_client)
    assert held is not None
    time.sleep(1.5)
    holder = rebuild.rebuild_lock_holder(redis_client)
    assert holder is not None and holder.owner == held.owner and not holder.dead
    held.release()
    assert not redis_client.exists(live.REBUILD_LOCK_KEY)
