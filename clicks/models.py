"""Click history: one row per player per day, enough to rebuild every total."""

from django.db import models
from django.db.models import Q


class ClickDay(models.Model):
    """A player's accepted and rejected clicks and number of syncs on one UTC day."""

    # No separate index on player: the unique (player, day) index starts with it.
    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="click_days", db_index=False
    )
    day = models.DateField()
    clicks = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    syncs = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player", "day"], name="clickday_player_day_unique"),
            models.CheckConstraint(condition=Q(clicks__gte=0), name="clickday_clicks_non_negative"),
        ]
        indexes = [models.Index(fields=["day"], name="clickday_day_idx")]

    def __str__(self) -> str:
        return f"{self.player_id} {self.day}: {self.clicks}"


class ClickReset(models.Model):
    """A staff reset of a player's clicks to zero, kept so history rebuilds stay exact.

    `history_clicks` is the sum of the player's ClickDay clicks at the moment of the reset (taken
    under the player's row lock): the player's total is always the ClickDay sum minus the
    `history_clicks` of their latest reset.
    """

    # Indexed by clickreset_player_latest_idx (player, -id).
    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="click_resets", db_index=False
    )
    clicks_removed = models.BigIntegerField()
    history_clicks = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(clicks_removed__gte=0), name="clickreset_removed_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(history_clicks__gte=0), name="clickreset_history_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["player", "-id"], name="clickreset_player_latest_idx")]

    def __str__(self) -> str:
        return f"{self.player_id} reset at {self.created_at:%Y-%m-%d %H:%M}: -{self.clicks_removed}"
