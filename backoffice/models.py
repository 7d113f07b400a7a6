"""Backoffice-only views of game data: the name moderation queue."""

from players.models import Player


class NameReview(Player):
    """A player whose game name waits for a moderator (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "name to review"
        verbose_name_plural = "names to review"
