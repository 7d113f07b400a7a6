"""seed_players: many players whose history, shards and live board all add up."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import Lower

from clicks.models import ClickDay
from clicks.seeding import SEED_TELEGRAM_BASE, players_seed
from clicks.services import stats_recalculate
from clicks.tests.conftest import board_score, players_total, redis_only, shard_total
from players.models import NameStatus, Player
from players.rules import check_name
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_seeded_players_have_history_that_adds_up() -> None:
    report = players_seed(count=400, seed=3, chunk_size=150)
    assert report.players == Player.objects.count() == 400
    assert report.clicks == players_total() == shard_total()
    assert report.click_days == ClickDay.objects.count()
    history = {
        player_id: (clicks, syncs, rejected)
        for player_id, clicks, syncs, rejected in ClickDay.objects.values("player_id")
        .annotate(clicks=Sum("clicks"), syncs=Sum("syncs"), rejected=Sum("rejected"))
        .values_list("player_id", "clicks", "syncs", "rejected")
    }
    for player in Player.objects.all():
        expected = history.get(player.pk, (0, 0, 0))
        assert (player.clicks, player.last_seq, player.rejected_clicks) == expected
    assert stats_recalculate(dry_run=True).players_drifted == 0


def test_seeded_names_are_approved_valid_and_unique() -> None:
    players_seed(count=300, seed=4)
    names = list(Player.objects.values_list("game_name", "name_status"))
    assert all(status == NameStatus.APPROVED for _, status in names)
    assert all(check_name(name) == name for name, _ in names)
    lowered = Player.objects.annotate(low=Lower("game_name")).values("low")
    assert lowered.annotate(n=Count("pk")).filter(n__gt=1).count() == 0


def test_clicks_follow_a_long_tail() -> None:
    players_seed(count=2000, seed=5)
    clicks = sorted(Player.objects.values_list("clicks", flat=True), reverse=True)
    top_tenth = sum(clicks[: len(clicks) // 10])
    assert top_tenth > sum(clicks) / 2
    assert clicks[len(clicks) // 2] < 100 < clicks[0]
    assert clicks.count(0) > 0


def test_a_second_seed_continues_the_telegram_ids() -> None:
    first = players_seed(count=10, seed=1)
    second = players_seed(count=10, seed=1)
    assert first.first_telegram_id == SEED_TELEGRAM_BASE + 1
    assert second.first_telegram_id == first.last_telegram_id + 1
    assert Player.objects.count() == 20
    assert shard_total() == players_total()


def test_a_real_players_name_wins_over_a_seeded_one() -> None:
    # The first seeded player of seed 8 is called "<Adjective><Noun>1".
    probe = players_seed(count=1, seed=8)
    taken = Player.objects.get(telegram_id=probe.first_telegram_id).game_name
    Player.objects.all().delete()
    PlayerFactory(game_name=taken.upper())
    report = players_seed(count=1, seed=8)
    assert report.unnamed == 1
    assert Player.objects.get(telegram_id=report.first_telegram_id).game_name is None


def test_the_command_seeds_and_reports() -> None:
    out = StringIO()
    call_command("seed_players", "--count", "50", "--seed", "2", stdout=out)
    assert "Seeded 50 players" in out.getvalue()
    assert Player.objects.count() == 50


def test_the_command_with_if_empty_leaves_an_existing_game_alone() -> None:
    PlayerFactory()
    out = StringIO()
    call_command("seed_players", "--count", "50", "--if-empty", stdout=out)
    assert "nothing seeded" in out.getvalue()
    assert Player.objects.count() == 1


@pytest.mark.parametrize("args", [["--count", "-1"], ["--count", "5", "--days", "0"]])
def test_the_command_refuses_bad_arguments(args) -> None:
    with pytest.raises(CommandError):
        call_command("seed_players", *args, stdout=StringIO())
    assert not Player.objects.exists()


@redis_only
def test_seeded_players_are_on_the_live_board(redis) -> None:
    players_seed(count=100, seed=6)
    for player_id, clicks in Player.objects.values_list("pk", "clicks"):
        assert board_score(redis, player_id) == (clicks or None)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 15, 14, 30, tzinfo=UTC),
        # Just after midnight: a player who joins "today" cannot have joined later than now.
        datetime(2026, 3, 15, 0, 10, tzinfo=UTC),
    ],
)
def test_seeded_histories_are_possible(now: datetime) -> None:
    players_seed(count=300, seed=5, chunk_size=120, now=now)
    first_and_last_day = dict(
        (player_id, (first, last))
        for player_id, first, last in ClickDay.objects.values("player_id")
        .annotate(first=Min("day"), last=Max("day"))
        .values_list("player_id", "first", "last")
    )
    seen = 0
    for player in Player.objects.all():
        assert player.created_at <= now
        if player.name_changed_at is not None:
            assert player.name_changed_at >= player.created_at
        if player.pk in first_and_last_day:
            first, last = first_and_last_day[player.pk]
            assert player.created_at.date() <= first
            assert player.last_seen_at is not None
            assert player.created_at <= player.last_seen_at <= now
            assert player.last_seen_at.date() == last
            seen += 1
        if player.last_rejected_at is not None:
            assert player.created_at <= player.last_rejected_at <= player.last_seen_at
    assert seen > 200
