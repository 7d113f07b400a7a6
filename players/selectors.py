"""Reads about players."""

from core.errors import NotFound
from players.models import Player


def player_get_public(*, player_id: int) -> Player:
    """A visible (not banned) player by id, or NotFound."""
    player = Player.objects.visible().filter(pk=player_id).first()
    if player is None:
        raise NotFound("No such player.")
    return player
