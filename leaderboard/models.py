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


class GlobalStats(models.Model):
    """The game's headline numbers, kept in one row (pk 1) and refreshed cheaply.

    `total_clicks` is the sum of the click shards (every click ever counted, banned players'
    included); `total_users` counts visible (not banned) players, as the leaderboard does.
    `leaderboard.selectors.global_stats()` refreshes the row when it is older than a few seconds;
    bans, unbans and `recalculate_leaderboard` refresh it at once.
    """

    SINGLETON_PK = 1

    id = models.SmallIntegerField(primary_key=True, default=SINGLETON_PK)
    total_clicks = models.BigIntegerField(default=0)
    total_users = models.BigIntegerField(default=0)
    last_updated = models.DateTimeField()

    class Meta:
        verbose_name = "global stats"
        verbose_name_plural = "global stats"

    def __str__(self) -> str:
        return f"{self.total_clicks} clicks by {self.total_users} players"
