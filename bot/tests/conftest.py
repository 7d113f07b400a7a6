"""Fixtures for the bot tests: the Bot API stand-in and settings that point the bot at it."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bot.orm import db_connections_close
from bot.tests.botapi_standin import BotApiStandIn
from bot.webhook import bot_loop_close
from leaderboard.models import TOTAL_CLICK_SHARDS, ClickTotalShard

BOT_TOKEN = "424242:TEST-standin-token"
BOT_USER = {
    "id": 424242,
    "is_bot": True,
    "first_name": "clickgame",
    "username": "clickgame_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MINI_APP_URL = "https://game.example.test/play/"
WEBHOOK_URL = "https://game.example.test/telegram/webhook"
WEBHOOK_SECRET = "test-Secret_0123456789-abcdefghijklm"


@pytest.fixture
def standin() -> Iterator[BotApiStandIn]:
    """A running Bot API stand-in that knows the test bot's token."""
    server = BotApiStandIn(token=BOT_TOKEN, bot_user=BOT_USER).start()
    yield server
    server.stop()


@pytest.fixture
def bot_settings(settings: Any, standin: BotApiStandIn) -> Iterator[Any]:
    """Settings of a fully configured bot whose Bot API server is the stand-in.

    Afterwards the process's webhook BotLoop is stopped and the bot's database thread lets go
    of its connections (PostgreSQL cannot drop a test database somebody is connected to).
    """
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    settings.TELEGRAM_BOT_USERNAME = BOT_USER["username"]
    settings.TELEGRAM_API_BASE_URL = standin.base_url
    settings.TELEGRAM_BOT_MODE = "polling"
    settings.TELEGRAM_WEBHOOK_URL = WEBHOOK_URL
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.MINI_APP_URL = MINI_APP_URL
    yield settings
    bot_loop_close()
    asyncio.run(db_connections_close())


@pytest.fixture
def committed_db(transactional_db: None) -> None:
    """A database whose writes other threads see (the bot's handlers run on their own thread).

    A transactional test starts from whatever the last flush left, which lacks the rows data
    migrations create; the global-total shards are put back here (the same rows, all zero).
    """
    ClickTotalShard.objects.bulk_create(
        [ClickTotalShard(shard=shard, clicks=0) for shard in range(TOTAL_CLICK_SHARDS)],
        ignore_conflicts=True,
    )
