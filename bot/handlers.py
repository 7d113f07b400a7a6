"""The bot's handlers: thin async doors onto the same player and leaderboard services as the API.

Each handler signs the Telegram user in as a player, calls one or two services through
`db_call`, and answers with a text from `texts`. Domain errors (a name that breaks a rule, a rate
limit, a ban) reach the player as the same sentences the API sends; `on_error` turns them, and
anything unexpected, into an answer or a log line without stopping the bot.
"""

import logging

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError
from telegram import Message, Update, User
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import texts
from bot.orm import db_call
from bot.sending import with_retries
from core.errors import DomainError, InvalidInput, ServiceUnavailable
from leaderboard.selectors import leaderboard_for
from players.models import Player
from players.services import player_set_game_name, player_sign_in

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


def player_for(user: User) -> Player:
    """The player behind a Telegram user (created on first sight); banned players are refused."""
    return player_sign_in(
        telegram_id=user.id,
        first_name=user.first_name or "",
        username=user.username or "",
        language_code=user.language_code or "",
    )


async def _send(message: Message, text: str, **kwargs: object) -> Message | None:
    """Answer in the message's chat, surviving flood waits and network errors."""
    return await with_retries(
        lambda: message.get_bot().send_message(message.chat_id, text, **kwargs),
        what=f"sendMessage to {message.chat_id}",
    )


async def _send_welcome(message: Message, player: Player) -> None:
    board = await db_call(leaderboard_for, player_id=player.pk)
    await _send(
        message,
        texts.welcome_text(player=player, board=board),
        reply_markup=texts.play_keyboard(settings.MINI_APP_URL),
    )


async def _ask_for_name(message: Message) -> None:
    await _send(message, texts.name_prompt_text(), reply_markup=texts.name_prompt_markup())


async def _signed_in(update: Update) -> tuple[Message, Player]:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        # The filters below only let messages from users through.
        raise ValueError("update without a message or a user")
    return message, await db_call(player_for, user)


async def start(update: Update, context: Context) -> None:
    """/start (with or without a deep-link payload): ask a newcomer's name, else the welcome.

    Payloads (`t.me/<bot>?start=<payload>`) change nothing yet: unknown ones are ignored.
    """
    message, player = await _signed_in(update)
    if context.args:
        logger.debug("/start payload ignored: %r", context.args[0][:64])
    if player.needs_name:
        await _send(
            message,
            texts.newcomer_text(message.from_user.first_name if message.from_user else ""),
            reply_markup=texts.play_keyboard(settings.MINI_APP_URL),
        )
        await _ask_for_name(message)
        return
    await _send_welcome(message, player)


async def name_reply(update: Update, context: Context) -> None:
    """A reply to the name prompt: set it as the game name, then welcome the player."""
    message, player = await _signed_in(update)
    await _set_name(message, player, message.text or "", prompt_again=True)


async def name_command(update: Update, context: Context) -> None:
    """/name <new name> sets the game name; a bare /name asks for it."""
    message, player = await _signed_in(update)
    if not context.args:
        await _ask_for_name(message)
        return
    await _set_name(message, player, " ".join(context.args), prompt_again=False)


async def _set_name(
    message: Message, player: Player, game_name: str, *, prompt_again: bool
) -> None:
    was_missing = player.needs_name
    try:
        await db_call(player_set_game_name, player=player, game_name=game_name)
    except DomainError as exc:
        await _send(message, texts.name_refused_text(exc.detail))
        # A name that breaks a rule can be fixed right away; a rate limit cannot.
        if prompt_again and isinstance(exc, InvalidInput):
            await _ask_for_name(message)
        return
    await _send(message, texts.name_set_text(player=player, moderation=settings.NAME_MODERATION))
    if was_missing:
        await _send_welcome(message, player)


async def top(update: Update, context: Context) -> None:
    """/top: everyone's clicks, the leaders and the player's own place."""
    message, player = await _signed_in(update)
    board = await db_call(leaderboard_for, player_id=player.pk)
    await _send(
        message, texts.top_text(board), reply_markup=texts.play_keyboard(settings.MINI_APP_URL)
    )


async def me(update: Update, context: Context) -> None:
    """/me: the player's game name and its moderation state, clicks and rank."""
    message, player = await _signed_in(update)
    board = await db_call(leaderboard_for, player_id=player.pk)
    await _send(message, texts.me_text(player=player, board=board))


async def help_command(update: Update, context: Context) -> None:
    """/help: the commands and how to open the game."""
    message = update.effective_message
    if message is not None:
        await _send(
            message, texts.help_text(), reply_markup=texts.play_keyboard(settings.MINI_APP_URL)
        )


async def unknown(update: Update, context: Context) -> None:
    """Anything else in a private chat: point to /help."""
    message = update.effective_message
    if message is not None:
        await _send(message, texts.unknown_text())


def _error_reply(error: Exception) -> str | None:
    """What to tell the player about a failed update, or None to stay silent."""
    if isinstance(error, DomainError):
        return error.detail
    if isinstance(error, DatabaseError | RedisError):
        return ServiceUnavailable.default_detail
    return None


async def on_error(update: object, context: Context) -> None:
    """Log a failed update and tell the player what they can do; the bot keeps running."""
    error = context.error
    if isinstance(error, DomainError):
        logger.info("bot update refused: %s (%s)", error.code, error.detail)
    elif isinstance(error, TelegramError):
        logger.warning("telegram error while handling an update: %s", error)
    else:
        logger.error("bot update failed", exc_info=error)
    reply = _error_reply(error) if isinstance(error, Exception) else None
    if reply and isinstance(update, Update) and update.effective_message is not None:
        await _send(update.effective_message, texts.escape(reply))


class _ReplyToNamePrompt(filters.MessageFilter):
    """A message that answers the bot's name prompt."""

    def filter(self, message: Message) -> bool:
        prompt = message.reply_to_message
        return bool(
            prompt is not None
            and prompt.from_user is not None
            and prompt.from_user.is_bot
            and (prompt.text or "").startswith(texts.NAME_PROMPT)
        )


def handlers_add(application: Application) -> None:
    """Register the commands, the name-prompt reply and the error handler (private chats only).

    The bot answers in private chats: inline `web_app` buttons exist only there.
    """
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("top", top, filters=private))
    application.add_handler(CommandHandler("me", me, filters=private))
    application.add_handler(CommandHandler("name", name_command, filters=private))
    application.add_handler(CommandHandler("help", help_command, filters=private))
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & _ReplyToNamePrompt(), name_reply)
    )
    application.add_handler(MessageHandler(private & filters.TEXT, unknown))
    application.add_error_handler(on_error)
