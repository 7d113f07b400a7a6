"""Click history: one row per player per day, enough to rebuild every total."""

from django.db import models
from django.db.models import Q


class ClickDay(models.Model):
    """A player's accepted and rejected clicks and number of syncs on one UTC day."""

    player = models.ForeignKey(
        "players.Player", on_delete=models.CASCADE, related_name="click_days"
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
