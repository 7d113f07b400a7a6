"""Reads about players."""

from core.errors import NotFound
from players.models import Player, PlayerQuerySet
from players.rules import name_skeleton


def player_get_public(*, player_id: int) -> Player:
    """A visible (not banned) player by id, or NotFound."""
    player = Player.objects.visible().filter(pk=player_id).first()
    if player is None:
        raise NotFound("No such player.")
    return player


def players_with_blocked_word(*, word: str) -> PlayerQuerySet:
    """Players whose current name contains the blocked word, matched as the name rules match
    it (by skeleton: case, look-alike letters and separators folded)."""
    needle = name_skeleton(word)
    if not needle:
        return Player.objects.none()
    return Player.objects.filter(game_name_skeleton__contains=needle)
