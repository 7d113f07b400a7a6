"""The live leaderboard in Redis: key names and the commands writers put in their pipelines.

The board is a sorted set: score = the player's clicks, member = the player's id encoded so that
equal scores list the earlier player (smaller id) first in ZREVRANGE order. Writers only ever
ZINCRBY by what they added (never ZADD a value read earlier, which could be stale).
"""

from typing import Any

from django.conf import settings
from redis import Redis

BOARD_KEY = "lb:board"
# Set when a full rebuild has finished; if Redis lost its data this key is gone too.
BOARD_READY_KEY = "lb:ready"
# Members are MEMBER_BASE - player_id, zero-padded: same width, so string order is number order.
MEMBER_BASE = 10**13
MEMBER_WIDTH = 13


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


def board_add_clicks(pipe: Any, *, player_id: int, clicks: int) -> None:
    """Queue the board increment for clicks a player just gained (or lost, if negative)."""
    if clicks:
        pipe.zincrby(BOARD_KEY, clicks, member_for(player_id))
