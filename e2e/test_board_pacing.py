"""Both clients refresh an open leaderboard when the server asks (`poll_interval_ms`), not on a
fixed 5 s clock: past the sync budget the server spaces board polls out with the syncs.

The servers here run with SYNC_BUDGET_RPS=1, so the players the test makes active (their syncs
are in Redis's activity set) are already "past the budget": eight active players ask for an
8 s interval (more while other tests' players are still active: they share the Redis db).
Measured in the browser: the gaps between the page's own leaderboard requests, in the light
client and in the Godot client in a real engine; a fixed 5 s clock would show ~5,000 ms.
"""

import itertools
import os
from collections.abc import Callable

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import api, element, mini_app_url, signed_init_data, wait_for_screen, wait_until
from e2e.godot_engine import GodotPage
from e2e.server import GameServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="the active-player count lives in Redis"
    ),
]

SERVER_ENV = {"SYNC_BUDGET_RPS": "1"}
GODOT_SERVER_ENV = SERVER_ENV
ACTIVE = 8
# The interval ACTIVE players get at that budget: the least the clients may wait here.
SLOWEST_CLOCK_MS = ACTIVE * 1000
# Records when the page itself asks for the leaderboard: window.fetch is wrapped (both clients'
# requests go through it; the browser's own retries of a request do not show up twice).
RECORD_BOARD_REQUESTS_JS = """
window.boardRequests = [];
const original = window.fetch;
window.fetch = function (resource, ...rest) {
  const url = typeof resource === "string" ? resource : resource.url;
  if (new URL(url, location.href).pathname === "/api/leaderboard") {
    window.boardRequests.push(performance.now());
  }
  return original.call(this, resource, ...rest);
};
"""


def _make_active(server: GameServer, first_id: int) -> str:
    """ACTIVE players who each synced just now, on a live board built for them (as the board
    keeper would); the initData of the first."""
    players = [signed_init_data(first_id + n) for n in range(ACTIVE)]
    for n, init_data in enumerate(players):
        api(server.base_url, "users", init_data, {"game_name": f"Busy {first_id + n}"})
        synced = api(server.base_url, "clicks", init_data, {"seq": 1, "count": 1})
        assert synced["accepted"] == 1
    server.build_live_board()
    return players[0]


def _asked_interval(base_url: str, init_data: str) -> int:
    """What the server asks now: past its (tiny) budget, at least a second per active player."""
    asked = int(api(base_url, "leaderboard", init_data)["poll_interval_ms"])
    assert asked >= SLOWEST_CLOCK_MS
    return asked


def _gaps_ms(driver: WebDriver, count: int) -> list[float]:
    """The gaps between the first `count` leaderboard requests (waits, bounded, for them)."""
    started = wait_until(
        driver,
        lambda d: (
            (times := d.execute_script("return window.boardRequests"))
            and len(times) >= count
            and times
        ),
        f"{count} leaderboard requests",
        seconds=12 * count,
    )
    return [later - earlier for earlier, later in itertools.pairwise(started[:count])]


def test_the_light_client_refreshes_the_board_when_the_server_asks(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    base = game_server.base_url
    me = _make_active(game_server, 6_500_001)
    asked = _asked_interval(base, me)
    driver = open_browser()
    driver.get(mini_app_url(base, me))
    wait_for_screen(driver, "game")
    driver.execute_script(RECORD_BOARD_REQUESTS_JS)
    element(driver, "open-board").click()
    wait_for_screen(driver, "board")
    gaps = _gaps_ms(driver, 3)
    assert all(gap >= SLOWEST_CLOCK_MS - 250 for gap in gaps), (asked, gaps)


def test_the_godot_client_refreshes_the_board_when_the_server_asks(
    godot_server: GameServer, play: Callable[..., GodotPage]
) -> None:
    base = godot_server.base_url
    me = _make_active(godot_server, 6_600_001)
    asked = _asked_interval(base, me)
    page = play(6_600_001)
    page.wait_screen("main")
    page.driver.execute_script(RECORD_BOARD_REQUESTS_JS)
    page.click("Main/LeaderboardButton")
    page.wait(lambda s: s["rows"], "the board")
    # The refresh timer follows the answers.
    page.wait(lambda s: s["board_poll_msec"] >= SLOWEST_CLOCK_MS, "the server's interval")
    gaps = _gaps_ms(page.driver, 3)
    assert all(gap >= SLOWEST_CLOCK_MS - 250 for gap in gaps), (asked, gaps)
