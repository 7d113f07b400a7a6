"""/ready shows the board's state: ready, or a rebuild pending, and the snapshot's age."""

import pytest

from leaderboard import live
from leaderboard.snapshot import board_snapshot_refresh
from leaderboard.tests.board_data import build_board, make_player

pytestmark = pytest.mark.django_db


def board_report(client) -> dict:
    response = client.get("/ready")
    assert response.status_code == 200
    return response.json()["reports"]["leaderboard"]


def test_ready_reports_the_table_board_without_redis(client, settings):
    settings.REDIS_URL = ""
    make_player(clicks=3)
    board_snapshot_refresh()

    report = board_report(client)

    assert report["backend"] == "sql"
    assert report["ready"] is True
    assert report["rebuild_pending"] is False
    assert report["snapshot_players"] == 1
    assert 0 <= report["snapshot_age_seconds"] < 5


@pytest.mark.redis
def test_ready_shows_a_pending_rebuild_until_the_board_is_rebuilt(client, redis_client):
    make_player(clicks=3)

    pending = board_report(client)
    build_board(redis_client)
    rebuilt = board_report(client)

    assert (pending["ready"], pending["rebuild_pending"]) == (False, True)
    assert (rebuilt["ready"], rebuilt["rebuild_pending"]) == (True, False)
    assert not redis_client.exists(live.REBUILD_LOCK_KEY)


@pytest.mark.redis
def test_ready_names_the_owner_of_a_running_rebuild(client, redis_client):
    from leaderboard.rebuild import rebuild_lock_acquire

    owner = rebuild_lock_acquire(redis_client)

    report = board_report(client)

    assert report["rebuild_owner"] == owner
    assert report["rebuild_age_seconds"] < 5
