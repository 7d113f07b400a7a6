"""Gameplay defects of the Godot client, each shown in the real engine (4.6 web runtime):
two-thumb tapping, taps counted twice after closing the app, and being stuck "away" when the app
was hidden before the main screen."""

import time
from collections.abc import Callable

import pytest

from e2e.godot_engine import GodotPage, reopen
from e2e.godot_fixtures import choose_name, seed_player, server_clicks
from e2e.server import GameServer

pytestmark = pytest.mark.e2e


def _spots(page: GodotPage, count: int) -> dict[int, tuple[float, float]]:
    """Where `count` fingers rest on the tap target, side by side."""
    x, y, width, height = page.control("Main/TapButton")["rect"]
    return {
        finger: (x + width * (finger + 1) / (count + 1), y + height / 2) for finger in range(count)
    }


def test_every_finger_that_lands_on_the_tap_target_counts(
    godot_server: GameServer, play: Callable[..., GodotPage]
) -> None:
    seed_player(godot_server.base_url, 8_200_001, "Two Thumbs", 0)
    page = play(8_200_001)
    page.wait_screen("main")
    # Two thumbs: each lands while the other is still down.
    two = [("down", 0), ("down", 1)]
    for _ in range(5):
        two += [("up", 0), ("down", 0), ("up", 1), ("down", 1)]
    two += [("up", 0), ("up", 1)]
    presses = page.fingers(two, _spots(page, 2))
    # Three fingers drumming: always two down when the next lands.
    three = [("down", 0), ("down", 1), ("down", 2)]
    for _ in range(4):
        three += [("up", 0), ("down", 0), ("up", 1), ("down", 1), ("up", 2), ("down", 2)]
    three += [("up", 0), ("up", 1), ("up", 2)]
    presses += page.fingers(three, _spots(page, 3))
    assert presses == 12 + 15
    page.wait(lambda s: s["sync"]["shown_clicks"] == presses, f"{presses} taps on screen")
    page.wait(lambda s: s["sync"]["unconfirmed"] == 0, "the taps synced")
    assert server_clicks(godot_server.base_url, 8_200_001) == presses
    page.screenshot("play-01-fingers")


def test_taps_flushed_as_the_app_closes_are_counted_once_after_reopening(
    godot_server: GameServer, play: Callable[..., GodotPage]
) -> None:
    base = godot_server.base_url
    seed_player(base, 8_200_002, "Closer", 0)
    page = play(8_200_002)
    page.wait_screen("main")
    for _ in range(5):
        page.click("Main/TapButton")
    page.wait(lambda s: s["sync"]["server_clicks"] == 5 and s["sync"]["unconfirmed"] == 0, "sync")
    # A steady tapping streak (the client saves its state now and then meanwhile) ...
    for _ in range(7):
        page.click("Main/TapButton")
        time.sleep(0.25)
    page.wait(lambda s: s["sync"]["shown_clicks"] == 12, "12 taps on screen")
    # ... then Telegram hides the app and the page goes away at once: no frame runs after.
    page.driver.execute_script(
        "fakeTelegram.emit('deactivated'); window.location.replace('about:blank');"
    )
    deadline = time.monotonic() + 10
    while server_clicks(base, 8_200_002) != 12 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server_clicks(base, 8_200_002) == 12

    again = reopen(page)
    again.wait_screen("main")
    again.wait(lambda s: s["sync"]["state"] == "ONLINE", "the reopened game online")
    time.sleep(3)  # longer than the first sync interval: anything saved would be re-sent now
    assert again.state()["sync"]["shown_clicks"] == 12
    assert server_clicks(base, 8_200_002) == 12
    assert again.engine_errors() == []


def test_being_away_before_the_main_screen_does_not_leave_the_game_paused(
    godot_server: GameServer, play: Callable[..., GodotPage]
) -> None:
    page = play(8_200_003)
    page.wait_screen("onboarding")
    page.telegram("emit('deactivated')")
    page.telegram("emit('activated')")
    page.wait(lambda s: not s["active"], "the player marked away")
    choose_name(page, "Came Back")
    page.wait_screen("main")
    page.wait(lambda s: s["active"], "the player back")
    state = page.state()
    assert not state["controls"]["App/AwayOverlay"]["visible"]
    # The main screen polls the board while the player is here.
    page.wait(
        lambda _: any("/api/leaderboard" in f["url"] for f in page.telegram("fetches")),
        "the board polled",
    )
