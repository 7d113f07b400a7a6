"""The Godot client draws the leaderboard by the rule every client follows: the shared cases of
leaderboard/tests/board_format_cases.json run through the client's own code in the engine, and a
board with a single player reads "1 player"."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from e2e.godot_engine import GodotPage
from e2e.godot_fixtures import seed_player
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

CASES = json.loads(
    (
        Path(__file__).resolve().parent.parent / "leaderboard/tests/board_format_cases.json"
    ).read_text()
)


def test_a_board_with_one_player_reads_in_the_singular(
    godot_server: GameServer, play: Callable[..., GodotPage]
) -> None:
    seed_player(godot_server.base_url, 8_400_001, "Only One", 1)
    page = play(8_400_001)
    page.wait_screen("main")
    assert page.wait(
        lambda s: s["controls"]["Main/Total"]["text"] == "Everyone together: 1 click", "the total"
    )
    page.click("Main/LeaderboardButton")
    page.wait(lambda s: s["rows"], "the board")
    assert page.text("Leaderboard/Summary") == "1 player, 1 click together"
    assert page.state()["rows"] == [
        {"rank": "#1", "game_name": "Only One (you)", "clicks": "1", "share": "100.0%", "me": True}
    ]
    page.screenshot("board-01-one-player")

    # The shared display cases, through the client's own formatting in the same engine.
    for case in CASES["boards"]:
        assert page.ask("board_lines", board=case["board"])["lines"] == case["lines"], case["name"]
    shown = page.ask(
        "format",
        shares=[item["share"] for item in CASES["shares"]],
        clicks=[item["clicks"] for item in CASES["clicks"]],
    )
    assert shown["shares"] == [item["text"] for item in CASES["shares"]]
    assert shown["clicks"] == [item["text"] for item in CASES["clicks"]]
