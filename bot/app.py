"""The bot's python-telegram-bot Application, and the ways to run it.

- `polling_run`: long polling in the foreground (`manage.py runbot`, development).
- `webhook_register` / `webhook_delete`: tell Telegram to post updates to this server's
  `/telegram/webhook` route (production), served by `bot.webhook`.
Both set the bot's command list and its chat menu button ("Play" opens the Mini App).
"""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

from django.conf import settings
from telegram import BotCommand, MenuButtonWebApp, Update, User, WebAppInfo
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, Defaults, ExtBot

from bot import texts
from bot.config import api_base_urls
from bot.handlers import handlers_add
from bot.sending import with_retries

logger = logging.getLogger(__name__)

# The bot only handles messages; Telegram keeps other kinds of update to itself.
ALLOWED_UPDATES = [Update.MESSAGE]
# Seconds between start-up attempts while the Bot API cannot be reached (the last one repeats).
STARTUP_RETRY_SECONDS = (1, 2, 5, 10, 30)


def build_application(*, polling: bool) -> Application:
    """The Application with every handler, talking to the configured Bot API server.

    With `polling=False` it has no Updater: updates come from the webhook route instead.
    """
    base_url, base_file_url = api_base_urls()
    builder = (
        Application.builder()
        .token(settings.TELEGRAM_BOT_TOKEN)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .post_init(_post_init)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    handlers_add(application)
    return application


async def bot_setup(bot: ExtBot) -> None:
    """Register the command list (setMyCommands) and the "Play" chat menu button."""
    commands = [BotCommand(command, description) for command, description in texts.COMMANDS]
    await with_retries(lambda: bot.set_my_commands(commands), what="setMyCommands")
    menu_button = MenuButtonWebApp(
        text=texts.PLAY_LABEL, web_app=WebAppInfo(url=settings.MINI_APP_URL)
    )
    await with_retries(
        lambda: bot.set_chat_menu_button(menu_button=menu_button), what="setChatMenuButton"
    )


async def _post_init(application: Application) -> None:
    await bot_setup(application.bot)


async def application_initialize(
    application: Application,
    *,
    attempts: int | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> User:
    """Initialize the application (getMe), waiting while the Bot API cannot be reached.

    Each failed attempt is one warning line; a refused token is raised at once (InvalidToken).
    After `attempts` failures (None: no limit) the last NetworkError is raised.
    """
    base_url, _ = api_base_urls()
    for attempt in itertools.count(1):
        try:
            await application.initialize()
        except InvalidToken:
            raise
        except NetworkError as exc:
            if attempts is not None and attempt >= attempts:
                raise
            delay = STARTUP_RETRY_SECONDS[min(attempt, len(STARTUP_RETRY_SECONDS)) - 1]
            logger.warning(
                "Bot API at %s did not answer getMe (%s); attempt %d, retrying in %d s.",
                base_url.removesuffix("/bot"),
                exc.message or type(exc).__name__,
                attempt,
                delay,
            )
            await sleep(delay)
        else:
            return application.bot.bot
    raise AssertionError("unreachable")  # pragma: no cover (itertools.count never ends)


def polling_run(application: Application, *, started: Callable[[User], None]) -> None:
    """Poll Telegram for updates until SIGINT/SIGTERM (python-telegram-bot's run_polling).

    getMe comes first, retried while the Bot API is unreachable; `started` gets the bot's user
    once it answered. The Updater then deletes any webhook (Telegram refuses getUpdates while one
    is set) and retries network errors while polling on its own.
    """
    # The loop run_polling will use: the thread's current one, or a new one (as it does itself).
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    try:
        me = loop.run_until_complete(application_initialize(application))
    except KeyboardInterrupt:
        loop.close()
        return
    started(me)
    application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3)


async def webhook_register(*, drop_pending_updates: bool = False) -> str:
    """Point Telegram at TELEGRAM_WEBHOOK_URL with the secret; returns what Telegram reports."""
    application = build_application(polling=False)
    async with application.bot as bot:
        await bot_setup(bot)
        await bot.set_webhook(
            url=settings.TELEGRAM_WEBHOOK_URL,
            secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending_updates,
        )
        info = await bot.get_webhook_info()
    return f"{info.url} (updates waiting: {info.pending_update_count})"


async def webhook_delete(*, drop_pending_updates: bool = False) -> None:
    """Stop Telegram posting updates to the webhook (polling can take over)."""
    application = build_application(polling=False)
    async with application.bot as bot:
        await bot.delete_webhook(drop_pending_updates=drop_pending_updates)
