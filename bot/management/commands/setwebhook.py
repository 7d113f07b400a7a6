"""Tell Telegram to post the bot's updates to this server (production webhook mode)."""

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from telegram.error import TelegramError

from bot.app import webhook_register
from bot.config import bot_problems, problems_text, webhook_problems


class Command(BaseCommand):
    help = (
        "Register TELEGRAM_WEBHOOK_URL with Telegram (with TELEGRAM_WEBHOOK_SECRET as "
        "secret_token), and set the bot's commands and its Play menu button."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drop-pending-updates",
            action="store_true",
            help="Discard the updates Telegram is still holding for the bot.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = bot_problems() + webhook_problems()
        if problems:
            raise CommandError(problems_text(problems))
        try:
            registered = asyncio.run(
                webhook_register(drop_pending_updates=options["drop_pending_updates"])
            )
        except TelegramError as exc:
            raise CommandError(f"Telegram refused the webhook: {exc.message}") from exc
        self.stdout.write(f"Webhook registered: {registered}.")
