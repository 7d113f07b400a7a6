"""Fixtures for the leaderboard tests: the live Redis board when REDIS_URL is set."""

from typing import Any

import pytest
from django.conf import settings

from leaderboard import live


@pytest.fixture
def redis_client() -> Any:
    """The Redis behind the live board (emptied by the root conftest); skips without REDIS_URL."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    return live.redis_client()


@pytest.fixture(params=["sql", pytest.param("redis", marks=pytest.mark.redis)])
def board_after_setup(request: pytest.FixtureRequest) -> Any:
    """Each backend in turn: call it after creating the data to get a ready board."""
    # Imported here so the module stays importable for collection without a database.
    from leaderboard.boards import RedisBoard, SqlBoard
    from leaderboard.tests.board_data import build_board

    if request.param == "sql":
        return SqlBoard
    client = request.getfixturevalue("redis_client")

    def ready_redis_board() -> RedisBoard:
        build_board(client)
        return RedisBoard(client)

    return ready_redis_board
