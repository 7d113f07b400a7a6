"""Keep the live leaderboard healthy: rebuild it when lost, repair drift, refresh the snapshot."""

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from core import metrics
from leaderboard.keeper import BoardKeeper, KeeperPass

logger = logging.getLogger(__name__)

MIN_INTERVAL, MAX_INTERVAL = 1.0, 300.0


class Command(BaseCommand):
    help = (
        "Run the board keeper: every --interval seconds rebuild a lost Redis board, reconcile "
        "a bounded set of players (new, recently seen, a rolling window over everyone) and "
        "refresh the fallback snapshot and global stats. Stops cleanly on SIGTERM/SIGINT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help=f"Seconds between passes ({MIN_INTERVAL:g}-{MAX_INTERVAL:g}; default 5).",
        )
        parser.add_argument("--once", action="store_true", help="Run one pass and exit.")
        parser.add_argument(
            "--max-passes", type=int, default=0, help="Stop after this many passes (0: never)."
        )
        parser.add_argument(
            "--metrics-port", type=int, default=0, help="Serve /metrics on this port (0: off)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run passes until stopped, printing one line per pass that did something."""
        interval: float = options["interval"]
        if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
            raise CommandError(f"--interval must be from {MIN_INTERVAL:g} to {MAX_INTERVAL:g}.")
        max_passes: int = 1 if options["once"] else options["max_passes"]
        if max_passes < 0:
            raise CommandError("--max-passes must be 0 or more.")
        stop = threading.Event()

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            self.stdout.write(f"signal {signum}: stopping after this pass")
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
        if options["metrics_port"]:
            metrics.serve_metrics(options["metrics_port"])
        keeper = BoardKeeper()
        self.stdout.write(f"board keeper started (pass every {interval:g} s)")
        attempts = 0
        while not stop.is_set():
            attempts += 1
            close_old_connections()
            try:
                report = keeper.run_pass()
            except Exception:
                # The database may be restarting: report and try again next pass.
                logger.exception("board keeper pass failed")
                self.stderr.write("board keeper pass failed; retrying next pass")
            else:
                if self._worth_saying(report) or max_passes:
                    self.stdout.write(report.summary())
            if max_passes and attempts >= max_passes:
                break
            stop.wait(interval)
        self.stdout.write(
            f"board keeper stopped after {keeper.passes} passes: "
            f"{keeper.repairs_total} repairs, {keeper.rebuilds_total} rebuilds"
        )

    @staticmethod
    def _worth_saying(report: KeeperPass) -> bool:
        return bool(
            report.rebuild or report.rebuild_skipped or report.repaired or report.redis_error
        )
