"""Rebuild the live leaderboard from the database, or report its drift with --dry-run."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import Conflict
from leaderboard.services import leaderboard_recalculate


class Command(BaseCommand):
    help = (
        "Rebuild the Redis leaderboard from the database into a temporary key and swap it in "
        "atomically (safe while players click). Without Redis, checks the SQL backend. "
        "Idempotent; --dry-run reports drift without fixing it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only report players whose board entry differs from the database.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the recalculation and print its progress and report."""
        dry_run: bool = options["dry_run"]
        try:
            report = leaderboard_recalculate(dry_run=dry_run, progress=self.stdout.write)
        except Conflict as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(
            f"backend={report.backend} players={report.players} written={report.written} "
            f"missing={report.missing} wrong_score={report.wrong_score} extra={report.extra} "
            f"repaired={report.repaired} unsettled={report.unsettled} "
            f"seconds={report.seconds:.2f}"
        )
        if report.drift_samples:
            self.stdout.write(f"drifted players (sample): {report.drift_samples}")
        if dry_run:
            verdict = "no drift" if report.drift == 0 else f"drift in {report.drift} entries"
            self.stdout.write(f"dry run: {verdict}; nothing was changed")
        else:
            self.stdout.write(self.style.SUCCESS("leaderboard recalculated"))
