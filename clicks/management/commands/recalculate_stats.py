"""Rebuild player click totals and the global total shards from ClickDay history."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clicks.services import RECALCULATE_BATCH, stats_recalculate


class Command(BaseCommand):
    help = (
        "Recompute every player's clicks (ClickDay history minus resets) and the total shards; "
        "idempotent. --dry-run only reports the drift."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report drift, change nothing.")
        parser.add_argument(
            "--batch-size", type=int, default=RECALCULATE_BATCH, help="Players per transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        report = stats_recalculate(
            dry_run=dry_run,
            batch_size=max(1, options["batch_size"]),
            progress=self.stdout.write,
        )
        verb = "would fix" if dry_run else "fixed"
        self.stdout.write(
            f"{report.players_checked} players checked, {verb} {report.players_drifted} "
            f"(net click drift {report.clicks_drift:+d}); {verb} {report.shards_drifted} shards."
        )
        for player_id, stored, expected in report.examples:
            self.stdout.write(f"  player {player_id}: stored {stored}, history says {expected}")
        self.stdout.write(f"Global total: {report.total_before} -> {report.total_after}.")
        if not dry_run and (report.players_drifted or report.shards_drifted):
            self.stdout.write(
                self.style.WARNING("Totals changed; the live board got the same corrections.")
            )
        else:
            self.stdout.write(self.style.SUCCESS("No changes made."))
