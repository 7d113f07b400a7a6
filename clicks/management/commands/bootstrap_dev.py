"""Prepare a development database: a dev superuser and a few demo players."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.devtools import DEV_ADMIN_PASSWORD, DEV_ADMIN_USERNAME, dev_mode_refusal
from players.models import Player

DEMO_PLAYERS = 12


class Command(BaseCommand):
    help = (
        "Create the dev superuser (admin/admin, usable from loopback only) and demo players. "
        "Dev mode only (DEBUG on, DEV_BOT_TOKEN set, no TELEGRAM_BOT_TOKEN); idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        refusal = dev_mode_refusal()
        if refusal:
            raise CommandError(f"bootstrap_dev creates a known password; refused. {refusal}")
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEV_ADMIN_USERNAME).exists():
            user_model.objects.create_superuser(
                DEV_ADMIN_USERNAME, "admin@example.invalid", DEV_ADMIN_PASSWORD
            )
        credentials = f"{DEV_ADMIN_USERNAME} / {DEV_ADMIN_PASSWORD}"
        self.stdout.write(
            f"Dev superuser: {credentials} (admin at /{settings.ADMIN_URL}, loopback only)"
        )
        if Player.objects.exists():
            self.stdout.write(f"Players already present: {Player.objects.count()}.")
            return
        call_command("seed_players", count=DEMO_PLAYERS, stdout=self.stdout)
