"""The live leaderboard in Redis: key names and the commands writers put in their pipelines.

The board is a sorted set: score = the player's clicks, member = the player's id encoded so that
equal scores list the earlier player (smaller id) first in ZREVRANGE order.

Writers after a database commit either write the player's absolute total as returned by the
committing statement (`set_total_script`: ZADD GT, so a late, smaller total never lowers a newer
one and a lost write is healed by the next one) or, for changes that lower a score (a reset),
add a delta (`board_add_clicks`). Readers never write here: a board missing its ready key is
"rebuild pending" and is rebuilt by `run_board_keeper` (or `recalculate_leaderboard`).

While `leaderboard.rebuild` rebuilds the board, writers also record the members they touched
(`TOUCHED_KEY`), so the rebuild can re-check exactly those players after it swapped the new board
in; see `leaderboard.rebuild.board_rebuild` for why that keeps every click.
"""

from typing import Any

from django.conf import settings
from redis import Redis

BOARD_KEY = "lb:board"
# Set when a full rebuild has finished; if Redis lost its data this key is gone too, and its
# absence is what flags the board as needing a rebuild (no reader writes a flag).
BOARD_READY_KEY = "lb:ready"
# The board being built by a rebuild, renamed over BOARD_KEY when complete.
BOARD_NEW_KEY = "lb:board:new"
# Present (with a TTL) while a rebuild runs; writers then add their members to TOUCHED_KEY.
REBUILDING_KEY = "lb:rebuilding"
TOUCHED_KEY = "lb:touched"
# Only one rebuild at a time: SET NX with a short TTL that the owner renews; the value names the
# owner (see `leaderboard.rebuild.RebuildLock`).
REBUILD_LOCK_KEY = "lb:rebuild:lock"
# The highest player id the keeper (or a rebuild) has put on the board; newer players are added
# by the keeper's next pass or by their own first sync. Written by the keeper only.
KNOWN_MAX_ID_KEY = "lb:known_max_id"
# Who synced lately: member = player id, score = unix seconds of the player's latest sync
# (written by each click sync, see clicks.live.sync_track). The players active in the last
# ACTIVE_WINDOW_SECONDS set how often clients are asked to sync and to refresh the board.
ACTIVE_PLAYERS_KEY = "clicks:active"
ACTIVE_WINDOW_SECONDS = 60
# Members are MEMBER_BASE - player_id, zero-padded: same width, so string order is number order.
MEMBER_BASE = 10**13
MEMBER_WIDTH = 13

# KEYS: board, rebuilding flag, touched set. ARGV: increment, member.
_ADD_CLICKS_LUA = """
redis.call('ZINCRBY', KEYS[1], ARGV[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('SADD', KEYS[3], ARGV[2]) end
return 1
"""

# The board write of a sync, as the first step of a script (`set_total_script`):
# KEYS[1..3] = SET_TOTAL_KEYS, ARGV[1] = the player's total, ARGV[2] = the player's member.
SET_TOTAL_KEYS = (BOARD_KEY, REBUILDING_KEY, TOUCHED_KEY)
SET_TOTAL_LUA_STEP = """
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('SADD', KEYS[3], ARGV[2]) end
"""


def redis_client() -> Redis | None:
    """The Redis connection behind the cache, or None on the embedded default (no REDIS_URL)."""
    if not settings.REDIS_URL:
        return None
    # django_redis is imported here because it is only installed-and-configured with REDIS_URL.
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def member_for(player_id: int) -> str:
    """The sorted-set member of a player (ties list smaller ids first in ZREVRANGE)."""
    return str(MEMBER_BASE - player_id).zfill(MEMBER_WIDTH)


def player_id_of(member: bytes | str) -> int:
    """The player id a sorted-set member stands for."""
    return MEMBER_BASE - int(member)


def set_total_script(rest: str) -> str:
    """A Lua script that first writes a player's absolute total to the board, then runs `rest`.

    The board write is ZADD GT: it creates the member if absent and only ever raises its score,
    so syncs landing out of order keep the largest (newest) total and a write lost to a Redis
    error is healed by the player's next sync. A change that lowers a score (a reset) uses
    `board_add_clicks`. During a rebuild the player is also noted as touched. `rest` may use
    KEYS from 4 and ARGV from 3 on; the caller passes SET_TOTAL_KEYS, then the total and
    `member_for(player_id)` first.
    """
    return SET_TOTAL_LUA_STEP + rest


def board_add_clicks(pipe: Any, *, player_id: int, clicks: int) -> None:
    """Queue the board increment for clicks a player just gained (or lost, if negative).

    One atomic script: ZINCRBY, and during a rebuild also note the player as touched.
    """
    if clicks:
        pipe.eval(
            _ADD_CLICKS_LUA,
            3,
            BOARD_KEY,
            REBUILDING_KEY,
            TOUCHED_KEY,
            clicks,
            member_for(player_id),
        )


def board_touch(client: Any, *, player_id: int) -> None:
    """Note a player whose board entry changed outside increments (ban, unban) for a rebuild."""
    if client.exists(REBUILDING_KEY):
        client.sadd(TOUCHED_KEY, member_for(player_id))
