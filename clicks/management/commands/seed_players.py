"""Seed many players with a long-tail click history (development, benchmarks)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clicks.seeding import players_seed
from players.models import Player


class Command(BaseCommand):
    help = (
        "Insert N players with approved unique names, Pareto-distributed clicks and matching "
        "ClickDay history, total shards and live board."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="Players to insert.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed (repeatable).")
        parser.add_argument("--days", type=int, default=30, help="Days of history to spread.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any player exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count, days = options["count"], options["days"]
        if count < 0:
            raise CommandError("--count must not be negative.")
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if options["if_empty"] and Player.objects.exists():
            self.stdout.write("Players already present; nothing seeded (--if-empty).")
            return
        started = time.monotonic()
        report = players_seed(
            count=count, seed=options["seed"], history_days=days, progress=self.stdout.write
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.players} players ({report.clicks} clicks, "
                f"{report.click_days} day rows) in {elapsed:.1f}s; telegram ids "
                f"{report.first_telegram_id}..{report.last_telegram_id}."
            )
        )
        if report.unnamed:
            self.stdout.write(f"{report.unnamed} seeded names were taken; those players have none.")
        if not report.board_ok:
            self.stderr.write("The live board missed changes; run recalculate_leaderboard.")
