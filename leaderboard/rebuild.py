"""Rebuilding the Redis board from PostgreSQL while clicks keep arriving, and repairing drift.

Runs outside any web request: `run_board_keeper` (when the board is lost) and
`recalculate_leaderboard`. How no click is lost or counted twice (the invariant: board score =
the player's clicks in the database once all in-flight syncs have landed). A sync commits its
UPDATE first and writes the board a moment later (`live.board_set_total`/`board_add_clicks`);
call the largest such gap G (milliseconds in practice; `SETTLE_SECONDS` is a generous bound).

1. Set `REBUILDING_KEY`. From now on every writer also adds its member to `TOUCHED_KEY`.
2. Copy the visible players into `BOARD_NEW_KEY` in keyset-paginated batches (ZADD of the value
   just read; every read starts after step 1).
3. Swap atomically: RENAME the new board over the live one (MULTI with the new-player mark).
   Writes that went to the old board during step 2 are gone with it, and some values read in
   step 2 may miss clicks committed after the read: every such player wrote the board after
   step 1, so is in `TOUCHED_KEY`. An increment committed before its row was read but applied
   after step 1 is the reverse case (counted twice) and is in `TOUCHED_KEY` too.
4. Wait G, then repair each touched player (`board_repair`): read board score and database
   clicks, wait G, read again; when neither moved the player is quiet (nothing in flight), so the
   database value is written with a compare-and-set on the score just read (a write landing in
   between makes the set fail and the player is retried). Players still moving are retried.
5. Clear `REBUILDING_KEY` (at least G after the swap, so any later write belongs to a commit
   made after every read of step 2), repair what was touched meanwhile, set `BOARD_READY_KEY`.

The lock (`RebuildLock`) names its owner (host:pid:token:start) and lives `LOCK_TTL_SECONDS`
unless the owner's renewal thread extends it, so a killed rebuild frees it within seconds and
`rebuild_lock_holder` can tell a live rebuild from a dead one.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core import metrics
from core.errors import Conflict
from leaderboard import live
from players.models import Player

logger = logging.getLogger(__name__)

# A generous bound on the time between a sync's database commit and its board write.
SETTLE_SECONDS = 0.5
# The rebuild lock and the rebuilding flag expire this long after the owner's last renewal.
LOCK_TTL_SECONDS = 10
# The owner renews them this often (a third of the TTL: two renewals may fail before expiry).
LOCK_RENEW_SECONDS = 3
BATCH_SIZE = 10_000
REPAIR_CHUNK = 1000
REPAIR_ROUNDS = 5
SAMPLE_SIZE = 10

_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lock, rebuilding flag. ARGV: owner, TTL in ms. Extends both while the owner holds the lock.
_RENEW_LUA = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
"""

# KEYS: board. ARGV: member, expected score ('' = absent), new score ('' = remove).
# Sets the member only if its score is still the one the caller read; 1 when it did.
_COMPARE_AND_SET_LUA = """
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if current == false then
  if ARGV[2] ~= '' then return 0 end
elseif ARGV[2] == '' or tonumber(current) ~= tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1])
else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1
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


# --- the rebuild lock ---------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@dataclass(frozen=True)
class LockHolder:
    """Who holds the rebuild lock, read from its value `host:pid:token:started`."""

    owner: str
    host: str
    pid: int
    started: float
    ttl_seconds: float

    @property
    def age_seconds(self) -> float:
        """Seconds since the owner took the lock."""
        return max(0.0, time.time() - self.started)

    @property
    def renewed_seconds_ago(self) -> float:
        """Seconds since the owner last renewed the lock (the TTL counts down from a renewal)."""
        return max(0.0, LOCK_TTL_SECONDS - self.ttl_seconds)

    @property
    def dead(self) -> bool:
        """The owner is gone: its process no longer exists on this host, or it stopped renewing."""
        if self.host == socket.gethostname() and self.pid > 0:
            return not _pid_alive(self.pid)
        return self.renewed_seconds_ago > 2 * LOCK_RENEW_SECONDS

    def describe(self) -> str:
        """The owner, its age and its last renewal, for operators."""
        state = "dead" if self.dead else "alive"
        return (
            f"owner {self.owner} ({state}), started {self.age_seconds:.0f} s ago, "
            f"renewed {self.renewed_seconds_ago:.0f} s ago, lock expires in "
            f"{self.ttl_seconds:.0f} s"
        )


def _owner_value() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}:{time.time():.0f}"


def rebuild_lock_holder(client: Any) -> LockHolder | None:
    """Who holds the rebuild lock now, or None when nobody does (a read: changes nothing)."""
    pipe = client.pipeline(transaction=False)
    pipe.get(live.REBUILD_LOCK_KEY)
    pipe.pttl(live.REBUILD_LOCK_KEY)
    raw, pttl = pipe.execute()
    if raw is None:
        return None
    owner = raw.decode() if isinstance(raw, bytes) else str(raw)
    host, pid, started = "", 0, 0.0
    parts = owner.rsplit(":", 3)
    if len(parts) == 4:
        try:
            host, pid, started = parts[0], int(parts[1]), float(parts[3])
        except ValueError:
            host, pid, started = "", 0, 0.0
    ttl = max(0, int(pttl)) / 1000 if pttl is not None else 0.0
    return LockHolder(owner=owner, host=host, pid=pid, started=started, ttl_seconds=ttl)


def rebuild_lock_acquire(client: Any) -> str | None:
    """Take the rebuild lock without renewing it; its owner value, or None when it is held.

    The lock lapses after `LOCK_TTL_SECONDS`; a rebuild uses `RebuildLock`, which renews it.
    """
    owner = _owner_value()
    if client.set(live.REBUILD_LOCK_KEY, owner, nx=True, ex=LOCK_TTL_SECONDS):
        return owner
    return None


class RebuildLock:
    """The rebuild lock held by this process, renewed by a thread until `release`.

    `lost` is set when a renewal finds the lock gone or owned by someone else; the rebuild then
    stops before it swaps anything in.
    """

    def __init__(self, client: Any, owner: str) -> None:
        self.client = client
        self.owner = owner
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._renew_until_stopped, name="leaderboard-lock-renewal", daemon=True
        )
        self._thread.start()

    @classmethod
    def acquire(cls, client: Any) -> "RebuildLock | None":
        """Take the lock and start renewing it; None when another owner holds it."""
        owner = rebuild_lock_acquire(client)
        return None if owner is None else cls(client, owner)

    @classmethod
    def take_over(cls, client: Any, holder: LockHolder) -> "RebuildLock | None":
        """Replace a dead owner's lock (only if it is still that owner's); None otherwise."""
        client.eval(_RELEASE_LUA, 1, live.REBUILD_LOCK_KEY, holder.owner)
        return cls.acquire(client)

    def renew(self) -> bool:
        """Extend the lock and the rebuilding flag; False (and `lost` set) if no longer ours."""
        renewed = bool(
            self.client.eval(
                _RENEW_LUA,
                2,
                live.REBUILD_LOCK_KEY,
                live.REBUILDING_KEY,
                self.owner,
                LOCK_TTL_SECONDS * 1000,
            )
        )
        if not renewed:
            self.lost.set()
        return renewed

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(LOCK_RENEW_SECONDS):
            try:
                if not self.renew():
                    logger.error("leaderboard rebuild lost its lock (owner %s)", self.owner)
                    return
            except Exception:
                logger.exception("leaderboard rebuild lock renewal failed; retrying")

    def check(self) -> None:
        """Raise Conflict when the lock was lost (another owner may be rebuilding now)."""
        if self.lost.is_set():
            raise Conflict("The leaderboard rebuild lost its lock.", code="rebuild_lock_lost")

    def release(self) -> None:
        """Stop renewing and free the lock if it is still ours."""
        self._stop.set()
        self._thread.join(timeout=LOCK_RENEW_SECONDS + 1)
        self.client.eval(_RELEASE_LUA, 1, live.REBUILD_LOCK_KEY, self.owner)


def rebuild_lock_take(
    client: Any, *, wait_for_dead: bool = True, say: Callable[[str], None] | None = None
) -> RebuildLock:
    """The rebuild lock for this process, taken over from a dead owner if need be.

    A dead owner on this host (its pid is gone) is replaced at once; one elsewhere that stopped
    renewing is waited out (at most `LOCK_TTL_SECONDS`) when `wait_for_dead`. Raises Conflict
    naming the owner and its age while a live rebuild holds the lock.
    """
    tell = say or (lambda _message: None)
    deadline = time.monotonic() + LOCK_TTL_SECONDS + 1
    while True:
        lock = RebuildLock.acquire(client)
        if lock is not None:
            return lock
        holder = rebuild_lock_holder(client)
        if holder is None:
            continue  # freed between the two calls
        if not holder.dead:
            raise Conflict(
                f"A leaderboard rebuild is already running: {holder.describe()}.",
                code="rebuild_running",
            )
        if holder.host == socket.gethostname():
            tell(f"taking over the rebuild lock of a dead owner: {holder.describe()}")
            lock = RebuildLock.take_over(client, holder)
            if lock is not None:
                return lock
            continue
        if not wait_for_dead or time.monotonic() > deadline:
            raise Conflict(
                f"The leaderboard rebuild lock is held by an owner that stopped renewing it: "
                f"{holder.describe()}.",
                code="rebuild_lock_stale",
            )
        tell(f"waiting for the lock of a dead owner to expire: {holder.describe()}")
        time.sleep(min(1.0, max(0.1, holder.ttl_seconds)))


# --- copying and repairing ----------------------------------------------------------------------


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
    lock: RebuildLock | None,
    progress: Callable[[str], None],
) -> int:
    """Steps 2 (and the drift count): copy players into the new board; the highest id seen."""
    last_pk = 0
    on_old_board = 0
    for rows in _visible_batches(batch_size):
        if lock is not None:
            lock.check()
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
        progress(f"{report.players} players read")
    report.extra = max(0, int(client.zcard(live.BOARD_KEY)) - on_old_board)
    return last_pk


def database_state(player_ids: list[int]) -> dict[int, int | None]:
    """Clicks of each visible player among `player_ids`; None for banned or deleted ones."""
    state: dict[int, int | None] = dict.fromkeys(player_ids)
    for chunk in _chunks(player_ids, REPAIR_CHUNK):
        state.update(Player.objects.visible().filter(pk__in=chunk).values_list("pk", "clicks"))
    return state


def board_state(client: Any, player_ids: list[int]) -> dict[int, float | None]:
    """The board score of each player among `player_ids`; None when absent."""
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


def _agrees(on_board: float | None, clicks: int | None) -> bool:
    if clicks is None:
        return on_board is None
    return on_board is not None and int(float(on_board)) == clicks


def _score_text(score: float | int | None) -> str:
    return "" if score is None else str(int(float(score)))


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
        board_before, db_before = board_state(client, pending), database_state(pending)
        time.sleep(settle_seconds)
        board_after, db_after = board_state(client, pending), database_state(pending)
        moving: list[int] = []
        fixes: list[int] = []
        pipe = client.pipeline(transaction=False)
        for pk in pending:
            if board_before[pk] != board_after[pk] or db_before[pk] != db_after[pk]:
                moving.append(pk)
                continue
            on_board, clicks = board_after[pk], db_after[pk]
            if _agrees(on_board, clicks):
                continue
            fixes.append(pk)
            pipe.eval(
                _COMPARE_AND_SET_LUA,
                1,
                live.BOARD_KEY,
                live.member_for(pk),
                _score_text(on_board),
                _score_text(clicks),
            )
        applied = pipe.execute() if fixes else []
        for pk, done in zip(fixes, applied, strict=True):
            if done:
                repaired += 1
            else:
                moving.append(pk)  # a write landed between the read and the set
        pending = sorted(moving)
    return repaired, pending


def board_mismatches(client: Any, player_ids: list[int]) -> list[int]:
    """The players among `player_ids` whose board entry differs from the database right now."""
    ids = sorted(set(player_ids))
    on_board, in_db = board_state(client, ids), database_state(ids)
    return [pk for pk in ids if not _agrees(on_board[pk], in_db[pk])]


def board_rebuild(
    *,
    client: Any,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    settle_seconds: float = SETTLE_SECONDS,
    progress: Callable[[str], None] | None = None,
) -> BoardReport:
    """Rebuild the Redis board from the database and swap it in atomically (see module doc).

    With `dry_run` only the drift is measured and nothing is written. Raises Conflict naming the
    owner when a live rebuild holds the lock; a dead owner's lock is taken over or waited out.
    """
    started = time.monotonic()
    report = BoardReport(backend="redis", dry_run=dry_run)
    say = progress or (lambda _message: None)
    if dry_run:
        _copy_board(client, report, batch_size=batch_size, write=False, lock=None, progress=say)
        report.seconds = time.monotonic() - started
        return report
    lock = rebuild_lock_take(client, say=say)
    try:
        _rebuild_locked(
            client, report, lock, batch_size=batch_size, settle_seconds=settle_seconds, say=say
        )
    except Exception:
        metrics.board_rebuilt(ok=False)
        raise
    finally:
        # Only our own flag: after a lost lock it may belong to the new owner.
        client.eval(_RELEASE_LUA, 1, live.REBUILDING_KEY, lock.owner)
        lock.release()
    metrics.board_rebuilt(ok=True, repaired=report.repaired)
    metrics.board_ready(True)
    report.seconds = time.monotonic() - started
    say(f"done in {report.seconds:.1f}s: {report.repaired} repaired, {report.unsettled} moving")
    return report


def _rebuild_locked(
    client: Any,
    report: BoardReport,
    lock: RebuildLock,
    *,
    batch_size: int,
    settle_seconds: float,
    say: Callable[[str], None],
) -> None:
    """Steps 1-5 of the module doc, under `lock`."""
    client.delete(live.TOUCHED_KEY, live.BOARD_NEW_KEY)
    client.set(live.REBUILDING_KEY, lock.owner, ex=LOCK_TTL_SECONDS)
    max_id = _copy_board(client, report, batch_size=batch_size, write=True, lock=lock, progress=say)
    lock.check()
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
        fixed, unsettled = board_repair(
            client, [*touched, *unsettled], settle_seconds=settle_seconds
        )
        report.repaired += fixed
    client.eval(_RELEASE_LUA, 1, live.REBUILDING_KEY, lock.owner)
    fixed, unsettled = board_repair(
        client, [*_pop_touched(client), *unsettled], settle_seconds=settle_seconds
    )
    report.repaired += fixed
    report.unsettled = len(unsettled)
    client.set(live.BOARD_READY_KEY, "1")
