"""What the bot needs from settings, and plain-language explanations when something is missing.

The web app runs without a bot token in development (`make run` sets a DEV_BOT_TOKEN that only
signs dev initData); the bot itself refuses to start until a real token and an HTTPS Mini App
URL are configured, and says which variable to set.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings

BOT_MODES = ("polling", "webhook")
# Telegram's own format: the bot's numeric id, a colon, then the secret part.
_TOKEN_FORMAT = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# setWebhook's secret_token: Telegram takes 1-256 characters of A-Z a-z 0-9 _ -; we require 32+
# so the secret cannot be guessed (settings refuse a shorter one at start-up too).
MIN_WEBHOOK_SECRET_LENGTH = 32
_SECRET_FORMAT = re.compile(rf"^[A-Za-z0-9_-]{{{MIN_WEBHOOK_SECRET_LENGTH},256}}$")
TELEGRAM_API_URL = "https://api.telegram.org/bot"
TELEGRAM_FILE_URL = "https://api.telegram.org/file/bot"


def token_problems() -> list[str]:
    """Why the configured TELEGRAM_BOT_TOKEN cannot run a bot (empty list when it can)."""
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        return [
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather (/newbot) and put its "
            "token in .env or the environment (see docs/bot.md)."
        ]
    if token == settings.DEV_BOT_TOKEN:
        return [
            "TELEGRAM_BOT_TOKEN is not set, so the built-in development token is in use; it only "
            "signs dev initData and is not a real bot. Create a bot with @BotFather (/newbot) and "
            "put its token in .env or the environment (see docs/bot.md)."
        ]
    if not _TOKEN_FORMAT.match(token):
        return [
            "TELEGRAM_BOT_TOKEN does not look like a bot token (expected '<digits>:<secret>' "
            "as @BotFather shows it)."
        ]
    return []


def bot_problems() -> list[str]:
    """Everything that stops the bot from running, each as a sentence saying what to set."""
    problems = token_problems()
    if urlsplit(settings.MINI_APP_URL).scheme != "https":
        problems.append(
            f"MINI_APP_URL is {settings.MINI_APP_URL!r}; Telegram opens Mini Apps over HTTPS "
            "only. Set it to the game's public https:// address (in development, an HTTPS "
            "tunnel to the dev server; see docs/bot.md)."
        )
    if settings.TELEGRAM_BOT_MODE not in BOT_MODES:
        problems.append(
            f"TELEGRAM_BOT_MODE is {settings.TELEGRAM_BOT_MODE!r}; use 'polling' or 'webhook'."
        )
    return problems


def webhook_problems() -> list[str]:
    """What stops Telegram from delivering updates to this server's webhook route."""
    problems = []
    if urlsplit(settings.TELEGRAM_WEBHOOK_URL).scheme != "https":
        problems.append(
            "TELEGRAM_WEBHOOK_URL must be the public https:// address of /telegram/webhook on "
            "this server, e.g. https://game.example.com/telegram/webhook."
        )
    if not _SECRET_FORMAT.match(settings.TELEGRAM_WEBHOOK_SECRET):
        problems.append(
            f"TELEGRAM_WEBHOOK_SECRET must be at least {MIN_WEBHOOK_SECRET_LENGTH} (at most 256) "
            "characters of A-Z a-z 0-9 _ - (e.g. the output of `openssl rand -hex 32`)."
        )
    return problems


def problems_text(problems: list[str]) -> str:
    """The problems as one message for the console."""
    return "The bot cannot start yet:\n- " + "\n- ".join(problems)


def api_base_urls() -> tuple[str, str]:
    """The Bot API base URL and file base URL (Telegram's, a local Bot API server, a stand-in).

    TELEGRAM_API_BASE_URL is given the way python-telegram-bot takes it, ending in `/bot`
    (the token is appended); the file URL is the same server's `/file/bot`.
    """
    base = settings.TELEGRAM_API_BASE_URL.strip()
    if not base:
        return TELEGRAM_API_URL, TELEGRAM_FILE_URL
    base = base.rstrip("/")
    root = base.removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"
