"""What click sync keeps in Redis: the players' board scores and who synced in the last minute.

The database is the source of truth; Redis holds derived data that `recalculate_leaderboard`
can rebuild. Every function here is a no-op (or returns None) on the embedded default without
Redis.

Redis is optional for a sync: after a Redis error this process leaves Redis out of syncs for
`REDIS_RETRY_SECONDS` (a stopped or hanging Redis then costs one failed call per process per
period, not one per sync, and the outage is logged once).
"""

import hashlib
import logging
import random
import threading
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from redis import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.outage import OutagePause
from leaderboard.live import (
    ACTIVE_PLAYERS_KEY,
    ACTIVE_WINDOW_SECONDS,
    BOARD_KEY,
    BOARD_READY_KEY,
    SET_TOTAL_KEYS,
    board_add_clicks,
    member_for,
    redis_client,
    set_total_script,
)

logger = logging.getLogger(__name__)

# Old activity entries are pruned by about one sync in this many.
PRUNE_EVERY = 32
# Sorted-set commands per pipeline when many board changes are pushed at once.
BOARD_BATCH = 10_000
# After a Redis error, syncs in this process skip Redis for this long before trying again.
REDIS_RETRY_SECONDS = 2.0


class RedisSkipped(RedisError):
    """Redis failed moments ago in this process; the sync did not try it again yet."""


# Whether Redis is failing for this process's syncs, and when to try it next.
sync_redis_pause = OutagePause(seconds=REDIS_RETRY_SECONDS)


class _LiveBoardSeen:
    """What this process's latest sync found: whether the live board was ready (a full board).

    Unknown until a sync has run, which counts as not ready: the first sync of a process writes
    the SQL board's order too.
    """

    ready: bool = False


_seen = _LiveBoardSeen()


# KEYS: SET_TOTAL_KEYS, then ACTIVE_PLAYERS_KEY, BOARD_READY_KEY. ARGV: the player's total,
# member, player id, now, start of the activity window, "1" to prune the activity set, the set's
# idle expiry. Returns {active players, 1 when the board is ready else 0}.
_SYNC_TRACK_LUA = set_total_script("""
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
if ARGV[6] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[5])
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
return {redis.call('ZCOUNT', KEYS[4], ARGV[5], '+inf'), redis.call('EXISTS', KEYS[5])}
""")
_SYNC_TRACK_KEYS = (*SET_TOTAL_KEYS, ACTIVE_PLAYERS_KEY, BOARD_READY_KEY)
_SYNC_TRACK_SHA = hashlib.sha1(_SYNC_TRACK_LUA.encode()).hexdigest()  # noqa: S324 (Redis's id)
# The fixed head of the command: EVALSHA <sha> <number of keys> <keys...>.
_SYNC_TRACK_HEAD = [b"EVALSHA", _SYNC_TRACK_SHA.encode(), b"%d" % len(_SYNC_TRACK_KEYS)] + [
    key.encode() for key in _SYNC_TRACK_KEYS
]
# Nobody syncing for a while: the activity key goes away by itself.
_ACTIVE_KEY_EXPIRY = b"%d" % (10 * ACTIVE_WINDOW_SECONDS)


def resp_command(parts: list[bytes]) -> bytes:
    """One command in the Redis protocol (an array of bulk strings)."""
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


_SYNC_TRACK_LOAD = resp_command([b"SCRIPT", b"LOAD", _SYNC_TRACK_LUA.encode()])


def _sync_track_call(url: str, args: list[bytes]) -> Any:
    """EVALSHA the sync script on this thread's own Redis connection: one round trip.

    Written out rather than through `Script.__call__` and the client's pool: redis-py's command
    and pool layers (encoding, retries, health checks, pool bookkeeping) cost more CPU than the
    round trip itself. Each thread keeps one connection to the client's server for its syncs,
    as Django keeps one database connection. A connection that fails is closed and the call
    made once more on a new one (a connection may have been cut while idle; the script is
    idempotent, so running it twice is harmless); a timeout or a second failure goes to the
    caller (the sync's Redis breaker). A server that does not know the script yet (restarted,
    flushed) gets it loaded once.
    """
    command = resp_command(_SYNC_TRACK_HEAD + args)
    try:
        return _run(_thread_connection(url), command)
    except RedisConnectionError:
        return _run(_thread_connection(url), command)


class _ThreadConnection(threading.local):
    connection: Connection | None = None
    url: str = ""


_own = _ThreadConnection()


def _thread_connection(url: str) -> Connection:
    """This thread's connection to the Redis at `url` (REDIS_URL), with the cache's settings."""
    if _own.connection is None or _own.url != url:
        if _own.connection is not None:
            _own.connection.disconnect()
        client = redis_client()
        if client is None:
            raise RedisConnectionError("REDIS_URL is not set")
        pool = client.connection_pool
        _own.connection = pool.connection_class(**pool.connection_kwargs)
        _own.url = url
    return _own.connection


def _run(connection: Connection, command: bytes) -> Any:
    try:
        connection.send_packed_command([command], check_health=False)
        try:
            return connection.read_response()
        except NoScriptError:
            connection.send_packed_command([_SYNC_TRACK_LOAD], check_health=False)
            connection.read_response()
            connection.send_packed_command([command], check_health=False)
            return connection.read_response()
    except (RedisConnectionError, RedisTimeoutError):
        # Closed: the next send connects again.
        connection.disconnect()
        raise


def board_tracks_syncs() -> bool:
    """Whether this process's syncs reach a live board that answers: Redis is configured, not
    failing, and the latest sync found the board ready (not lost, not being rebuilt).

    When they do not, the sync writes the SQL board's order (`Player.board_clicks`) itself, so
    the fallback board that answers meanwhile stays exact for every player who syncs; when they
    do, the sync leaves that indexed column alone (a HOT update) and the board keeper copies it.
    """
    return bool(settings.REDIS_URL) and _seen.ready and not sync_redis_pause.failing


def sync_tracking_forget() -> None:
    """Forget what syncs learned about Redis in this process: the breaker and the board's state
    (tests, and a fresh start)."""
    sync_redis_pause.clear()
    _seen.ready = False


def sync_track(*, player_id: int, clicks: int, now: float) -> int | None:
    """Record one sync in ONE Redis round trip: the player's total on the board and their
    activity; return the number of active players.

    `clicks` is the player's total as the sync statement returned it (an absolute score, see
    `leaderboard.live.set_total_script`). Members older than the window are pruned on a random
    1/PRUNE_EVERY of syncs (the count reads the window itself, so it is exact either way).
    Returns None without Redis. Raises RedisError when Redis fails or failed less than
    REDIS_RETRY_SECONDS ago (RedisSkipped); the caller decides.
    """
    url = settings.REDIS_URL
    if not url:
        return None
    if sync_redis_pause.active():
        raise RedisSkipped("Redis failed moments ago")
    prune = b"1" if random.randrange(PRUNE_EVERY) == 0 else b"0"
    try:
        active, ready = _sync_track_call(
            url,
            [
                b"%d" % clicks,
                member_for(player_id).encode(),
                b"%d" % player_id,
                repr(now).encode(),
                repr(now - ACTIVE_WINDOW_SECONDS).encode(),
                prune,
                _ACTIVE_KEY_EXPIRY,
            ],
        )
    except RedisError:
        _seen.ready = False
        if sync_redis_pause.failed():
            logger.exception(
                "Redis failed during a click sync; syncs go on from PostgreSQL alone and try "
                "Redis again every %ss",
                REDIS_RETRY_SECONDS,
            )
        raise
    _seen.ready = ready == 1
    if sync_redis_pause.succeeded():
        logger.warning("Redis is back for click syncs")
    return int(active)


def active_players_count(*, now: float) -> int | None:
    """Players whose latest sync is at most a minute old, from Redis; None without Redis."""
    client = redis_client()
    if client is None:
        return None
    return int(client.zcount(ACTIVE_PLAYERS_KEY, now - ACTIVE_WINDOW_SECONDS, "+inf"))


def board_apply(changes: Iterable[tuple[int, int]], *, reason: str) -> bool:
    """Add `(player_id, clicks)` changes to the live board after the database committed them.

    A Redis failure is logged, not raised: the database already holds the truth and
    `recalculate_leaderboard` heals the board. Returns False when the board missed changes.
    """
    client = redis_client()
    if client is None:
        return True
    try:
        pipe = client.pipeline(transaction=False)
        for queued, (player_id, clicks) in enumerate(changes, start=1):
            board_add_clicks(pipe, player_id=player_id, clicks=clicks)
            if queued % BOARD_BATCH == 0:
                pipe.execute()
        pipe.execute()
    except RedisError:
        logger.exception("live board missed changes (%s); run recalculate_leaderboard", reason)
        return False
    return True


def board_add_new_players(scores: list[tuple[int, int]]) -> bool:
    """Put freshly inserted players `(player_id, clicks)` on the live board, in big batches.

    Only for players no sync has touched yet (a seed): an absolute ZADD is right for them and
    far cheaper than one increment each. Failures are logged like `board_apply`'s.
    """
    client = redis_client()
    if client is None or not scores:
        return True
    try:
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(scores), BOARD_BATCH):
            batch = scores[start : start + BOARD_BATCH]
            pipe.zadd(BOARD_KEY, {member_for(player_id): clicks for player_id, clicks in batch})
        pipe.execute()
    except RedisError:
        logger.exception("live board missed seeded players; run recalculate_leaderboard")
        return False
    return True
