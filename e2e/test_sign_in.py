"""Signing in to the light client: bad initData gets a clear error screen, never a blank page;
without Telegram, DEBUG offers the dev sign-in; Telegram's script never holds the game up."""

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import (
    console_errors,
    element,
    mini_app_url,
    screen,
    screenshot,
    signed_init_data,
    wait_for_screen,
    wait_until,
)
from e2e.server import E2E_BOT_TOKEN, GameServer
from telegram_auth.initdata import build_init_data

pytestmark = pytest.mark.e2e

# Without initData in the fragment the page waits this long for Telegram's script, at most.
SDK_WAIT_SECONDS = 1.5


def _assert_clear_error(driver: WebDriver, code: str, title: str) -> None:
    wait_for_screen(driver, "error")
    assert element(driver, "screen-error").get_attribute("data-code") == code
    assert element(driver, "error-title").is_displayed()
    assert element(driver, "error-title").text == title
    assert len(element(driver, "error-message").text) > 40
    assert "Telegram" in element(driver, "error-message").text
    # Nothing to retry: the way out is reopening the game (or, in DEBUG, the dev sign-in).
    assert not element(driver, "error-retry").is_displayed()


def test_tampered_init_data_shows_a_sign_in_error(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    fields = dict(parse_qsl(signed_init_data(8_000_001, first_name="Mallory")))
    fields["user"] = fields["user"].replace("8000001", "8000002")  # someone else's id
    driver = open_browser()
    driver.get(mini_app_url(game_server.base_url, urlencode(fields)))
    _assert_clear_error(driver, "bad_signature", "Sign-in failed")
    assert not element(driver, "tap").is_displayed()
    screenshot(driver, "signin-01-tampered-init-data")
    assert console_errors(driver) == []


def test_expired_init_data_asks_to_reopen_the_game(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    three_days_ago = int(time.time()) - 3 * 24 * 60 * 60
    init_data = build_init_data(
        {"id": 8_000_003, "first_name": "Late"}, E2E_BOT_TOKEN, auth_date=three_days_ago
    )
    driver = open_browser()
    driver.get(mini_app_url(game_server.base_url, init_data))
    _assert_clear_error(driver, "expired", "Session expired")
    screenshot(driver, "signin-02-expired-init-data")


def test_without_init_data_the_dev_sign_in_gets_a_player_into_the_game(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_browser()
    driver.get(f"{game_server.base_url}/")
    _assert_clear_error(driver, "missing", "Open the game from Telegram")
    link = element(driver, "error-link")
    assert link.is_displayed()
    assert link.text == "Dev sign-in"
    screenshot(driver, "signin-03-no-init-data")

    link.click()
    wait_until(driver, lambda d: d.find_elements(By.ID, "name"), "the dev sign-in form")
    element(driver, "name").send_keys("Dev Player")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_until(driver, lambda d: d.find_elements(By.ID, "play"), "the play link")
    screenshot(driver, "signin-04-dev-sign-in")
    element(driver, "play").click()
    wait_for_screen(driver, "onboarding")
    screenshot(driver, "signin-05-dev-player-onboarding")


def test_a_telegram_script_that_never_arrives_does_not_hold_the_game_up(
    game_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_browser(page_load_strategy="eager")
    # Requests to telegram.org are paused and never answered: the script hangs forever.
    driver.execute_cdp_cmd("Fetch.enable", {"patterns": [{"urlPattern": "*telegram.org*"}]})

    started = time.monotonic()
    driver.get(mini_app_url(game_server.base_url, signed_init_data(8_000_004)))
    wait_for_screen(driver, "onboarding")
    assert time.monotonic() - started < SDK_WAIT_SECONDS
    assert driver.execute_script("return window.clickgameSdk") == "loading"

    driver.get("about:blank")
    started = time.monotonic()
    driver.get(f"{game_server.base_url}/play/web/")
    _assert_clear_error(driver, "missing", "Open the game from Telegram")
    assert time.monotonic() - started < SDK_WAIT_SECONDS + 2
    assert driver.execute_script("return window.clickgameSdk") == "loading"
    assert screen(driver) == "error"
