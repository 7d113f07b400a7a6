"""The leaderboard screen: the top 5, a separator, the player's own place with neighbours (own row
highlighted), and fresh numbers while it stays open."""

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import (
    api,
    console_errors,
    element,
    mini_app_url,
    screenshot,
    signed_init_data,
    wait_for_screen,
    wait_until,
)
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

OTHERS = [
    ("Ace", 100), ("Blaze", 90), ("Comet", 80), ("Dash", 70), ("Echo", 60), ("Flint", 55),
    ("Gale", 50), ("Haze", 10),
]  # fmt: skip
ME_NAME, ME_CLICKS = "Zoë Øster", 30
FIRST_ID = 6_000_001


def _seed(base_url: str) -> dict[str, str]:
    """Players with names and clicks, through the real API; returns name -> initData."""
    players = {}
    for offset, (name, clicks) in enumerate([*OTHERS, (ME_NAME, ME_CLICKS)]):
        init_data = signed_init_data(FIRST_ID + offset)
        api(base_url, "users", init_data, {"game_name": name})
        synced = api(base_url, "clicks", init_data, {"seq": 1, "count": clicks})
        assert synced["accepted"] == clicks
        players[name] = init_data
    return players


def _rows(driver: WebDriver, list_id: str) -> list[tuple[str, str, str, bool]]:
    """The rows of one board list, read in one go (the board re-renders while open)."""
    rows = driver.execute_script(
        """
        return [...document.querySelectorAll(`#${arguments[0]} .row`)].map((row) => [
          ...["rank", "name", "share"].map((cell) => row.querySelector(`.${cell}`).textContent),
          row.classList.contains("me"),
        ]);
        """,
        list_id,
    )
    return [tuple(row) for row in rows]


def test_board_shows_top_five_then_the_players_own_place_and_refreshes(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    base = game_server.base_url
    players = _seed(base)
    # A healthy board: the client refreshes every 5 s (a degraded one asks for 30 s).
    game_server.build_live_board()
    driver = open_browser()
    driver.get(mini_app_url(base, players[ME_NAME]))
    wait_for_screen(driver, "game")
    element(driver, "open-board").click()
    wait_for_screen(driver, "board")
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".row.me"), "own row")

    # 545 clicks in all: shares are clicks / 545.
    assert _rows(driver, "board-top") == [
        ("#1", "Ace", "18.3%", False),
        ("#2", "Blaze", "16.5%", False),
        ("#3", "Comet", "14.7%", False),
        ("#4", "Dash", "12.8%", False),
        ("#5", "Echo", "11.0%", False),
    ]
    assert element(driver, "board-separator").is_displayed()
    assert _rows(driver, "board-around") == [
        ("#7", "Gale", "9.2%", False),
        ("#8", ME_NAME, "5.5%", True),
        ("#9", "Haze", "1.8%", False),
    ]
    assert driver.find_element(By.CSS_SELECTOR, ".row.me").get_attribute("aria-current") == "true"
    summary = element(driver, "board-summary")
    assert (summary.get_attribute("data-players"), summary.get_attribute("data-total")) == (
        "9",
        "545",
    )
    screenshot(driver, "board-01-top-and-own-place")

    # Haze overtakes the player while the board is open: it refreshes by itself.
    api(base, "clicks", players["Haze"], {"seq": 2, "count": 25})
    wait_until(
        driver,
        lambda d: (
            [row[0:2] for row in _rows(d, "board-around")] == [("#8", "Haze"), ("#9", ME_NAME)]
        ),
        "the board to refresh",
    )
    assert _rows(driver, "board-around")[1] == ("#9", ME_NAME, "5.3%", True)
    assert element(driver, "board-summary").get_attribute("data-total") == "570"
    screenshot(driver, "board-02-refreshed")

    element(driver, "close-board").click()
    wait_for_screen(driver, "game")
    assert console_errors(driver) == []
