"""The player behind a request signed with Telegram initData: one step every JSON door shares.

It sits in telegram_auth, under the doors and over the players app, so the doors (each app's
`apis.py`) share it without importing one another.
"""

from rest_framework.request import Request

from core.errors import Forbidden
from players.models import Player
from players.selectors import player_signed_in
from players.services import player_sign_in


def request_telegram_id(request: Request) -> int:
    """The Telegram id the request was signed for; 403 `not_a_player` without one."""
    telegram_id = getattr(request.user, "telegram_id", None)
    if telegram_id is None:
        raise Forbidden("Sign in through Telegram to play.", code="not_a_player")
    return telegram_id


def request_player(request: Request) -> Player:
    """The player signed in through Telegram initData; 403 for banned players and non-players.

    Signs in: creates the player on first sight and refreshes the Telegram profile fields.
    """
    telegram_id = request_telegram_id(request)
    return player_sign_in(
        telegram_id=telegram_id,
        first_name=request.user.first_name,
        username=request.user.username,
        language_code=request.user.language_code,
    )


def request_player_for_read(request: Request) -> Player:
    """The already signed-in player behind a read request; writes nothing (reads never write).

    403 `not_a_player` for an identity that has not signed in yet, 403 `banned` for a banned one.
    """
    return player_signed_in(telegram_id=request_telegram_id(request))
