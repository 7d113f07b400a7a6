"""The bot in webhook mode: Telegram's POST to /telegram/webhook runs the real Application, whose
Bot API calls go to the stand-in. Covers the secret check, the onboarding and every command.

The handlers run on the bot's own thread (as in production), so these tests commit their data
(`committed_db`).
"""

import html
import json
import logging
import re
from typing import Any

import pytest
from django.db import OperationalError
from django.db.models import F
from django.test import Client

from bot import handlers, texts
from bot.tests.botapi_standin import (
    BotApiStandIn,
    Failure,
    bot_message,
    message_update,
)
from bot.tests.conftest import BOT_USER, MINI_APP_URL, WEBHOOK_SECRET
from core.errors import ServiceUnavailable
from leaderboard.models import ClickTotalShard, shard_for
from players.models import NameStatus, Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.usefixtures("committed_db")

WEBHOOK = "/telegram/webhook"
USER_ID = 777_001


def post_update(update: dict[str, Any], *, secret: str | None = WEBHOOK_SECRET) -> Any:
    """POST an update the way Telegram does, with the secret header when given."""
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return Client().post(
        WEBHOOK, data=json.dumps(update), content_type="application/json", headers=headers
    )


def shown(text: str) -> str:
    """What a reader sees of an HTML-parse-mode message: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def play_url(params: dict[str, Any]) -> str:
    """The Mini App URL behind the message's single inline button (which must be web_app)."""
    [[button]] = params["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Play"
    assert set(button) == {"text", "web_app"}
    return button["web_app"]["url"]


def with_clicks(clicks: int, **fields: Any) -> Player:
    """A player holding `clicks`, counted in the global total as a click sync would."""
    player = PlayerFactory(clicks=clicks, **fields)
    ClickTotalShard.objects.filter(shard=shard_for(player.pk)).update(clicks=F("clicks") + clicks)
    return player


def prompt_reply(text: str, *, user_id: int = USER_ID) -> dict[str, Any]:
    """The player's answer to the bot's name prompt."""
    prompt = bot_message(bot_user=BOT_USER, chat_id=user_id, text=shown(texts.name_prompt_text()))
    return message_update(user_id=user_id, text=text, reply_to=prompt)


# --- the webhook door ---


@pytest.mark.parametrize(
    "wrong_secret", ["not-the-secret", WEBHOOK_SECRET[:-1], WEBHOOK_SECRET + "0", "sécret"]
)
def test_wrong_secret_is_refused_and_nothing_is_processed(
    bot_settings: Any, standin: BotApiStandIn, wrong_secret: str
):
    response = post_update(message_update(user_id=USER_ID, text="/start"), secret=wrong_secret)

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert standin.calls == []
    assert not Player.objects.filter(telegram_id=USER_ID).exists()


def test_missing_secret_header_is_refused(bot_settings: Any, standin: BotApiStandIn):
    response = post_update(message_update(user_id=USER_ID, text="/start"), secret=None)

    assert response.status_code == 403
    assert standin.calls == []
    assert not Player.objects.exists()


def test_webhook_route_is_not_found_without_a_configured_secret(
    bot_settings: Any, standin: BotApiStandIn
):
    bot_settings.TELEGRAM_WEBHOOK_SECRET = ""

    response = post_update(message_update(user_id=USER_ID, text="/start"), secret="")

    assert response.status_code == 404
    assert standin.calls == []
    assert not Player.objects.exists()


def test_webhook_route_is_not_found_with_the_development_token(
    bot_settings: Any, standin: BotApiStandIn
):
    bot_settings.TELEGRAM_BOT_TOKEN = bot_settings.DEV_BOT_TOKEN

    response = post_update(message_update(user_id=USER_ID, text="/start"))

    assert response.status_code == 404
    assert standin.calls == []


def test_body_that_is_not_an_update_is_refused(bot_settings: Any, standin: BotApiStandIn):
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    not_json = Client().post(WEBHOOK, data="{", content_type="application/json", headers=headers)
    no_id = Client().post(
        WEBHOOK, data=json.dumps({"message": {}}), content_type="application/json", headers=headers
    )

    assert (not_json.status_code, no_id.status_code) == (400, 400)
    assert standin.calls_to("sendMessage") == []


def test_get_is_not_allowed(bot_settings: Any, standin: BotApiStandIn):
    response = Client().get(WEBHOOK, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})

    assert response.status_code == 405
    assert standin.calls == []


def test_application_starts_once_per_process(bot_settings: Any, standin: BotApiStandIn):
    post_update(message_update(user_id=USER_ID, text="/help"))
    post_update(message_update(user_id=USER_ID, text="/help"))

    assert len(standin.calls_to("getMe")) == 1
    assert len(standin.calls_to("sendMessage")) == 2


def test_bot_that_cannot_start_answers_503_and_starts_on_redelivery(
    bot_settings: Any, standin: BotApiStandIn
):
    standin.fail_next("getMe", Failure(502, "Bad Gateway"))
    update = message_update(user_id=USER_ID, text="/help")

    refused = post_update(update)
    redelivered = post_update(update)

    assert (refused.status_code, redelivered.status_code) == (503, 200)
    assert len(standin.calls_to("getMe")) == 2
    assert len(standin.calls_to("sendMessage")) == 1


# --- /start and the name prompt ---


def test_start_asks_a_new_player_for_a_name_or_to_choose_it_in_the_game(
    bot_settings: Any, standin: BotApiStandIn
):
    response = post_update(message_update(user_id=USER_ID, text="/start", first_name="Ann"))

    assert response.status_code == 200
    player = Player.objects.get(telegram_id=USER_ID)
    assert player.game_name is None
    assert player.first_name == "Ann"
    offer, prompt = standin.calls_to("sendMessage")
    assert offer["chat_id"] == USER_ID
    assert offer["parse_mode"] == "HTML"
    assert "Hi, Ann!" in offer["text"]
    assert play_url(offer) == MINI_APP_URL
    assert shown(prompt["text"]).startswith("Choose your game name")
    assert prompt["reply_markup"]["force_reply"] is True


def test_reply_to_the_name_prompt_sets_the_name_then_welcomes(
    bot_settings: Any, standin: BotApiStandIn
):
    with_clicks(50, game_name="Leader")
    PlayerFactory(telegram_id=USER_ID, game_name=None, first_name="Ann")

    response = post_update(prompt_reply("Ann the Clicker"))

    assert response.status_code == 200
    player = Player.objects.get(telegram_id=USER_ID)
    assert player.game_name == "Ann the Clicker"
    assert player.name_status == NameStatus.PENDING
    confirmation, welcome = standin.calls_to("sendMessage")
    assert shown(confirmation["text"]) == "Your game name is now Ann the Clicker."
    assert shown(welcome["text"]).startswith("Welcome, Ann the Clicker!\nYour clicks: 0\n")
    assert "Everyone's clicks: 50" in shown(welcome["text"])
    assert "🥇1. Leader — 50" in shown(welcome["text"])
    assert play_url(welcome) == MINI_APP_URL


def test_refused_name_shows_the_api_message_and_asks_again(
    bot_settings: Any, standin: BotApiStandIn, client_for: Any
):
    PlayerFactory(game_name="Taken Name")
    PlayerFactory(telegram_id=USER_ID, game_name=None)
    api_detail = client_for(USER_ID).post("/api/users", {"game_name": "taken name"}, format="json")
    api_detail = api_detail.json()["detail"]

    post_update(prompt_reply("taken name"))

    refusal, prompt = standin.calls_to("sendMessage")
    assert shown(refusal["text"]) == f"That name did not work: {api_detail}"
    assert api_detail == "This game name is taken, please pick another."
    assert prompt["reply_markup"]["force_reply"] is True
    assert Player.objects.get(telegram_id=USER_ID).game_name is None


def test_too_short_name_gets_the_rule_message(bot_settings: Any, standin: BotApiStandIn):
    PlayerFactory(telegram_id=USER_ID, game_name=None)

    post_update(prompt_reply("ab"))

    refusal, _prompt = standin.calls_to("sendMessage")
    assert "A game name needs at least 3 characters." in refusal["text"]
    assert Player.objects.get(telegram_id=USER_ID).game_name is None


def test_start_with_a_named_player_sends_the_welcome(bot_settings: Any, standin: BotApiStandIn):
    leaders = [with_clicks(1000 - n * 100, game_name=f"Leader{n}") for n in range(7)]
    me = with_clicks(10, telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="/start"))

    [welcome] = standin.calls_to("sendMessage")
    text = shown(welcome["text"])
    total = sum(player.clicks for player in [*leaders, me])
    assert text.startswith("Welcome, Ann!\nYour clicks: 10\n")
    assert f"Everyone's clicks: {total:,}" in text
    assert (
        "🥇1. Leader0 — 1,000 (20.4%)\n🥈2. Leader1 — 900 (18.3%)\n🥉3. Leader2 — 800 (16.3%)\n"
        in text
    )
    assert "5. Leader4 — 600 (12.2%)\n…\n7. Leader6 — 400 (8.1%)\n8. Ann — 10 (0.20%) ← you" in text
    assert "Leader5" not in text
    assert play_url(welcome) == MINI_APP_URL


def test_start_with_an_unknown_payload_works_like_start(bot_settings: Any, standin: BotApiStandIn):
    PlayerFactory(telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="/start no-such-campaign_42"))

    [welcome] = standin.calls_to("sendMessage")
    assert shown(welcome["text"]).startswith("Welcome, Ann!")


def test_player_in_the_top_is_marked_in_place(bot_settings: Any, standin: BotApiStandIn):
    with_clicks(500, game_name="Leader")
    with_clicks(300, telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="/start"))

    text = shown(standin.calls_to("sendMessage")[0]["text"])
    assert "🥇1. Leader — 500 (62.5%)\n🥈2. Ann — 300 (37.5%) ← you" in text
    assert "…" not in text


def test_names_and_user_text_show_exactly_as_typed(bot_settings: Any, standin: BotApiStandIn):
    # Game names pass the rules; these came in before them (or via the database) and must
    # still not format the message. First names come straight from Telegram.
    with_clicks(99, game_name="*_[<b>&amp;")

    post_update(message_update(user_id=USER_ID, text="/start", first_name="*_[<b>`x`"))
    player = Player.objects.get(telegram_id=USER_ID)
    player.game_name = "Ann"
    player.save(update_fields=["game_name"])
    post_update(message_update(user_id=USER_ID, text="/top"))

    offer = standin.calls_to("sendMessage")[0]["text"]
    board = standin.calls_to("sendMessage")[-1]["text"]
    assert "Hi, *_[&lt;b&gt;`x`!" in offer
    assert "*_[&lt;b&gt;&amp;amp; — 99" in board
    assert "🥇1. *_[<b>&amp; — 99" in shown(board)


# --- the other commands ---


def test_top_lists_everyones_clicks_the_leaders_and_own_place(
    bot_settings: Any, standin: BotApiStandIn
):
    with_clicks(70, game_name="Bob")
    with_clicks(30, game_name="Cid")
    with_clicks(50, telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="/top"))

    [answer] = standin.calls_to("sendMessage")
    assert shown(answer["text"]) == (
        "Everyone's clicks: 150 by 3 players\n\n"
        "Leaderboard\n🥇1. Bob — 70 (46.7%)\n🥈2. Ann — 50 (33.3%) ← you\n🥉3. Cid — 30 (20.0%)"
    )
    assert play_url(answer) == MINI_APP_URL


def test_me_shows_name_state_clicks_and_rank(bot_settings: Any, standin: BotApiStandIn):
    with_clicks(70, game_name="Bob")
    with_clicks(1234, telegram_id=USER_ID, game_name="Ann", name_status=NameStatus.REJECTED)

    post_update(message_update(user_id=USER_ID, text="/me"))

    [answer] = standin.calls_to("sendMessage")
    assert shown(answer["text"]) == (
        "Game name: Ann (refused by a moderator, choose another with /name)\n"
        f"Shown to others as: Player #{Player.objects.get(telegram_id=USER_ID).pk}\n"
        "Clicks: 1,234\nRank: #1 of 2"
    )


def test_name_command_changes_the_name(bot_settings: Any, standin: BotApiStandIn):
    PlayerFactory(telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="/name Ann  Second"))

    assert Player.objects.get(telegram_id=USER_ID).game_name == "Ann Second"
    assert standin.sent_texts() == ["Your game name is now <b>Ann Second</b>."]


def test_bare_name_command_asks_for_the_name(bot_settings: Any, standin: BotApiStandIn):
    PlayerFactory(telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="/name"))

    [prompt] = standin.calls_to("sendMessage")
    assert prompt["reply_markup"]["force_reply"] is True
    assert Player.objects.get(telegram_id=USER_ID).game_name == "Ann"


def test_name_changes_share_the_api_rate_limit(bot_settings: Any, standin: BotApiStandIn):
    bot_settings.NAME_CHANGE_RATE = "1/h"
    PlayerFactory(telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="/name Bea"))
    post_update(message_update(user_id=USER_ID, text="/name Cleo"))

    assert Player.objects.get(telegram_id=USER_ID).game_name == "Bea"
    assert standin.sent_texts()[-1] == (
        "That name did not work: Too many requests, try again later."
    )


def test_help_lists_every_command(bot_settings: Any, standin: BotApiStandIn):
    post_update(message_update(user_id=USER_ID, text="/help"))

    [answer] = standin.calls_to("sendMessage")
    for command in ("/start", "/top", "/me", "/name", "/help"):
        assert command in answer["text"]
    assert play_url(answer) == MINI_APP_URL


def test_unknown_text_points_to_help(bot_settings: Any, standin: BotApiStandIn):
    PlayerFactory(telegram_id=USER_ID, game_name="Ann")

    post_update(message_update(user_id=USER_ID, text="hello?"))

    assert standin.sent_texts() == [texts.unknown_text()]
    assert Player.objects.get(telegram_id=USER_ID).game_name == "Ann"


def test_banned_player_gets_the_api_message(bot_settings: Any, standin: BotApiStandIn):
    PlayerFactory(telegram_id=USER_ID, game_name="Ann", is_banned=True)

    post_update(message_update(user_id=USER_ID, text="/top"))

    assert standin.sent_texts() == ["This player is banned."]


def test_group_chats_are_ignored(bot_settings: Any, standin: BotApiStandIn):
    response = post_update(message_update(user_id=USER_ID, text="/start", chat_type="group"))

    assert response.status_code == 200
    assert standin.calls_to("sendMessage") == []
    assert not Player.objects.filter(telegram_id=USER_ID).exists()


def test_a_database_outage_gets_the_api_busy_message(
    bot_settings: Any, standin: BotApiStandIn, monkeypatch: pytest.MonkeyPatch
):
    PlayerFactory(telegram_id=USER_ID, game_name="Ann")

    def database_down(**kwargs: Any) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(handlers, "leaderboard_for", database_down)
    response = post_update(message_update(user_id=USER_ID, text="/top"))

    assert response.status_code == 200
    assert standin.sent_texts() == [ServiceUnavailable.default_detail]


# --- Telegram errors ---


def test_flood_control_is_waited_out_and_the_message_sent(
    bot_settings: Any, standin: BotApiStandIn
):
    standin.fail_next(
        "sendMessage", Failure(429, "Too Many Requests: retry after 1", retry_after=1)
    )

    response = post_update(message_update(user_id=USER_ID, text="/help"))

    assert response.status_code == 200
    first, second = standin.calls_to("sendMessage")
    assert first["text"] == second["text"] == texts.help_text()


def test_blocked_user_is_logged_and_the_bot_keeps_going(
    bot_settings: Any, standin: BotApiStandIn, caplog: pytest.LogCaptureFixture
):
    standin.fail_next("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))

    with caplog.at_level(logging.INFO, logger="bot"):
        blocked = post_update(message_update(user_id=USER_ID, text="/help"))
    later = post_update(message_update(user_id=USER_ID + 1, text="/help"))

    assert (blocked.status_code, later.status_code) == (200, 200)
    assert "bot was blocked by the user" in caplog.text
    assert [params["chat_id"] for params in standin.calls_to("sendMessage")] == [
        USER_ID,
        USER_ID + 1,
    ]
