"""Reads about players."""

from core.errors import Forbidden, NotFound
from players.models import Player, PlayerQuerySet
from players.rules import name_skeleton


def player_get_public(*, player_id: int) -> Player:
    """A visible (not banned) player by id, or NotFound."""
    player = Player.objects.visible().filter(pk=player_id).first()
    if player is None:
        raise NotFound("No such player.")
    return player


def player_signed_in(*, telegram_id: int) -> Player:
    """The existing player behind a Telegram identity, for reads: nothing is created or updated.

    Raises Forbidden(code="not_a_player") for an identity that never signed in (GET /api/me
    signs in) and Forbidden(code="banned") for a banned player.
    """
    player = Player.objects.filter(telegram_id=telegram_id).first()
    if player is None:
        raise Forbidden("Open the game to sign in first (GET /api/me).", code="not_a_player")
    if player.is_banned:
        raise Forbidden("This player is banned.", code="banned")
    return player


def players_with_blocked_word(*, word: str) -> PlayerQuerySet:
    """Players whose current name contains the blocked word, matched as the name rules match
    it (by skeleton: case, look-alike letters and separators folded)."""
    needle = name_skeleton(word)
    if not needle:
        return Player.objects.none()
    return Player.objects.filter(game_name_skeleton__contains=needle)
