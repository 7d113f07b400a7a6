"""What click sync keeps in Redis: the players' board scores and who synced in the last minute.

The database is the source of truth; Redis holds derived data that `recalculate_leaderboard`
can rebuild. Every function here is a no-op (or returns None) on the embedded default without
Redis.

Redis is optional for a sync: after a Redis error this process leaves Redis out of syncs for
`REDIS_RETRY_SECONDS` (a stopped or hanging Redis then costs one failed call per process per
period, not one per sync, and the outage is logged once).
"""

import logging
import random
from collections.abc import Iterable

from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError

from core.outage import OutagePause
from leaderboard.live import (
    BOARD_KEY,
    SET_TOTAL_KEYS,
    board_add_clicks,
    member_for,
    redis_client,
    set_total_script,
)

logger = logging.getLogger(__name__)

# Sorted set: member = player id, score = unix seconds of the player's latest sync.
ACTIVE_PLAYERS_KEY = "clicks:active"
ACTIVE_WINDOW_SECONDS = 60
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


# KEYS: SET_TOTAL_KEYS, then ACTIVE_PLAYERS_KEY. ARGV: the player's total, member, player id,
# now, start of the activity window, "1" to prune the activity set, the set's idle expiry.
_SYNC_TRACK_LUA = set_total_script("""
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
if ARGV[6] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[5])
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
return redis.call('ZCOUNT', KEYS[4], ARGV[5], '+inf')
""")
_SYNC_TRACK_KEYS = (*SET_TOTAL_KEYS, ACTIVE_PLAYERS_KEY)
# The script object (it runs by EVALSHA, loading the script once per Redis server).
_sync_track_script: Script | None = None


def _sync_track_for(client: Redis) -> Script:
    global _sync_track_script  # one script object per process
    if _sync_track_script is None:
        _sync_track_script = client.register_script(_SYNC_TRACK_LUA)
    return _sync_track_script


def sync_track(*, player_id: int, clicks: int, now: float) -> int | None:
    """Record one sync in ONE Redis call: the player's total on the board and their activity;
    return the number of active players.

    `clicks` is the player's total as the sync statement returned it (an absolute score, see
    `leaderboard.live.set_total_script`). Members older than the window are pruned on a random
    1/PRUNE_EVERY of syncs (the count reads the window itself, so it is exact either way).
    Returns None without Redis. Raises RedisError when Redis fails or failed less than
    REDIS_RETRY_SECONDS ago (RedisSkipped); the caller decides.
    """
    client = redis_client()
    if client is None:
        return None
    if sync_redis_pause.active():
        raise RedisSkipped("Redis failed moments ago")
    prune = "1" if random.randrange(PRUNE_EVERY) == 0 else "0"
    try:
        active = _sync_track_for(client)(
            keys=_SYNC_TRACK_KEYS,
            args=(
                clicks,
                member_for(player_id),
                player_id,
                now,
                now - ACTIVE_WINDOW_SECONDS,
                prune,
                # Nobody syncing for a while: the key goes away by itself.
                10 * ACTIVE_WINDOW_SECONDS,
            ),
            client=client,
        )
    except RedisError:
        if sync_redis_pause.failed():
            logger.exception(
                "Redis failed during a click sync; syncs go on from PostgreSQL alone and try "
                "Redis again every %ss",
                REDIS_RETRY_SECONDS,
            )
        raise
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
