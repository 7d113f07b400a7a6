"""`manage.py runbot` (long polling against the stand-in), `setwebhook` and `deletewebhook`."""

import asyncio
import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from bot import texts
from bot.tests.botapi_standin import BotApiStandIn, Failure, message_update
from bot.tests.conftest import MINI_APP_URL, WEBHOOK_SECRET, WEBHOOK_URL
from players.models import Player
from players.tests.factories import PlayerFactory

USER_ID = 778_001
# Long enough for a slow CI machine; a healthy run stops in well under a second.
RUN_TIMEOUT_SECONDS = 15.0

EXPECTED_COMMANDS = [
    {"command": command, "description": description} for command, description in texts.COMMANDS
]
EXPECTED_MENU_BUTTON = {"type": "web_app", "text": "Play", "web_app": {"url": MINI_APP_URL}}


def runbot_until(standin: BotApiStandIn, done: Callable[[BotApiStandIn], bool]) -> str:
    """Run `manage.py runbot` (polling) until the stand-in saw what `done` waits for.

    runbot runs python-telegram-bot's run_polling on this thread's event loop, as in a terminal;
    a watcher stops that loop once `done` holds (what Ctrl-C does, without a signal).
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    returned = threading.Event()

    def stop_when_done() -> None:
        standin.wait_for(lambda s: done(s) or returned.is_set(), RUN_TIMEOUT_SECONDS)
        if not returned.is_set():
            loop.call_soon_threadsafe(loop.stop)

    watcher = threading.Thread(target=stop_when_done, daemon=True)
    watcher.start()
    out = io.StringIO()
    try:
        call_command("runbot", stdout=out)
    finally:
        returned.set()
        asyncio.set_event_loop(None)
        watcher.join(RUN_TIMEOUT_SECONDS)
    return out.getvalue()


@pytest.mark.usefixtures("committed_db")
def test_runbot_polls_updates_and_answers_them(bot_settings: Any, standin: BotApiStandIn):
    PlayerFactory(telegram_id=USER_ID, game_name="Ann")
    updates = [
        message_update(user_id=USER_ID, text="/start"),
        message_update(user_id=USER_ID + 1, text="/start", first_name="Bea"),
    ]
    for update in updates:
        standin.queue_update(update)

    output = runbot_until(standin, lambda s: len(s.calls_to("sendMessage")) >= 3)

    assert "polling" in output
    welcome, offer, prompt = standin.calls_to("sendMessage")
    assert welcome["chat_id"] == USER_ID
    assert welcome["text"].startswith("Welcome, <b>Ann</b>!")
    assert welcome["reply_markup"]["inline_keyboard"][0][0]["web_app"] == {"url": MINI_APP_URL}
    assert "Hi, Bea!" in offer["text"]
    assert prompt["reply_markup"]["force_reply"] is True
    assert Player.objects.get(telegram_id=USER_ID + 1).first_name == "Bea"
    polls = standin.calls_to("getUpdates")
    assert polls[0]["allowed_updates"] == ["message"]
    # Stopping confirms the handled updates, so Telegram does not send them again.
    assert polls[-1]["offset"] == updates[-1]["update_id"] + 1


@pytest.mark.usefixtures("committed_db")
def test_runbot_registers_commands_and_the_play_menu_button_on_start(
    bot_settings: Any, standin: BotApiStandIn
):
    runbot_until(standin, lambda s: bool(s.calls_to("getUpdates")))

    methods = [call.method for call in standin.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert standin.calls_to("setMyCommands") == [{"commands": EXPECTED_COMMANDS}]
    assert standin.calls_to("setChatMenuButton") == [{"menu_button": EXPECTED_MENU_BUTTON}]


def test_runbot_refuses_the_development_token_and_says_what_to_set(
    bot_settings: Any, standin: BotApiStandIn
):
    bot_settings.TELEGRAM_BOT_TOKEN = bot_settings.DEV_BOT_TOKEN

    with pytest.raises(CommandError) as refused:
        call_command("runbot")

    assert "TELEGRAM_BOT_TOKEN is not set" in str(refused.value)
    assert "@BotFather" in str(refused.value)
    assert standin.calls == []


def test_runbot_refuses_without_any_token(bot_settings: Any, standin: BotApiStandIn):
    bot_settings.TELEGRAM_BOT_TOKEN = ""

    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN is not set"):
        call_command("runbot")
    assert standin.calls == []


def test_runbot_refuses_a_mini_app_url_without_https(bot_settings: Any, standin: BotApiStandIn):
    bot_settings.MINI_APP_URL = "http://127.0.0.1:8000/"
    bot_settings.TELEGRAM_BOT_MODE = "carrier-pigeon"

    with pytest.raises(CommandError) as refused:
        call_command("runbot")

    assert "MINI_APP_URL" in str(refused.value)
    assert "HTTPS" in str(refused.value)
    assert "TELEGRAM_BOT_MODE" in str(refused.value)
    assert standin.calls == []


def test_the_web_app_runs_without_a_bot_token(settings: Any):
    settings.TELEGRAM_BOT_TOKEN = settings.DEV_BOT_TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET

    assert Client().get("/health").status_code == 200
    assert Client().post("/telegram/webhook", data={}).status_code == 404


def test_runbot_in_webhook_mode_registers_the_webhook_and_exits(
    bot_settings: Any, standin: BotApiStandIn
):
    bot_settings.TELEGRAM_BOT_MODE = "webhook"
    out = io.StringIO()

    call_command("runbot", stdout=out)

    assert standin.calls_to("setWebhook") == [
        {
            "url": WEBHOOK_URL,
            "secret_token": WEBHOOK_SECRET,
            "allowed_updates": ["message"],
            "drop_pending_updates": False,
        }
    ]
    assert standin.calls_to("getUpdates") == []
    assert f"Webhook registered: {WEBHOOK_URL}" in out.getvalue()
    assert "web process" in out.getvalue()


def test_setwebhook_sends_the_url_secret_and_allowed_updates(
    bot_settings: Any, standin: BotApiStandIn
):
    out = io.StringIO()

    call_command("setwebhook", "--drop-pending-updates", stdout=out)

    assert standin.calls_to("setWebhook") == [
        {
            "url": WEBHOOK_URL,
            "secret_token": WEBHOOK_SECRET,
            "allowed_updates": ["message"],
            "drop_pending_updates": True,
        }
    ]
    assert standin.calls_to("setMyCommands") == [{"commands": EXPECTED_COMMANDS}]
    assert standin.calls_to("setChatMenuButton") == [{"menu_button": EXPECTED_MENU_BUTTON}]
    assert out.getvalue() == f"Webhook registered: {WEBHOOK_URL} (updates waiting: 0).\n"


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("TELEGRAM_WEBHOOK_SECRET", "", "TELEGRAM_WEBHOOK_SECRET"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces", "TELEGRAM_WEBHOOK_SECRET"),
        ("TELEGRAM_WEBHOOK_SECRET", "a" * 31, "at least 32"),
        ("TELEGRAM_WEBHOOK_URL", "http://game.example.test/telegram/webhook", "https://"),
    ],
)
def test_setwebhook_refuses_an_incomplete_configuration(
    bot_settings: Any, standin: BotApiStandIn, setting: str, value: str, complaint: str
):
    setattr(bot_settings, setting, value)

    with pytest.raises(CommandError, match=complaint):
        call_command("setwebhook")
    assert standin.calls == []


def test_setwebhook_reports_telegrams_refusal(bot_settings: Any, standin: BotApiStandIn):
    standin.fail_next(
        "setWebhook", Failure(400, "Bad Request: bad webhook: Failed to resolve host")
    )

    with pytest.raises(CommandError, match=r"(?i)failed to resolve host"):
        call_command("setwebhook")


def test_deletewebhook_removes_it_and_can_drop_pending_updates(
    bot_settings: Any, standin: BotApiStandIn
):
    out = io.StringIO()

    call_command("deletewebhook", stdout=out)
    call_command("deletewebhook", "--drop-pending-updates", stdout=out)

    assert standin.calls_to("deleteWebhook") == [
        {"drop_pending_updates": False},
        {"drop_pending_updates": True},
    ]
    assert "Webhook deleted" in out.getvalue()
