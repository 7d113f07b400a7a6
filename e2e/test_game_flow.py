"""The whole game in a real browser against a real server, as a new player meets it.

Name onboarding (a taken name first), 50 taps synced to the server, a reload, a second player
reading the leaderboard, and taps made while the server is down that arrive after it restarts.
Screenshots of every screen go to test-artifacts/e2e/.
"""

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import (
    api,
    console_errors,
    element,
    mini_app_url,
    screen,
    screenshot,
    shown_clicks,
    signed_init_data,
    sync_state,
    tap,
    wait_for_screen,
    wait_until,
)
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

ALICE, BOB, NAME_HOLDER = 7_000_001, 7_000_002, 7_000_003
# The offline queue retries with a backoff capped at 30 s; allow one full wait after a restart.
RESYNC_SECONDS = 45


def _choose_name(driver: WebDriver, game_name: str) -> None:
    field = element(driver, "name-input")
    field.clear()
    field.send_keys(game_name)
    element(driver, "name-submit").click()


def _wait_synced(driver: WebDriver, clicks: int) -> None:
    wait_until(
        driver,
        lambda d: shown_clicks(d) == clicks and sync_state(d) == ("synced", 0),
        f"{clicks} clicks shown and synced",
    )


def _board_row(driver: WebDriver, player_id: int) -> dict[str, str]:
    row = driver.find_element(By.CSS_SELECTOR, f'.row[data-player-id="{player_id}"]')
    cells = {cell: row.find_element(By.CLASS_NAME, cell).text for cell in ("rank", "name")}
    cells |= {cell: row.find_element(By.CLASS_NAME, cell).text for cell in ("clicks", "share")}
    cells["me"] = "yes" if "me" in (row.get_attribute("class") or "").split() else "no"
    return cells


def test_a_new_player_plays_the_whole_game(
    game_server: GameServer, open_browser: Callable[[], WebDriver]
) -> None:
    base = game_server.base_url
    api(base, "users", signed_init_data(NAME_HOLDER), {"game_name": "Taken Name"})

    # A new player opens the Mini App with signed initData in the URL fragment.
    alice_init = signed_init_data(ALICE, first_name="Alice")
    alice = open_browser()
    alice.get(mini_app_url(base, alice_init))
    wait_for_screen(alice, "onboarding")
    assert "public" in element(alice, "name-public-note").text
    screenshot(alice, "flow-01-onboarding")

    # A taken name (in another case) is refused with a friendly message; nothing is saved.
    _choose_name(alice, "taken NAME")
    wait_until(alice, lambda d: element(d, "name-error").is_displayed(), "the name error")
    assert element(alice, "name-error").get_attribute("data-code") == "taken"
    assert "already plays under that name" in element(alice, "name-error").text
    assert screen(alice) == "onboarding"
    assert api(base, "me", alice_init)["game_name"] is None
    screenshot(alice, "flow-02-name-taken")

    # A free name starts the game.
    _choose_name(alice, "Alice")
    wait_for_screen(alice, "game")
    assert element(alice, "player-name").text == "Alice"
    screenshot(alice, "flow-03-game")

    # 50 taps reach the server.
    tap(alice, 50)
    _wait_synced(alice, 50)
    me = api(base, "me", alice_init)
    assert (me["game_name"], me["clicks"]) == ("Alice", 50)
    screenshot(alice, "flow-04-fifty-taps")

    # After a reload the page shows the server's 50 again, nothing counted twice.
    alice.refresh()
    wait_for_screen(alice, "game")
    _wait_synced(alice, 50)
    assert api(base, "me", alice_init)["clicks"] == 50
    screenshot(alice, "flow-05-after-reload")

    # A second player sees the first on the leaderboard with the right share (50 of 75).
    bob_init = signed_init_data(BOB, first_name="Bob")
    bob = open_browser()
    bob.get(mini_app_url(base, bob_init))
    wait_for_screen(bob, "onboarding")
    _choose_name(bob, "Bob")
    wait_for_screen(bob, "game")
    tap(bob, 25)
    _wait_synced(bob, 25)
    element(bob, "open-board").click()
    wait_for_screen(bob, "board")
    alice_id, bob_id = me["id"], api(base, "me", bob_init)["id"]
    wait_until(
        bob,
        lambda d: d.find_elements(By.CSS_SELECTOR, f'.row[data-player-id="{alice_id}"]'),
        "Alice on the leaderboard",
    )
    assert _board_row(bob, alice_id) == {
        "rank": "#1", "name": "Alice", "clicks": "50", "share": "66.7%", "me": "no",
    }  # fmt: skip
    assert _board_row(bob, bob_id) == {
        "rank": "#2", "name": "Bob", "clicks": "25", "share": "33.3%", "me": "yes",
    }  # fmt: skip
    assert element(bob, "board-summary").get_attribute("data-total") == "75"
    screenshot(bob, "flow-06-leaderboard")

    # The server goes down: taps still count on screen and wait in the offline queue.
    game_server.stop()
    tap(alice, 10)
    wait_until(
        alice,
        lambda d: shown_clicks(d) == 60 and sync_state(d) == ("offline", 10),
        "10 taps waiting offline",
    )
    screenshot(alice, "flow-07-offline")

    # The server is back: the queue syncs and the server holds 60.
    game_server.start()
    wait_until(
        alice,
        lambda d: sync_state(d) == ("synced", 0),
        "the offline taps to sync",
        seconds=RESYNC_SECONDS,
    )
    assert shown_clicks(alice) == 60
    assert api(base, "me", alice_init)["clicks"] == 60
    screenshot(alice, "flow-08-synced-after-restart")

    assert console_errors(alice) == []
    assert console_errors(bob) == []
