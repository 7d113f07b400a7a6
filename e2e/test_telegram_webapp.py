"""The light client inside Telegram: initData from Telegram.WebApp, ready/expand, theme colours,
safe areas, haptics, the BackButton and flushing taps when the app goes to the background.

Telegram's own script cannot load here, so a recording stand-in for Telegram.WebApp is installed
before the page's scripts run.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import (
    api,
    console_errors,
    element,
    screenshot,
    signed_init_data,
    sync_state,
    wait_for_screen,
    wait_until,
)
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

FAKE_TELEGRAM_JS = Path(__file__).resolve().parent / "fake_telegram.js"


def open_in_telegram(
    open_browser: Callable[..., WebDriver],
    server: GameServer,
    telegram_id: int,
    *,
    game_name: str | None = None,
    version: str = "8.0",
) -> WebDriver:
    """Open the Mini App the way Telegram does, with initData only in Telegram.WebApp."""
    init_data = signed_init_data(telegram_id, first_name="Tg")
    if game_name:
        api(server.base_url, "users", init_data, {"game_name": game_name})
    source = (
        FAKE_TELEGRAM_JS.read_text()
        .replace("__INIT_DATA__", json.dumps(init_data))
        .replace("__VERSION__", json.dumps(version))
    )
    driver = open_browser()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
    driver.get(f"{server.base_url}/")
    wait_for_screen(driver, "game" if game_name else "onboarding")
    return driver


def telegram_calls(driver: WebDriver) -> list[str]:
    return driver.execute_script("return window.fakeTelegram.calls.slice()")


def css(driver: WebDriver, script: str) -> Any:
    return driver.execute_script(f"return {script}")


def test_init_data_from_telegram_signs_the_player_in_and_the_app_gets_ready(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_in_telegram(open_browser, game_server, 9_000_001)
    assert telegram_calls(driver)[:3] == ["ready", "expand", "disableVerticalSwipes"]
    assert driver.execute_script("return location.hash") == ""
    screenshot(driver, "telegram-01-onboarding")
    assert console_errors(driver) == []


def test_vertical_swipes_stay_on_for_telegram_before_7_7(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_in_telegram(open_browser, game_server, 9_000_002, version="7.6")
    assert telegram_calls(driver)[:2] == ["ready", "expand"]
    assert "disableVerticalSwipes" not in telegram_calls(driver)


def test_theme_colours_follow_telegram_and_change_with_it(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_in_telegram(open_browser, game_server, 9_000_003, game_name="Themed")
    assert css(driver, "getComputedStyle(document.body).backgroundColor") == "rgb(16, 32, 48)"
    assert css(driver, "getComputedStyle(document.body).color") == "rgb(240, 240, 240)"
    tap_colour = "getComputedStyle(document.getElementById('tap')).backgroundColor"
    assert css(driver, tap_colour) == "rgb(255, 136, 0)"
    screenshot(driver, "telegram-02-themed-game")

    driver.execute_script(
        "Telegram.WebApp.themeParams.bg_color = '#fafafa';"
        "Telegram.WebApp.themeParams.button_color = '#0088cc';"
        "fakeTelegram.emit('themeChanged');"
    )
    assert css(driver, "getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"
    assert css(driver, tap_colour) == "rgb(0, 136, 204)"


def test_safe_areas_keep_the_game_clear_of_system_bars(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_in_telegram(open_browser, game_server, 9_000_004, game_name="Notched")
    padding = "getComputedStyle(document.querySelector('main'))"
    # Device inset + Telegram's content inset + the page's own 16px.
    assert css(driver, f"{padding}.paddingTop") == "80px"
    assert css(driver, f"{padding}.paddingBottom") == "50px"

    driver.execute_script(
        "Telegram.WebApp.safeAreaInset = {top: 0, bottom: 0, left: 12, right: 0};"
        "Telegram.WebApp.contentSafeAreaInset = {top: 0, bottom: 0, left: 0, right: 0};"
        "fakeTelegram.emit('safeAreaChanged');"
        "fakeTelegram.emit('contentSafeAreaChanged');"
    )
    assert css(driver, f"{padding}.paddingTop") == "16px"
    assert css(driver, f"{padding}.paddingLeft") == "28px"


def test_each_tap_gives_light_haptic_feedback(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_in_telegram(open_browser, game_server, 9_000_005, game_name="Buzz")
    for _ in range(3):
        element(driver, "tap").click()
    haptics = [call for call in telegram_calls(driver) if call.startswith("haptic:")]
    assert haptics == ["haptic:light"] * 3


def test_telegram_back_button_leaves_the_leaderboard(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_in_telegram(open_browser, game_server, 9_000_006, game_name="Backer")
    element(driver, "open-board").click()
    wait_for_screen(driver, "board")
    wait_until(driver, lambda d: d.find_elements("css selector", ".row.me"), "own leaderboard row")
    assert telegram_calls(driver)[-1] == "back:show"
    assert not element(driver, "close-board").is_displayed()
    screenshot(driver, "telegram-03-leaderboard")

    driver.execute_script("fakeTelegram.pressBack()")
    wait_for_screen(driver, "game")
    assert telegram_calls(driver)[-1] == "back:hide"
    assert driver.execute_script("return fakeTelegram.backHandlerCount()") == 0


@pytest.mark.parametrize(
    ("trigger", "telegram_id"),
    [
        ("fakeTelegram.emit('deactivated')", 9_000_010),
        ("window.dispatchEvent(new PageTransitionEvent('pagehide'))", 9_000_011),
        (
            "Object.defineProperty(document, 'visibilityState', {value: 'hidden'});"
            "document.dispatchEvent(new Event('visibilitychange'))",
            9_000_012,
        ),
    ],
)
def test_pending_taps_are_sent_at_once_when_the_app_goes_to_the_background(
    game_server: GameServer, open_browser: Callable[..., WebDriver], trigger: str, telegram_id: int
) -> None:
    driver = open_in_telegram(
        open_browser, game_server, telegram_id, game_name=f"Away {telegram_id}"
    )
    result = driver.execute_async_script(
        """
        const [trigger, done] = [arguments[0], arguments[arguments.length - 1]];
        const status = document.getElementById("sync-status");
        const syncs = () => fakeTelegram.fetches.filter((f) => f.url.endsWith("/api/clicks"));
        const settled = async () => {
          for (let i = 0; i < 100 && status.dataset.state !== "synced"; i++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        };
        (async () => {
          document.getElementById("tap").click();
          await new Promise((resolve) => setTimeout(resolve, 20));
          await settled();
          const first = syncs().length;
          document.getElementById("tap").click();
          const afterTap = syncs().length;
          new Function(trigger)();
          const last = syncs()[syncs().length - 1];
          done({ first, afterTap, afterTrigger: syncs().length, keepalive: last.keepalive });
        })();
        """,
        trigger,
    )
    # The second tap waits for the server's sync interval; going away sends it at once.
    assert result == {"first": 1, "afterTap": 1, "afterTrigger": 2, "keepalive": True}
    wait_until(driver, lambda d: sync_state(d) == ("synced", 0), "the flushed tap to sync")
    init_data = signed_init_data(telegram_id, first_name="Tg")
    assert api(game_server.base_url, "me", init_data)["clicks"] == 2
