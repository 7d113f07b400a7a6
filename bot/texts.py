"""What the bot says: message texts in Telegram's HTML parse mode, and the Play buttons.

Every piece of player-supplied text (game names, first names) goes through `escape`, so a name
like `*_[<b>` shows exactly as typed and cannot format or break a message.
"""

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from players.models import NameStatus, Player
from players.rules import MAX_LENGTH, MIN_LENGTH

PLAY_LABEL = "Play"
# Replies to a message starting with this are taken as the player's chosen game name.
NAME_PROMPT = "Choose your game name"
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}

Entry = Mapping[str, Any]
Board = Mapping[str, Any]


def escape(text: str) -> str:
    """User text made safe for HTML parse mode: `<`, `>` and `&` become entities."""
    return html.escape(text, quote=False)


def count(number: int) -> str:
    """A click count as people read it: 1,234,567."""
    return f"{number:,}"


def play_keyboard(mini_app_url: str) -> InlineKeyboardMarkup:
    """The inline "Play" button that opens the Mini App (with signed initData)."""
    button = InlineKeyboardButton(PLAY_LABEL, web_app=WebAppInfo(url=mini_app_url))
    return InlineKeyboardMarkup([[button]])


def name_prompt_markup() -> ForceReply:
    """Opens the reply field under the name prompt, so the next message answers it."""
    return ForceReply(selective=True, input_field_placeholder="Your game name")


def name_prompt_text() -> str:
    """Asks for a game name; the player answers by replying to this message."""
    return (
        f"{NAME_PROMPT}: reply to this message with it.\n"
        f"{MIN_LENGTH}-{MAX_LENGTH} characters: letters, digits, spaces and _ - . "
        "It is shown on the leaderboard."
    )


def newcomer_text(first_name: str) -> str:
    """The first words to a player who has no game name yet."""
    greeting = f"Hi, {escape(first_name)}!" if first_name else "Hi!"
    return (
        f"{greeting} Welcome to <b>clickgame</b>: tap as fast as you can and climb the "
        "leaderboard.\n\nTap <b>Play</b> to open the game and choose your game name there, "
        "or reply to my next message with it."
    )


def name_refused_text(detail: str) -> str:
    """Why a proposed game name was not accepted (the service's own message)."""
    return f"That name did not work: {escape(detail)}"


def name_set_text(*, player: Player, moderation: str) -> str:
    """Confirms a new game name, saying when others will see it."""
    text = f"Your game name is now <b>{escape(player.game_name or '')}</b>."
    if player.name_status == NameStatus.PENDING and moderation == "pre":
        text += " Others see it once a moderator approves it."
    return text


# The line that stands for places skipped between the top and the player's part.
GAP = "…"


@dataclass(frozen=True)
class BoardLine:
    """One displayed leaderboard row, formatted by the board rule (docs/architecture.md)."""

    rank: int
    name: str
    clicks: str
    share: str
    me: bool


def share_text(share: float) -> str:
    """A share in percent (0..100, as the API sends it): 0%, <0.01%, 0.42%, 12.3%.

    Half-up rounding done in doubles, floor(share * 10^d + 0.5), exactly as the web and Godot
    clients do it, so all three show the same text.
    """
    if not isinstance(share, int | float) or not math.isfinite(share) or share <= 0:
        return "0%"
    if share < 0.01:
        return "<0.01%"
    decimals = 2 if share < 1 else 1
    scale = 10**decimals
    scaled = math.floor(share * scale + 0.5)
    return f"{scaled // scale}.{scaled % scale:0{decimals}d}%"


def board_lines(board: Board) -> list[BoardLine | str]:
    """The rows of a leaderboard answer by the board rule, with GAP where places are skipped.

    Every `top` entry, then, when there is an `around` part, GAP if its first rank is past
    len(top) + 1 (ties share ranks, so rows are counted, not the last rank), then `around`.
    """
    my_id = board["me"]["player_id"]

    def line(entry: Entry) -> BoardLine:
        return BoardLine(
            rank=entry["rank"],
            name=entry["game_name"],
            clicks=count(entry["clicks"]),
            share=share_text(entry["share"]),
            me=entry["player_id"] == my_id,
        )

    top, around = list(board["top"]), list(board["around"])
    lines: list[BoardLine | str] = [line(entry) for entry in top]
    if around:
        if around[0]["rank"] > len(top) + 1:
            lines.append(GAP)
        lines += [line(entry) for entry in around]
    return lines


def _row_text(row: BoardLine | str) -> str:
    if isinstance(row, str):
        return row
    medal = MEDALS.get(row.rank, "")
    # Every part is escaped: a name is user text, and a share can read "<0.01%".
    text = f"{medal}{count(row.rank)}. {escape(row.name)} — {row.clicks} ({escape(row.share)})"
    return f"<b>{text}</b> ← you" if row.me else text


def board_text(board: Board) -> str:
    """The leaderboard block: the top, then the player's own part further down (board rule)."""
    return "\n".join(["<b>Leaderboard</b>", *(_row_text(row) for row in board_lines(board))])


def welcome_text(*, player: Player, board: Board) -> str:
    """The welcome: the player's clicks, everyone's clicks and the leaderboard."""
    name = escape(player.game_name) if player.game_name else escape(board["me"]["game_name"])
    return (
        f"Welcome, <b>{name}</b>!\n"
        f"Your clicks: <b>{count(player.clicks)}</b>\n"
        f"Everyone's clicks: <b>{count(board['total_clicks'])}</b>\n\n"
        f"{board_text(board)}\n\n"
        "Tap <b>Play</b> to click!"
    )


def top_text(board: Board) -> str:
    """The /top answer: everyone's clicks and the leaderboard."""
    return (
        f"Everyone's clicks: <b>{count(board['total_clicks'])}</b> "
        f"by {count(board['total_players'])} players\n\n{board_text(board)}"
    )


_STATUS_NOTES = {
    NameStatus.PENDING: "waiting for a moderator",
    NameStatus.APPROVED: "approved",
    NameStatus.REJECTED: "refused by a moderator, choose another with /name",
}


def me_text(*, player: Player, board: Board) -> str:
    """The /me answer: the player's name and its state, clicks and rank."""
    me = board["me"]
    if player.game_name:
        name_line = (
            f"Game name: <b>{escape(player.game_name)}</b> ({_STATUS_NOTES[player.name_status]})"
        )
    else:
        name_line = "No game name yet: choose one with /name or in the game."
    return (
        f"{name_line}\n"
        f"Shown to others as: {escape(me['game_name'])}\n"
        f"Clicks: <b>{count(player.clicks)}</b>\n"
        f"Rank: <b>#{count(me['rank'])}</b> of {count(board['total_players'])}"
    )


COMMANDS: Sequence[tuple[str, str]] = (
    ("start", "Open the game and see the leaderboard"),
    ("top", "Leaderboard: the top players and your place"),
    ("me", "Your game name, clicks and rank"),
    ("name", "Change your game name: /name <new name>"),
    ("help", "What this bot can do"),
)


def help_text() -> str:
    """The /help answer: every command and how to play."""
    commands = "\n".join(f"/{command} — {escape(description)}" for command, description in COMMANDS)
    return (
        "<b>clickgame</b> is a tapping game inside Telegram. Tap <b>Play</b> (here or next to "
        f"the message field) to open it.\n\n{commands}"
    )


def unknown_text() -> str:
    """The answer to messages the bot does not understand."""
    return "I did not understand that. /help lists what I can do."
