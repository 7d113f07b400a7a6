"""Bans, unbans, GlobalStats and the recalculation service."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import NotFound
from leaderboard.models import GlobalStats
from leaderboard.selectors import global_stats, leaderboard_for
from leaderboard.services import (
    global_stats_refresh,
    leaderboard_recalculate,
    player_listings,
)
from leaderboard.tests.board_data import add_clicks, make_player, reference_board
from players.models import Player
from players.services import player_ban, player_unban

pytestmark = pytest.mark.django_db

WRITES = {"INSERT", "UPDATE", "DELETE"}


def test_ban_takes_the_player_off_the_board_at_once(board_after_setup):
    top, middle, low = (make_player(clicks=c) for c in (30, 20, 10))
    board = board_after_setup()

    banned = player_ban(player_id=top.pk, listings=player_listings())

    assert banned.is_banned
    answer = leaderboard_for(player_id=low.pk, board=board)
    assert [e["player_id"] for e in answer["top"]] == [middle.pk, low.pk]
    assert answer["total_players"] == 2
    assert answer["me"]["rank"] == 2
    with pytest.raises(NotFound):
        leaderboard_for(player_id=top.pk, board=board)


def test_unban_restores_the_player_with_current_clicks(board_after_setup):
    returning = make_player(clicks=50, is_banned=True)
    other = make_player(clicks=40)
    board = board_after_setup()

    player = player_unban(player_id=returning.pk, listings=player_listings())

    assert not player.is_banned
    answer = leaderboard_for(player_id=other.pk, board=board)
    assert answer == reference_board(other.pk)
    assert answer["top"][0]["player_id"] == returning.pk
    assert answer["top"][0]["clicks"] == 50


def test_ban_and_unban_are_idempotent(board_after_setup):
    player, other = make_player(clicks=7), make_player(clicks=3)
    board = board_after_setup()
    client = getattr(board, "client", None)

    player_ban(player_id=player.pk, listings=player_listings())
    player_ban(player_id=player.pk, listings=player_listings())
    player_unban(player_id=player.pk, listings=player_listings())
    player_unban(player_id=player.pk, listings=player_listings())
    add_clicks(player.pk, 2, client=client)

    answer = leaderboard_for(player_id=player.pk, board=board)
    assert answer == reference_board(player.pk)
    assert answer["me"]["clicks"] == 9
    assert answer["total_players"] == 2
    assert other.pk in [e["player_id"] for e in answer["top"]]


def test_banning_or_unbanning_an_unknown_player_changes_nothing():
    player = make_player(clicks=4)

    with pytest.raises(NotFound):
        player_ban(player_id=player.pk + 1000, listings=player_listings())
    with pytest.raises(NotFound):
        player_unban(player_id=player.pk + 1000, listings=player_listings())

    assert list(Player.objects.values_list("pk", "is_banned", "clicks")) == [(player.pk, False, 4)]


def test_global_stats_refresh_counts_all_clicks_and_visible_players():
    make_player(clicks=5)
    make_player(clicks=7)
    make_player(clicks=11, is_banned=True)

    stats = global_stats_refresh()

    assert (stats.total_clicks, stats.total_users) == (23, 2)
    stored = GlobalStats.objects.get()
    assert (stored.total_clicks, stored.total_users) == (23, 2)
    assert timezone.now() - stored.last_updated < timedelta(seconds=5)


def test_reading_global_stats_counts_without_storing_a_missing_or_stale_row():
    make_player(clicks=5)
    make_player(clicks=11, is_banned=True)

    with CaptureQueriesContext(connection) as queries:
        stats = global_stats()

    assert (stats.total_clicks, stats.total_users) == (16, 1)
    assert not GlobalStats.objects.exists()
    assert not [q for q in queries if q["sql"].split()[0] in WRITES]


def test_fresh_global_stats_are_not_recomputed_on_every_read():
    make_player(clicks=5)
    first = global_stats_refresh()
    make_player(clicks=1)

    assert global_stats().total_users == first.total_users == 1
    assert global_stats(max_age=timedelta(0)).total_users == 2
    assert GlobalStats.objects.get().total_users == 1


def test_a_ban_makes_the_next_global_stats_read_exact():
    player = make_player(clicks=5)
    make_player(clicks=1)
    assert global_stats_refresh().total_users == 2

    player_ban(player_id=player.pk, listings=player_listings())

    assert global_stats().total_users == 1


def test_recalculation_refreshes_global_stats_and_reports_players(settings):
    make_player(clicks=3)
    make_player(clicks=4, is_banned=True)
    messages: list[str] = []

    report = leaderboard_recalculate(progress=messages.append)

    assert report.players == 1
    assert report.backend == ("redis" if settings.REDIS_URL else "sql")
    stats = GlobalStats.objects.get()
    assert (stats.total_clicks, stats.total_users) == (7, 1)
    assert any("global stats: 7 clicks, 1 players" in m for m in messages)


def test_dry_run_recalculation_does_not_touch_global_stats():
    make_player(clicks=3)

    report = leaderboard_recalculate(dry_run=True)

    assert report.dry_run
    assert report.players == 1
    assert not GlobalStats.objects.exists()
