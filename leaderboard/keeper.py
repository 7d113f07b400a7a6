"""The board keeper: what `run_board_keeper` does every few seconds, outside any web request.

Each pass, bounded in work:
- a live board that lost its ready key (Redis flushed or restarted) is rebuilt
  (`rebuild.board_rebuild`, under the owner-named lock);
- otherwise a reconciliation compares board and database for a bounded set of players: the
  newest players (ids above the board's mark; that is how players who never synced reach the
  board), players seen since the previous pass, the next window of a rolling cursor over all
  players, and the next window of a scan over the board's members (entries of banned or deleted
  players). Mismatches are repaired with `rebuild.board_repair` (compare-and-set on quiet
  players) and counted;
- the fallback board's data (`snapshot.board_snapshot_refresh`: the board order copied from the
  clicks, then the rank snapshot) is refreshed every pass while the live board is degraded or
  absent, and every `SNAPSHOT_HEALTHY_SECONDS` otherwise;
- the GlobalStats row is refreshed every `STATS_EVERY_SECONDS`.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from redis.exceptions import RedisError

from core import metrics
from core.errors import Conflict
from leaderboard import live
from leaderboard.rebuild import (
    SETTLE_SECONDS,
    BoardReport,
    board_mismatches,
    board_rebuild,
    board_repair,
    rebuild_lock_holder,
)
from leaderboard.snapshot import SnapshotReport, board_snapshot_refresh
from players.models import Player

logger = logging.getLogger(__name__)

NEW_PLAYERS_BATCH = 5_000
RECENT_PLAYERS_LIMIT = 5_000
CURSOR_BATCH = 20_000
SCAN_BATCH = 5_000
# Players seen this long before the previous pass started are checked again (clock slack).
RECENT_MARGIN = timedelta(seconds=10)
SNAPSHOT_HEALTHY_SECONDS = 60.0
STATS_EVERY_SECONDS = 10.0

# KEYS: the known max id. ARGV: a player id now on the board. Only ever raises the mark.
_RAISE_KNOWN_LUA = """
local known = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > known then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


@dataclass
class KeeperPass:
    """What one pass found and did (`repaired` counts board entries corrected)."""

    board: str = "sql"
    rebuild: BoardReport | None = None
    rebuild_skipped: str = ""
    checked: int = 0
    mismatched: int = 0
    repaired: int = 0
    unsettled: int = 0
    snapshot: SnapshotReport | None = None
    stats_refreshed: bool = False
    redis_error: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        """One log line."""
        parts = [f"board={self.board}"]
        if self.rebuild is not None:
            parts.append(f"rebuilt={self.rebuild.written} players")
        if self.rebuild_skipped:
            parts.append(f"rebuild skipped: {self.rebuild_skipped}")
        parts.append(
            f"checked={self.checked} mismatched={self.mismatched} repaired={self.repaired} "
            f"unsettled={self.unsettled}"
        )
        if self.snapshot is not None:
            parts.append(
                f"order copied={self.snapshot.order_copied} "
                f"snapshot={self.snapshot.players} players/{self.snapshot.click_counts} counts "
                f"in {self.snapshot.seconds:.2f}s"
            )
        if self.redis_error:
            parts.append(f"redis error: {self.redis_error}")
        parts.append(f"seconds={self.seconds:.2f}")
        return " ".join(parts)


@dataclass
class BoardKeeper:
    """The keeper's state between passes: cursors, timers and running totals.

    `cursor_batch` players (by id) and about `scan_batch` board members (0: no scan) are compared
    per pass, on top of the newest and the recently seen players.

    `on_pass` (optional) is called with every finished pass: a hook for metrics.
    """

    settle_seconds: float = SETTLE_SECONDS
    cursor_batch: int = CURSOR_BATCH
    scan_batch: int = SCAN_BATCH
    on_pass: Callable[[KeeperPass], None] | None = None
    player_cursor: int = 0
    scan_cursor: int = 0
    passes: int = 0
    repairs_total: int = 0
    rebuilds_total: int = 0
    _previous_start: Any = None
    _snapshot_at: float | None = None
    _stats_at: float | None = None

    def run_pass(self) -> KeeperPass:
        """One bounded pass (see the module doc); Redis errors are reported, not raised."""
        started, started_at = time.monotonic(), timezone.now()
        report = KeeperPass()
        degraded = True
        client = live.redis_client()
        if client is not None:
            report.board = "redis"
            try:
                degraded = not self._keep_live_board(client, report)
            except RedisError as exc:
                logger.warning("board keeper: Redis unavailable: %s", exc)
                report.redis_error = str(exc) or type(exc).__name__
        if self._due(self._snapshot_at, 0.0 if degraded else SNAPSHOT_HEALTHY_SECONDS):
            report.snapshot = board_snapshot_refresh()
            self._snapshot_at = time.monotonic()
        if self._due(self._stats_at, STATS_EVERY_SECONDS):
            # Imported here: services imports this module's neighbours, not the other way round.
            from leaderboard.services import global_stats_refresh

            global_stats_refresh()
            self._stats_at = time.monotonic()
            report.stats_refreshed = True
        self._previous_start = started_at
        report.seconds = time.monotonic() - started
        metrics.board_reconciled(repaired=report.repaired)
        if client is not None:
            metrics.board_ready(not degraded)
        self.passes += 1
        self.repairs_total += report.repaired
        self.rebuilds_total += 1 if report.rebuild is not None else 0
        if self.on_pass is not None:
            self.on_pass(report)
        return report

    @staticmethod
    def _due(last: float | None, every: float) -> bool:
        return last is None or time.monotonic() - last >= every

    def _keep_live_board(self, client: Any, report: KeeperPass) -> bool:
        """Rebuild a lost board or reconcile a ready one; True when the board is ready."""
        if not client.exists(live.BOARD_READY_KEY):
            holder = rebuild_lock_holder(client)
            if holder is not None and not holder.dead:
                report.rebuild_skipped = f"a rebuild is already running: {holder.describe()}"
                return False
            try:
                report.rebuild = board_rebuild(client=client, settle_seconds=self.settle_seconds)
            except Conflict as exc:
                report.rebuild_skipped = exc.detail
                return False
            logger.warning("board keeper rebuilt a lost board: %s players", report.rebuild.written)
            return True
        candidates, newest = self._candidates(client)
        report.checked = len(candidates)
        mismatched = board_mismatches(client, candidates)
        report.mismatched = len(mismatched)
        if mismatched:
            report.repaired, unsettled = board_repair(
                client, mismatched, settle_seconds=self.settle_seconds
            )
            report.unsettled = len(unsettled)
        if newest:
            client.eval(_RAISE_KNOWN_LUA, 1, live.KNOWN_MAX_ID_KEY, newest)
        return True

    def _candidates(self, client: Any) -> tuple[list[int], int]:
        """Players to compare this pass, and the newest player id among them (0 when none)."""
        known = int(client.get(live.KNOWN_MAX_ID_KEY) or 0)
        newest_ids = list(
            Player.objects.filter(pk__gt=known)
            .order_by("pk")
            .values_list("pk", flat=True)[:NEW_PLAYERS_BATCH]
        )
        since = (self._previous_start or timezone.now() - timedelta(minutes=1)) - RECENT_MARGIN
        recent_ids = list(
            Player.objects.filter(last_seen_at__gte=since).values_list("pk", flat=True)[
                :RECENT_PLAYERS_LIMIT
            ]
        )
        window = list(
            Player.objects.filter(pk__gt=self.player_cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[: self.cursor_batch]
        )
        self.player_cursor = window[-1] if len(window) == self.cursor_batch else 0
        scanned: list[int] = []
        if self.scan_batch:
            self.scan_cursor, members = client.zscan(
                live.BOARD_KEY, self.scan_cursor, count=self.scan_batch
            )
            scanned = [live.player_id_of(member) for member, _score in members]
        candidates = sorted({*newest_ids, *recent_ids, *window, *scanned})
        return candidates, newest_ids[-1] if newest_ids else 0
