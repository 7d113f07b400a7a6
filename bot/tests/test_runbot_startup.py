"""runbot's start: one clear line per retry while the Bot API is unreachable, named by getMe."""

import asyncio
import io
import logging
import socket
import threading
from typing import Any

import pytest
from django.core.management import call_command
from telegram.error import NetworkError

from bot.app import application_initialize, build_application
from bot.management.commands.run_botapi_standin import LOCAL_TOKEN
from bot.tests.botapi_standin import BotApiStandIn, Failure
from bot.tests.conftest import BOT_USER
from bot.tests.test_bot_commands import runbot_until


def test_unreachable_bot_api_is_one_warning_line_per_attempt(bot_settings: Any, caplog) -> None:
    # Nothing listens on port 9 of the loopback: every connection is refused at once.
    bot_settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9/bot"
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    application = build_application(polling=True)
    with caplog.at_level(logging.WARNING), pytest.raises(NetworkError):
        asyncio.run(application_initialize(application, attempts=3, sleep=no_wait))

    lines = [record for record in caplog.records if record.name == "bot.app"]
    assert [record.levelname for record in lines] == ["WARNING", "WARNING"]
    assert all(record.exc_info is None for record in caplog.records)
    assert "Bot API at http://127.0.0.1:9 did not answer getMe" in lines[0].getMessage()
    assert "attempt 1, retrying in 1 s" in lines[0].getMessage()
    assert waits == [1, 2]


@pytest.mark.usefixtures("committed_db")
def test_runbot_names_the_bot_getme_answered_for_after_a_failed_attempt(
    bot_settings: Any, standin: BotApiStandIn, caplog
) -> None:
    bot_settings.TELEGRAM_BOT_USERNAME = "configured_name_bot"
    standin.fail_next("getMe", Failure(error_code=502, description="Bad Gateway"))

    with caplog.at_level(logging.WARNING):
        output = runbot_until(standin, lambda s: bool(s.calls_to("getUpdates")))

    assert output.splitlines()[0] == (
        f"@{BOT_USER['username']} is polling for updates; Ctrl-C stops it."
    )
    assert "configured_name_bot" not in output
    retries = [record for record in caplog.records if record.name == "bot.app"]
    assert len(retries) == 1 and "did not answer getMe (Bad Gateway)" in retries[0].getMessage()
    assert all(record.exc_info is None for record in caplog.records)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.usefixtures("committed_db")
def test_run_botapi_standin_lets_a_developer_chat_with_runbot(bot_settings: Any) -> None:
    port = free_port()
    bot_settings.TELEGRAM_BOT_TOKEN = LOCAL_TOKEN
    bot_settings.TELEGRAM_API_BASE_URL = f"http://127.0.0.1:{port}/bot"
    chat_out = io.StringIO()
    failures: list[BaseException] = []

    def chat() -> None:
        try:
            call_command(
                "run_botapi_standin", port=port, say=["/start"], wait=15.0, stdout=chat_out
            )
        except BaseException as exc:  # reported to the test thread below
            failures.append(exc)

    chat_thread = threading.Thread(target=chat, daemon=True)
    chat_thread.start()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def stop_bot_when_chat_ends() -> None:
        chat_thread.join(20)
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=stop_bot_when_chat_ends, daemon=True).start()
    bot_out = io.StringIO()
    try:
        call_command("runbot", stdout=bot_out)
    finally:
        asyncio.set_event_loop(None)
    chat_thread.join(5)

    assert failures == []
    transcript = chat_out.getvalue()
    assert f"TELEGRAM_API_BASE_URL=http://127.0.0.1:{port}/bot" in transcript
    assert "you> /start" in transcript
    assert "bot> Hi, Dev!" in transcript
    assert "[Play] https://game.example.test/play/" in transcript
    assert bot_out.getvalue().startswith("@clickgame_local_bot is polling")
