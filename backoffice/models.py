"""Backoffice-only views of game data: the name moderation queue, the recalculation right."""

from leaderboard.models import GlobalStats
from players.models import Player


class NameReview(Player):
    """A player whose game name waits for a moderator (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "name to review"
        verbose_name_plural = "names to review"


class LeaderboardRecalculation(GlobalStats):
    """Carries the permission to recalculate the leaderboard from the stats page (a proxy with
    no admin of its own; staff status alone is not enough)."""

    class Meta:
        proxy = True
        default_permissions = ()
        permissions = [("recalculate_leaderboard", "Can recalculate the leaderboard")]
