"""What staff can do to a player, each a thin call into the service every other door uses.

An action knows its form (reason, new name), when it applies to a player, and how to run: it
calls one service and returns the sentence recorded in the admin log. The admin classes turn
these into object buttons, row buttons and bulk actions.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from backoffice.display import isolate
from backoffice.forms import (
    ConfirmForm,
    OptionalReasonForm,
    RenameForm,
    RequiredReasonForm,
)
from clicks.services import clicks_reset
from leaderboard.services import player_listings
from players.models import NameStatus, Player
from players.services import (
    player_ban,
    player_name_approve,
    player_name_reject,
    player_rename,
    player_unban,
)


@dataclass(frozen=True)
class PlayerAction:
    """One thing staff can do to a player."""

    slug: str
    label: str
    form_class: type[forms.Form]
    run: Callable[[Player, dict[str, Any]], str]
    applies_to: Callable[[Player], bool]
    dangerous: bool = False
    bulk: bool = True
    help: str = ""

    @property
    def needs_input(self) -> bool:
        """True when the action asks for something (a reason, a name) before it runs."""
        return bool(self.form_class.base_fields)


def _with_reason(sentence: str, data: dict[str, Any]) -> str:
    reason = data.get("reason") or ""
    return f"{sentence} Reason: {isolate(reason)}" if reason else sentence


def _approve(player: Player, data: dict[str, Any]) -> str:
    approved = player_name_approve(player_id=player.pk)
    return f'Approved game name "{isolate(approved.game_name or "")}".'


def _reject(player: Player, data: dict[str, Any]) -> str:
    rejected = player_name_reject(player_id=player.pk)
    return _with_reason(f'Rejected game name "{isolate(rejected.game_name or "")}".', data)


def _ban(player: Player, data: dict[str, Any]) -> str:
    player_ban(player_id=player.pk, listings=player_listings())
    return _with_reason("Banned: removed from the leaderboard.", data)


def _unban(player: Player, data: dict[str, Any]) -> str:
    player_unban(player_id=player.pk, listings=player_listings())
    return _with_reason("Unbanned: back on the leaderboard.", data)


def _rename(player: Player, data: dict[str, Any]) -> str:
    before = isolate(player.game_name or "")
    renamed = player_rename(player_id=player.pk, game_name=data["game_name"])
    return _with_reason(f'Renamed from "{before}" to "{isolate(renamed.game_name or "")}".', data)


def _reset_clicks(player: Player, data: dict[str, Any]) -> str:
    removed = clicks_reset(player_id=player.pk)
    return _with_reason(f"Reset clicks: {removed} removed.", data)


APPROVE_NAME = PlayerAction(
    slug="approve-name",
    label="Approve name",
    form_class=ConfirmForm,
    run=_approve,
    applies_to=lambda p: bool(p.game_name) and p.name_status != NameStatus.APPROVED,
    help="The name becomes public (under pre-moderation it was hidden until now).",
)
REJECT_NAME = PlayerAction(
    slug="reject-name",
    label="Reject name",
    form_class=OptionalReasonForm,
    run=_reject,
    applies_to=lambda p: bool(p.game_name) and p.name_status != NameStatus.REJECTED,
    dangerous=True,
    help=(
        "The name disappears from the leaderboard, profiles and the bot at once; the player is "
        "asked for a new one on the next launch."
    ),
)
BAN = PlayerAction(
    slug="ban",
    label="Ban",
    form_class=RequiredReasonForm,
    run=_ban,
    applies_to=lambda p: not p.is_banned,
    dangerous=True,
    help="The player leaves the leaderboard at once and can no longer play.",
)
UNBAN = PlayerAction(
    slug="unban",
    label="Unban",
    form_class=OptionalReasonForm,
    run=_unban,
    applies_to=lambda p: p.is_banned,
    help="The player returns to the leaderboard at once with the clicks they had.",
)
RENAME = PlayerAction(
    slug="rename",
    label="Rename",
    form_class=RenameForm,
    run=_rename,
    applies_to=lambda p: True,
    bulk=False,
    help="The new name follows the game's rules and is approved at once.",
)
RESET_CLICKS = PlayerAction(
    slug="reset-clicks",
    label="Reset clicks",
    form_class=RequiredReasonForm,
    run=_reset_clicks,
    applies_to=lambda p: p.clicks > 0,
    dangerous=True,
    help=(
        "The player's clicks go to zero; the global total, the leaderboard and the click "
        "history are corrected with them. This cannot be undone."
    ),
)

NAME_ACTIONS = (APPROVE_NAME, REJECT_NAME)
PLAYER_ACTIONS = (BAN, UNBAN, RENAME, RESET_CLICKS, APPROVE_NAME, REJECT_NAME)
