"""The recalculate_leaderboard command."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leaderboard import live
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

    with pytest.raises(CommandError, match="already running"):
        run()
    assert not redis_client.exists(live.BOARD_KEY)
