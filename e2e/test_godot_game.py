"""The Godot client in a real Godot engine (4.6 web runtime) in Chromium, as a player meets it.

Boot, onboarding typed with key events (a taken name and a bad name get their messages), 30
taps counted by the server exactly, the leaderboard among seeded players, Telegram's back button,
taps flushed through fetch(keepalive) when Telegram hides the app, and a reload that resumes at
the server's exact total. Any script or engine error on the console fails the test; screenshots
go to test-artifacts/e2e/godot-*.png.
"""

from collections.abc import Callable

import pytest

from e2e.godot_engine import GodotPage, reopen
from e2e.godot_fixtures import choose_name, seed_player, server_clicks
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

ALICE = 8_100_001
NAME_HOLDER = 8_100_002
# (game name, clicks): five above Alice's 30 make the top 5, "Seed Six" is hidden behind the "…",
# "Seed Seven" and "Seed Eight" are her neighbours, "Seed Last" is below them.
SEEDED = [
    ("Seed One", 300), ("Seed Two", 250), ("Seed Three", 200), ("Seed Four", 150),
    ("Seed Five", 100), ("Seed Six", 60), ("Seed Seven", 40), ("Seed Eight", 20), ("Seed Last", 10),
]  # fmt: skip


def _error_shown(page: GodotPage, start: str) -> str:
    return page.wait(
        lambda s: (
            (error := s["controls"]["Onboarding/Error"])["visible"]
            and error["text"].startswith(start)
            and error["text"]
        ),
        f"the error {start!r}",
    )


def test_a_new_player_plays_the_whole_game_in_the_engine(
    godot_server: GameServer, play: Callable[..., GodotPage]
) -> None:
    base = godot_server.base_url
    seed_player(base, NAME_HOLDER, "Taken Name", 0)
    for index, (game_name, clicks) in enumerate(SEEDED):
        seed_player(base, 8_100_100 + index, game_name, clicks)

    page = play(ALICE)
    page.wait_screen("onboarding")
    page.screenshot("01-onboarding")

    choose_name(page, "Taken Name")
    _error_shown(page, "Someone already plays under that name")
    choose_name(page, "Bad!Name")
    _error_shown(page, "Use Latin, Greek, Cyrillic or Hebrew letters")
    page.screenshot("02-onboarding-error")
    assert page.state()["screen"] == "onboarding"

    choose_name(page, "Alice E2E")
    page.wait_screen("main")
    assert page.text("Main/PlayerName") == "Alice E2E"
    page.screenshot("03-main")

    for _ in range(30):
        page.click("Main/TapButton")
    page.wait(lambda s: s["sync"]["shown_clicks"] == 30, "30 taps counted on screen")
    page.wait(lambda s: s["sync"]["server_clicks"] == 30 and s["sync"]["unconfirmed"] == 0, "sync")
    assert server_clicks(base, ALICE) == 30
    assert page.text("Main/Counter") == "30"
    assert page.text("Main/Status") == "Online"
    page.screenshot("04-thirty-taps")

    page.click("Main/LeaderboardButton")
    page.wait_screen("leaderboard")
    rows = page.wait(lambda s: len(s["rows"]) == 9 and s["rows"], "the board rows")
    assert [row.get("game_name") for row in rows[:5]] == [name for name, _ in SEEDED[:5]]
    assert rows[5] == {"separator": "…"}
    assert [(row["rank"], row["game_name"], row["me"]) for row in rows[6:]] == [
        ("#7", "Seed Seven", False), ("#8", "Alice E2E (you)", True), ("#9", "Seed Eight", False),
    ]  # fmt: skip
    assert page.text("Leaderboard/Summary") == "11 players, 1,160 clicks together"
    assert page.telegram("calls").count("back:show") == 1
    page.screenshot("05-leaderboard")

    page.telegram("pressBack()")
    page.wait_screen("main")
    assert "back:hide" in page.telegram("calls")

    # Telegram hides the app right after more taps: they leave at once, with keepalive.
    page.tap_between_syncs("Main/TapButton", fingers=5, then="fakeTelegram.emit('deactivated')")
    page.wait(lambda _: server_clicks(base, ALICE) == 36, "the flushed taps on the server")
    keepalive = [
        f for f in page.telegram("fetches") if f["keepalive"] and "/api/clicks" in f["url"]
    ]
    assert len(keepalive) == 1, [f for f in page.telegram("fetches") if "/api/" in f["url"]]
    page.wait(lambda s: s["controls"]["App/AwayOverlay"]["visible"], "the away overlay")
    page.screenshot("06-away")

    page = reopen(page)
    page.wait_screen("main")
    page.wait(lambda s: s["controls"]["Main/Counter"]["text"] == "36", "the counter at 36")
    assert server_clicks(base, ALICE) == 36
    page.screenshot("07-reloaded")
