"""What the bot says: escaping for HTML parse mode and the leaderboard block."""

from typing import Any

from bot import texts
from players.models import NameStatus, Player


def entry(rank: int, player_id: int, name: str, clicks: int) -> dict[str, Any]:
    return {"rank": rank, "player_id": player_id, "game_name": name, "clicks": clicks, "share": 0}


def board(
    me: dict[str, Any], top: list[dict[str, Any]], around: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A board shaped as the API sends it: `around` holds the player when not in `top`."""
    if around is None:
        around = [] if me in top else [me]
    return {"total_clicks": 0, "total_players": 9, "top": top, "around": around, "me": me}


TOP = [entry(n, n, f"P{n}", 100 - n) for n in range(1, 6)]


def test_escape_leaves_nothing_for_the_parse_mode_to_format():
    assert texts.escape("*_[<b>&`") == "*_[&lt;b&gt;&amp;`"


def test_own_row_far_below_the_top_follows_an_ellipsis():
    me = entry(9, 42, "Me", 3)
    text = texts.board_text(board(me, TOP, [entry(8, 41, "Up", 4), me]))

    assert text.endswith("5. P5 — 95 (0%)\n…\n8. Up — 4 (0%)\n<b>9. Me — 3 (0%)</b> ← you")


def test_own_row_right_after_the_top_needs_no_ellipsis():
    text = texts.board_text(board(entry(6, 42, "Me", 3), TOP))

    assert text.endswith("5. P5 — 95 (0%)\n<b>6. Me — 3 (0%)</b> ← you")


def test_a_tie_with_the_last_leader_shares_its_rank():
    text = texts.board_text(board(entry(5, 42, "Me", 95), TOP))

    assert text.endswith("5. P5 — 95 (0%)\n<b>5. Me — 95 (0%)</b> ← you")


def test_own_row_in_the_top_is_marked_and_not_repeated():
    text = texts.board_text(board(TOP[1], TOP))

    assert "<b>🥈2. P2 — 98 (0%)</b> ← you" in text
    assert text.count("P2") == 1


def test_name_set_under_pre_moderation_says_when_others_see_it():
    player = Player(game_name="<Ann>", name_status=NameStatus.PENDING)

    assert texts.name_set_text(player=player, moderation="post") == (
        "Your game name is now <b>&lt;Ann&gt;</b>."
    )
    assert "once a moderator approves it" in texts.name_set_text(player=player, moderation="pre")
