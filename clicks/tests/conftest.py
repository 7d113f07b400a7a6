"""Fixtures and markers for the click sync tests."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from clicks.models import ClickDay
from leaderboard.live import BOARD_KEY, member_for, redis_client
from leaderboard.models import ClickTotalShard
from players.models import Player

_needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
)
_needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)")


def postgres_only(test: Callable) -> Callable:
    """Mark a test `postgres` and skip it on the embedded SQLite default."""
    return pytest.mark.postgres(_needs_postgres(test))


def redis_only(test: Callable) -> Callable:
    """Mark a test `redis` and skip it on the embedded local-memory cache."""
    return pytest.mark.redis(_needs_redis(test))


@contextmanager
def redis_failing(error: Exception | None = None) -> Iterator[mock.MagicMock]:
    """Every Redis command and pipeline of this process fails as if Redis were gone.

    Yields the mock of what is sent on a connection (a sync's own Redis call goes there), to
    count the attempts made. Commands and pipelines fail above redis-py's retries, at once.
    """
    failing = error or RedisConnectionError("Connection refused")
    with (
        mock.patch("redis.Redis.execute_command", side_effect=failing),
        mock.patch("redis.client.Pipeline.execute", side_effect=failing),
        mock.patch(
            "redis.connection.AbstractConnection.send_packed_command", side_effect=failing
        ) as sent,
    ):
        yield sent


@pytest.fixture
def redis() -> Iterator[Redis]:
    """The live Redis connection (tests using it are marked redis_only)."""
    client = redis_client()
    assert client is not None
    yield client


def shard_total() -> int:
    """The global total as the shards hold it."""
    return int(ClickTotalShard.objects.aggregate(total=Sum("clicks"))["total"] or 0)


def players_total() -> int:
    """The sum of every player's clicks."""
    return int(Player.objects.aggregate(total=Sum("clicks"))["total"] or 0)


def history_total(player: Player) -> int:
    """The player's accepted clicks in ClickDay history."""
    return int(ClickDay.objects.filter(player=player).aggregate(total=Sum("clicks"))["total"] or 0)


def board_score(client: Redis, player_id: int) -> float | None:
    """The player's score on the live board."""
    return client.zscore(BOARD_KEY, member_for(player_id))


@pytest.fixture
def totals() -> Callable[[], tuple[int, int]]:
    """(sum of shards, sum of players): equal whenever no sync is in flight."""
    return lambda: (shard_total(), players_total())
