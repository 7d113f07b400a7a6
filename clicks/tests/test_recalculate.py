"""recalculate_stats: rebuild player totals and the total shards from ClickDay history."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from clicks.services import clicks_reset, clicks_sync, stats_recalculate
from clicks.tests.conftest import board_score, players_total, redis_only, shard_total
from leaderboard.models import ClickTotalShard, shard_for
from players.models import Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def players() -> list[Player]:
    """Three players with synced history: 40, 25 and 0 clicks (the last one was reset)."""
    ann, bob, cid = PlayerFactory.create_batch(3)
    clicks_sync(telegram_id=ann.telegram_id, seq=1, count=30, now=NOON)
    clicks_sync(telegram_id=ann.telegram_id, seq=2, count=10, now=NOON + 86400)
    clicks_sync(telegram_id=bob.telegram_id, seq=1, count=25, now=NOON)
    clicks_sync(telegram_id=cid.telegram_id, seq=1, count=1000, now=NOON)
    clicks_reset(player_id=cid.pk)
    return [ann, bob, cid]


def corrupt(players: list[Player]) -> None:
    """Drift of the kinds a bug or a manual edit could cause."""
    ann, bob, cid = players
    Player.objects.filter(pk=ann.pk).update(clicks=999, rejected_clicks=7)
    Player.objects.filter(pk=cid.pk).update(clicks=3)
    ClickTotalShard.objects.filter(shard=shard_for(bob.pk)).update(clicks=1)


def state() -> list[tuple[int, int, int]]:
    return list(Player.objects.order_by("pk").values_list("pk", "clicks", "rejected_clicks"))


def test_consistent_data_has_no_drift(players) -> None:
    report = stats_recalculate(dry_run=True)
    assert (report.players_checked, report.players_drifted, report.shards_drifted) == (3, 0, 0)
    assert report.total_before == report.total_after == 65


def test_dry_run_reports_drift_and_changes_nothing(players) -> None:
    corrupt(players)
    before = (state(), shard_total())
    report = stats_recalculate(dry_run=True)
    assert report.players_drifted == 2
    assert report.clicks_drift == (40 - 999) + (0 - 3)
    assert report.shards_drifted >= 1
    assert sorted(report.examples) == sorted([(players[0].pk, 999, 40), (players[2].pk, 3, 0)])
    assert (state(), shard_total()) == before


def test_recalculation_fixes_drift_and_is_idempotent(players) -> None:
    corrupt(players)
    ann, bob, cid = players
    report = stats_recalculate(batch_size=2)
    assert report.players_drifted == 2
    assert dict((pk, (c, r)) for pk, c, r in state()) == {
        ann.pk: (40, 0),
        bob.pk: (25, 0),
        cid.pk: (0, 400),
    }
    assert shard_total() == players_total() == 65
    assert report.total_after == 65
    again = stats_recalculate()
    assert (again.players_drifted, again.shards_drifted, again.clicks_drift) == (0, 0, 0)


def test_missing_shard_rows_are_recreated(players) -> None:
    ClickTotalShard.objects.filter(shard=shard_for(players[0].pk)).delete()
    stats_recalculate()
    assert ClickTotalShard.objects.count() == 64
    assert shard_total() == players_total() == 65


def test_command_reports_progress_and_results(players) -> None:
    corrupt(players)
    out = StringIO()
    call_command("recalculate_stats", "--dry-run", "--batch-size", "1", stdout=out)
    text = out.getvalue()
    assert "players up to id" in text
    assert "would fix 2" in text
    assert f"player {players[0].pk}: stored 999, history says 40" in text
    assert Player.objects.get(pk=players[0].pk).clicks == 999
    out = StringIO()
    call_command("recalculate_stats", stdout=out)
    assert "fixed 2" in out.getvalue()
    assert Player.objects.get(pk=players[0].pk).clicks == 40


def test_an_empty_database_is_fine() -> None:
    report = stats_recalculate()
    assert (report.players_checked, report.players_drifted, report.total_after) == (0, 0, 0)


@redis_only
def test_fixes_are_applied_to_the_live_board(players, redis, django_capture_on_commit_callbacks):
    ann = players[0]
    Player.objects.filter(pk=ann.pk).update(clicks=999)
    redis.zincrby("lb:board", 959, f"{10**13 - ann.pk:013d}")  # the board followed the bad value
    with django_capture_on_commit_callbacks(execute=True):
        stats_recalculate()
    assert board_score(redis, ann.pk) == 40
