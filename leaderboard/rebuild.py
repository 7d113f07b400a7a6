"""Rebuilding the Redis board from PostgreSQL while clicks keep arriving.

How no increment is lost or counted twice (the invariant: board score = the player's clicks in
the database once all in-flight syncs have landed). A sync commits its UPDATE first and runs its
ZINCRBY a moment later (`live.board_add_clicks`); call the largest such gap G (milliseconds in
practice; `SETTLE_SECONDS` is a generous bound).

1. Set `REBUILDING_KEY`. From now on every writer also adds its member to `TOUCHED_KEY`.
2. Copy the visible players into `BOARD_NEW_KEY` in keyset-paginated batches (ZADD of the value
   just read; every read starts after step 1).
3. Swap atomically: RENAME the new board over the live one (MULTI with the new-player mark).
   Increments that went to the old board during step 2 are gone with it, and some values read in
   step 2 may miss increments committed after the read: every such player has a ZINCRBY after
   step 1, so is in `TOUCHED_KEY`. An increment committed before its row was read but applied
   after step 1 is the reverse case (counted twice) and is in `TOUCHED_KEY` too.
4. Wait G, then repair each touched player: read board score and database clicks, wait G, read
   again; when neither moved the player is quiet (no increment in flight), so the difference is
   real drift and is applied as ZINCRBY(db - board), an increment that stays right whatever
   arrives later. Players still moving are retried next round.
5. Clear `REBUILDING_KEY` (at least G after the swap, so any later ZINCRBY belongs to a commit
   made after every read of step 2 and is simply additive), repair what was touched meanwhile,
   and set `BOARD_READY_KEY`.

Bans and unbans note their player in `TOUCHED_KEY` the same way (`live.board_touch`).
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from core.errors import Conflict
from leaderboard import live
from players.models import Player

logger = logging.getLogger(__name__)

# A generous bound on the time between a sync's database commit and its board increment.
SETTLE_SECONDS = 0.5
# A board lost from Redis is rebuilt inside the request that noticed, up to this many players.
SYNC_REBUILD_MAX_PLAYERS = 100_000
# The rebuild lock and the rebuilding flag expire unless refreshed (a crashed rebuild frees them).
LOCK_TTL_SECONDS = 120
BATCH_SIZE = 10_000
REPAIR_CHUNK = 1000
REPAIR_ROUNDS = 5
SAMPLE_SIZE = 10

_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class BoardReport:
    """What a rebuild found on the old board and what it did.

    Drift counts compare the board as it was with the database as each batch was read.
    """

    backend: str
    dry_run: bool
    players: int = 0
    written: int = 0
    missing: int = 0
    wrong_score: int = 0
    extra: int = 0
    repaired: int = 0
    unsettled: int = 0
    drift_samples: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def drift(self) -> int:
        """Entries that differed from the database: absent, wrong score or not a player."""
        return self.missing + self.wrong_score + self.extra


def rebuild_lock_acquire(client: Any) -> str | None:
    """Take the rebuild lock; its token, or None when another rebuild holds it."""
    token = uuid.uuid4().hex
    if client.set(live.REBUILD_LOCK_KEY, token, nx=True, ex=LOCK_TTL_SECONDS):
        return token
    return None


def _lock_release(client: Any, token: str) -> None:
    client.eval(_RELEASE_LUA, 1, live.REBUILD_LOCK_KEY, token)


def _keep_alive(client: Any, token: str) -> None:
    """Extend the lock and the rebuilding flag while the rebuild makes progress."""
    pipe = client.pipeline(transaction=False)
    pipe.expire(live.REBUILD_LOCK_KEY, LOCK_TTL_SECONDS)
    pipe.set(live.REBUILDING_KEY, token, ex=LOCK_TTL_SECONDS)
    pipe.execute()


def _visible_batches(batch_size: int) -> Iterable[list[tuple[int, int]]]:
    """(player id, clicks) of every visible player, in id order, `batch_size` rows at a time."""
    last_pk = 0
    while True:
        rows = list(
            Player.objects.visible()
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "clicks")[:batch_size]
        )
        if not rows:
            return
        yield rows
        last_pk = rows[-1][0]


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _copy_board(
    client: Any,
    report: BoardReport,
    *,
    batch_size: int,
    write: bool,
    token: str | None,
    progress: Callable[[str], None],
) -> int:
    """Steps 2 (and the drift count): copy players into the new board; the highest id seen."""
    last_pk = 0
    on_old_board = 0
    for rows in _visible_batches(batch_size):
        members = [live.member_for(pk) for pk, _ in rows]
        pipe = client.pipeline(transaction=False)
        pipe.zmscore(live.BOARD_KEY, members)
        if write:
            pipe.zadd(live.BOARD_NEW_KEY, dict(zip(members, [c for _, c in rows], strict=True)))
        old_scores = pipe.execute()[0]
        for (pk, clicks), old in zip(rows, old_scores, strict=True):
            if old is None:
                report.missing += 1
            else:
                on_old_board += 1
                if int(float(old)) == clicks:
                    continue
                report.wrong_score += 1
            if len(report.drift_samples) < SAMPLE_SIZE:
                report.drift_samples.append(pk)
        report.players += len(rows)
        report.written += len(rows) if write else 0
        last_pk = rows[-1][0]
        if token is not None:
            _keep_alive(client, token)
        progress(f"{report.players} players read")
    report.extra = max(0, int(client.zcard(live.BOARD_KEY)) - on_old_board)
    return last_pk


def _database_state(player_ids: list[int]) -> dict[int, int | None]:
    """Clicks of each visible player; None for banned or deleted ones."""
    state: dict[int, int | None] = dict.fromkeys(player_ids)
    for chunk in _chunks(player_ids, REPAIR_CHUNK):
        state.update(Player.objects.visible().filter(pk__in=chunk).values_list("pk", "clicks"))
    return state


def _board_state(client: Any, player_ids: list[int]) -> dict[int, float | None]:
    state: dict[int, float | None] = {}
    for chunk in _chunks(player_ids, REPAIR_CHUNK):
        scores = client.zmscore(live.BOARD_KEY, [live.member_for(pk) for pk in chunk])
        state.update(zip(chunk, scores, strict=True))
    return state


def _pop_touched(client: Any) -> list[int]:
    touched: list[int] = []
    while members := client.spop(live.TOUCHED_KEY, REPAIR_CHUNK):
        touched.extend(live.player_id_of(member) for member in members)
    return sorted(set(touched))


def board_repair(
    client: Any, player_ids: list[int], *, settle_seconds: float, rounds: int = REPAIR_ROUNDS
) -> tuple[int, list[int]]:
    """Step 4: make the board match the database for quiet players among `player_ids`.

    Returns (entries corrected, players still moving after `rounds` rounds).
    """
    repaired = 0
    pending = sorted(set(player_ids))
    for _ in range(rounds):
        if not pending:
            break
        board_before, db_before = _board_state(client, pending), _database_state(pending)
        time.sleep(settle_seconds)
        board_after, db_after = _board_state(client, pending), _database_state(pending)
        moving: list[int] = []
        pipe = client.pipeline(transaction=False)
        for pk in pending:
            if board_before[pk] != board_after[pk] or db_before[pk] != db_after[pk]:
                moving.append(pk)
                continue
            on_board, clicks = board_after[pk], db_after[pk]
            if clicks is None:
                if on_board is not None:
                    pipe.zrem(live.BOARD_KEY, live.member_for(pk))
                    repaired += 1
            elif on_board is None or int(float(on_board)) != clicks:
                # An increment, never an overwrite: right whatever lands after this check.
                drift = clicks - int(float(on_board or 0))
                pipe.zincrby(live.BOARD_KEY, drift, live.member_for(pk))
                repaired += 1
        pipe.execute()
        pending = moving
    return repaired, pending


def board_rebuild(
    *,
    client: Any,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    settle_seconds: float = SETTLE_SECONDS,
    progress: Callable[[str], None] | None = None,
    lock_token: str | None = None,
) -> BoardReport:
    """Rebuild the Redis board from the database and swap it in atomically (see module doc).

    With `dry_run` only the drift is measured and nothing is written. Raises Conflict when another
    rebuild holds the lock (pass `lock_token` when the caller took it already).
    """
    started = time.monotonic()
    report = BoardReport(backend="redis", dry_run=dry_run)
    say = progress or (lambda _message: None)
    if dry_run:
        _copy_board(client, report, batch_size=batch_size, write=False, token=None, progress=say)
        report.seconds = time.monotonic() - started
        return report
    token = lock_token or rebuild_lock_acquire(client)
    if token is None:
        raise Conflict("A leaderboard rebuild is already running.", code="rebuild_running")
    try:
        client.delete(live.TOUCHED_KEY, live.BOARD_NEW_KEY)
        client.set(live.REBUILDING_KEY, token, ex=LOCK_TTL_SECONDS)
        max_id = _copy_board(
            client, report, batch_size=batch_size, write=True, token=token, progress=say
        )
        swap = client.pipeline(transaction=True)
        if report.written:
            swap.rename(live.BOARD_NEW_KEY, live.BOARD_KEY)
        else:
            swap.delete(live.BOARD_KEY, live.BOARD_NEW_KEY)
        swap.set(live.KNOWN_MAX_ID_KEY, max_id)
        swap.execute()
        say(f"new board swapped in ({report.written} players); repairing touched players")
        time.sleep(settle_seconds)
        unsettled: list[int] = []
        for _ in range(REPAIR_ROUNDS):
            touched = _pop_touched(client)
            if not touched and not unsettled:
                break
            _keep_alive(client, token)
            fixed, unsettled = board_repair(
                client, [*touched, *unsettled], settle_seconds=settle_seconds
            )
            report.repaired += fixed
        client.delete(live.REBUILDING_KEY)
        fixed, unsettled = board_repair(
            client, [*_pop_touched(client), *unsettled], settle_seconds=settle_seconds
        )
        report.repaired += fixed
        report.unsettled = len(unsettled)
        client.set(live.BOARD_READY_KEY, "1")
    finally:
        client.delete(live.REBUILDING_KEY)
        _lock_release(client, token)
    report.seconds = time.monotonic() - started
    say(f"done in {report.seconds:.1f}s: {report.repaired} repaired, {report.unsettled} moving")
    return report


def _rebuild_quietly(client: Any, token: str) -> None:
    try:
        board_rebuild(client=client, lock_token=token)
    except Exception:
        logger.exception("background leaderboard rebuild failed")
    finally:
        # This thread's own database connection; other threads' are untouched.
        connections.close_all()


def board_rebuild_when_lost(*, client: Any) -> threading.Thread | None:
    """Rebuild a board that is not ready, unless another worker is at it already.

    Called by readers that found `BOARD_READY_KEY` missing (Redis restarted or was flushed); they
    answer from SQL. Up to `SYNC_REBUILD_MAX_PLAYERS` the rebuild runs right here (a second or
    two); a bigger board is rebuilt in a background thread, which is returned, so no request
    waits for a million players.
    """
    if client.exists(live.REBUILD_LOCK_KEY):
        return None
    token = rebuild_lock_acquire(client)
    if token is None:
        return None
    logger.warning("leaderboard board is not ready; rebuilding it from the database")
    if Player.objects.visible().count() <= SYNC_REBUILD_MAX_PLAYERS:
        board_rebuild(client=client, lock_token=token)
        return None
    thread = threading.Thread(
        target=_rebuild_quietly, args=(client, token), name="leaderboard-rebuild", daemon=True
    )
    thread.start()
    return thread
