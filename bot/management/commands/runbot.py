"""Run the Telegram bot the way TELEGRAM_BOT_MODE says."""

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from telegram import User
from telegram.error import InvalidToken, TelegramError

from bot.app import build_application, polling_run, webhook_register
from bot.config import bot_problems, problems_text, webhook_problems


class Command(BaseCommand):
    help = (
        "Run the Telegram bot. TELEGRAM_BOT_MODE=polling (development): poll Telegram for updates "
        "until Ctrl-C. TELEGRAM_BOT_MODE=webhook (production): register TELEGRAM_WEBHOOK_URL with "
        "Telegram and exit; the web process then serves the updates."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = bot_problems()
        if settings.TELEGRAM_BOT_MODE == "webhook":
            problems += webhook_problems()
        if problems:
            raise CommandError(problems_text(problems))
        if settings.TELEGRAM_BOT_MODE == "webhook":
            try:
                registered = asyncio.run(webhook_register())
            except TelegramError as exc:
                raise CommandError(f"Telegram refused the webhook: {exc.message}") from exc
            self.stdout.write(
                f"Webhook registered: {registered}. Nothing more runs here: the web process "
                "answers Telegram at /telegram/webhook."
            )
            return

        def started(me: User) -> None:
            # Named only now: getMe answered, so this is the bot the token belongs to.
            self.stdout.write(f"@{me.username} is polling for updates; Ctrl-C stops it.")

        try:
            polling_run(build_application(polling=True), started=started)
        except InvalidToken as exc:
            raise CommandError(f"The Bot API refused TELEGRAM_BOT_TOKEN: {exc.message}") from exc
        self.stdout.write("The bot stopped.")
