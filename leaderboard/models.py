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


class BoardSnapshot(models.Model):
    """When the board snapshot was taken and how many visible players it counted (one row, pk 1).

    The snapshot answers ranks by one index probe when the live board cannot (Redis away, board
    lost) on a board too big to count per request; `run_board_keeper` refreshes it.
    """

    SINGLETON_PK = 1

    id = models.SmallIntegerField(primary_key=True, default=SINGLETON_PK)
    players = models.BigIntegerField(default=0)
    taken_at = models.DateTimeField()
    seconds = models.FloatField(default=0.0, help_text="How long the refresh took.")

    class Meta:
        verbose_name = "board snapshot"

    def __str__(self) -> str:
        return f"{self.players} players at {self.taken_at:%Y-%m-%d %H:%M:%S}"


class BoardSnapshotRank(models.Model):
    """A click count present on the board at snapshot time and how many visible players had at
    least that many clicks; rank(c) = 1 + players_at_or_above of the smallest count above c."""

    clicks = models.BigIntegerField(primary_key=True)
    players_at_or_above = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.players_at_or_above} players with at least {self.clicks} clicks"
