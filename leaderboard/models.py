"""Leaderboard storage kept in the database: the sharded global click total."""

from django.db import models

# The global total is spread over this many rows so that no single row is updated by every sync.
TOTAL_CLICK_SHARDS = 64


def shard_for(player_id: int) -> int:
    """The total-clicks shard a player's syncs add to."""
    return player_id % TOTAL_CLICK_SHARDS


class ClickTotalShard(models.Model):
    """One slice of the global click total; the total is the sum of all shards.

    The rows exist from the first migration on, so every sync is a plain UPDATE.
    """

    shard = models.SmallIntegerField(primary_key=True)
    clicks = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"shard {self.shard}: {self.clicks}"
