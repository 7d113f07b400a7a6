"""Stop Telegram posting the bot's updates to the webhook (e.g. to poll in development)."""

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from telegram.error import TelegramError

from bot.app import webhook_delete
from bot.config import problems_text, token_problems


class Command(BaseCommand):
    help = "Remove the bot's webhook at Telegram; updates wait until someone polls for them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drop-pending-updates",
            action="store_true",
            help="Also discard the updates Telegram is still holding for the bot.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = token_problems()
        if problems:
            raise CommandError(problems_text(problems))
        try:
            asyncio.run(webhook_delete(drop_pending_updates=options["drop_pending_updates"]))
        except TelegramError as exc:
            raise CommandError(f"Telegram refused to delete the webhook: {exc.message}") from exc
        self.stdout.write("Webhook deleted: Telegram keeps updates until the bot polls for them.")
