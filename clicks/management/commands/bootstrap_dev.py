"""Prepare a development database: a dev superuser and a few demo players."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clicks.seeding import players_seed
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
        created = not user_model.objects.filter(username=DEV_ADMIN_USERNAME).exists()
        if created:
            user_model.objects.create_superuser(
                DEV_ADMIN_USERNAME, "admin@example.invalid", DEV_ADMIN_PASSWORD
            )
        if Player.objects.exists():
            players = f"{Player.objects.count():,} players already there, none seeded"
        else:
            report = players_seed(count=DEMO_PLAYERS)
            players = f"{report.players} demo players seeded ({report.clicks:,} clicks)"
        superuser = "created" if created else "exists"
        # One summary line: `make run` prints it just above the server's URLs.
        self.stdout.write(
            f"Dev superuser {DEV_ADMIN_USERNAME} / {DEV_ADMIN_PASSWORD} {superuser} "
            f"(admin at /{settings.ADMIN_URL}, loopback only); {players}."
        )
