"""The bot's python-telegram-bot Application, and the ways to run it.

- `polling_run`: long polling in the foreground (`manage.py runbot`, development).
- `webhook_register` / `webhook_delete`: tell Telegram to post updates to this server's
  `/telegram/webhook` route (production), served by `bot.webhook`.
Both set the bot's command list and its chat menu button ("Play" opens the Mini App).
"""

from django.conf import settings
from telegram import BotCommand, MenuButtonWebApp, Update, WebAppInfo
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults, ExtBot

from bot import texts
from bot.config import api_base_urls
from bot.handlers import handlers_add
from bot.sending import with_retries

# The bot only handles messages; Telegram keeps other kinds of update to itself.
ALLOWED_UPDATES = [Update.MESSAGE]


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


def polling_run(application: Application) -> None:
    """Poll Telegram for updates until SIGINT/SIGTERM (python-telegram-bot's run_polling).

    The Updater first deletes any webhook (Telegram refuses getUpdates while one is set) and
    retries network errors while polling on its own.
    """
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
