"""Fixtures shared by every app's tests: API clients signed with real initData, clean caches."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from telegram_auth.authentication import initdata_bot_token
from telegram_auth.initdata import build_init_data


def tma_header(telegram_id: int, *, first_name: str = "Tester", **user: Any) -> str:
    """An `Authorization` value with initData signed by the configured bot token."""
    init_data = build_init_data(
        {"id": telegram_id, "first_name": first_name, **user}, initdata_bot_token()
    )
    return f"tma {init_data}"


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Every test starts with an empty cache (rate limits, live leaderboard) and no memory of
    Redis failures or of the live board's state."""
    # Imported here: the app registry is ready only once pytest-django has set Django up.
    from clicks.live import sync_tracking_forget
    from core.throttles import read_throttle_pause
    from leaderboard.selectors import live_board_pause

    cache.clear()
    live_board_pause.clear()
    read_throttle_pause.clear()
    sync_tracking_forget()
    yield
    cache.clear()
    live_board_pause.clear()
    read_throttle_pause.clear()
    sync_tracking_forget()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """An API client authenticated as the Telegram user `telegram_id`."""

    def make(telegram_id: int, **user: Any) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=tma_header(telegram_id, **user))
        return client

    return make
