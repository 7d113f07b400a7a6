"""Reads: players active in the last minute and clicks per day."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from clicks.models import ClickDay
from clicks.selectors import clicks_per_day, players_active_last_minute
from clicks.services import clicks_sync
from clicks.tests.conftest import redis_only
from players.models import Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_clicks_per_day_lists_every_day_oldest_first_with_zeros() -> None:
    ann, bob = PlayerFactory.create_batch(2)
    ClickDay.objects.create(player=ann, day=date(2026, 4, 29), clicks=5, syncs=1)
    ClickDay.objects.create(player=bob, day=date(2026, 4, 29), clicks=7, syncs=2)
    ClickDay.objects.create(player=ann, day=date(2026, 5, 1), clicks=1, syncs=1)
    ClickDay.objects.create(player=ann, day=date(2026, 4, 20), clicks=100, syncs=1)
    assert clicks_per_day(days=4, today=date(2026, 5, 1)) == [
        (date(2026, 4, 28), 0),
        (date(2026, 4, 29), 12),
        (date(2026, 4, 30), 0),
        (date(2026, 5, 1), 1),
    ]


def test_clicks_per_day_of_no_days_is_empty() -> None:
    assert clicks_per_day(days=0) == []


def test_clicks_per_day_defaults_to_today() -> None:
    player = PlayerFactory()
    clicks_sync(telegram_id=player.telegram_id, seq=1, count=9)
    assert clicks_per_day(days=1)[-1][1] == 9


@pytest.mark.skipif(bool(django_settings.REDIS_URL), reason="the database count without Redis")
def test_without_redis_active_players_are_those_seen_in_the_last_minute() -> None:
    PlayerFactory(last_seen_at=NOW - timedelta(seconds=59))
    PlayerFactory(last_seen_at=NOW - timedelta(seconds=10))
    PlayerFactory(last_seen_at=NOW - timedelta(seconds=61))
    PlayerFactory(last_seen_at=None)
    assert players_active_last_minute(now=NOW.timestamp()) == 2
    # Counted at most every few seconds: a new player shows up once the cache entry expires.
    PlayerFactory(last_seen_at=NOW)
    assert players_active_last_minute(now=NOW.timestamp()) == 2
    cache.clear()
    assert players_active_last_minute(now=NOW.timestamp()) == 3


@redis_only
def test_with_redis_active_players_are_those_that_synced_in_the_last_minute() -> None:
    players = PlayerFactory.create_batch(3)
    for offset, player in zip([0, 30, 50], players, strict=True):
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=1, now=NOW.timestamp() + offset)
    # Signing in alone (last_seen_at) does not count: only syncs do.
    Player.objects.update(last_seen_at=NOW)
    assert players_active_last_minute(now=NOW.timestamp() + 50) == 3
    assert players_active_last_minute(now=NOW.timestamp() + 80) == 2
    assert players_active_last_minute(now=NOW.timestamp() + 111) == 0
