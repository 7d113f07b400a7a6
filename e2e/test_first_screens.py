"""What a newcomer sees first, on a 360 px phone in light and dark mode: the dev sign-in page
and the light client's game and leaderboard screens. Screenshots go to test-artifacts/e2e/."""

from collections.abc import Callable

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import (
    element,
    mini_app_url,
    screenshot,
    signed_init_data,
    tap,
    wait_for_screen,
    wait_until,
)
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

PHONE_WIDTH, PHONE_HEIGHT = 360, 740


def phone(driver: WebDriver, scheme: str) -> WebDriver:
    """Make the page a 360 px wide phone preferring `scheme` (light or dark)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE_WIDTH, "height": PHONE_HEIGHT, "deviceScaleFactor": 1, "mobile": True},
    )
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    return driver


def rect(driver: WebDriver, css: str) -> dict[str, float]:
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,"
        " width: r.width, height: r.height};",
        css,
    )


def luminance(driver: WebDriver, css: str, prop: str) -> float:
    """Relative brightness 0..1 of a computed colour (background-color or color)."""
    rgb = driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]]"
        ".match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);",
        css,
        prop,
    )
    red, green, blue = (channel / 255 for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def page_width(driver: WebDriver) -> int:
    return driver.execute_script("return document.documentElement.scrollWidth")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dev_sign_in_fits_a_phone_one_control_a_line(
    game_server: GameServer, open_browser: Callable[..., WebDriver], scheme: str
) -> None:
    driver = phone(open_browser(), scheme)
    driver.get(f"{game_server.base_url}/dev/signin")
    element(driver, "name").send_keys("Dev Player With A Rather Long Name")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_until(driver, lambda d: d.find_elements(By.ID, "play"), "the play link")
    screenshot(driver, f"first-dev-sign-in-{scheme}")

    label, field = rect(driver, "label[for=name]"), rect(driver, "#name")
    button, form = rect(driver, "form button"), rect(driver, "form")
    assert label["bottom"] <= field["top"] and field["bottom"] <= button["top"]
    assert field["width"] >= 0.95 * form["width"] and button["width"] >= 0.95 * form["width"]
    assert rect(driver, "#init-data")["right"] <= PHONE_WIDTH
    assert page_width(driver) == PHONE_WIDTH
    background, text = (
        luminance(driver, "body", "backgroundColor"),
        luminance(driver, "h1", "color"),
    )
    if scheme == "dark":
        assert background < 0.2 and text > 0.8
    else:
        assert background > 0.8 and text < 0.2
    # Styled like the game: the same stylesheet and its button.
    assert "button" in (element(driver, "play").get_attribute("class") or "")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_game_screens_on_a_phone(
    game_server: GameServer, open_browser: Callable[..., WebDriver], scheme: str
) -> None:
    telegram_id = 7_100_001 if scheme == "light" else 7_100_002
    driver = phone(open_browser(), scheme)
    driver.get(mini_app_url(game_server.base_url, signed_init_data(telegram_id)))
    wait_for_screen(driver, "onboarding")
    element(driver, "name-input").send_keys(f"First {scheme}")
    element(driver, "name-submit").click()
    wait_for_screen(driver, "game")
    screenshot(driver, f"first-game-{scheme}")

    # Nothing to report before the first tap.
    assert element(driver, "sync-status").text == ""
    pad = rect(driver, "#tap")
    assert pad["height"] >= 0.5 * PHONE_HEIGHT and pad["width"] >= 0.85 * PHONE_WIDTH
    assert PHONE_HEIGHT - pad["bottom"] <= 80  # no empty band below the tap pad
    tap(driver, 3)
    wait_until(driver, lambda d: element(d, "sync-status").text == "All taps saved", "taps saved")

    element(driver, "open-board").click()
    wait_for_screen(driver, "board")
    screenshot(driver, f"first-board-{scheme}")
    back, title = rect(driver, "#close-board"), rect(driver, "#screen-board h1")
    middle = lambda box: (box["top"] + box["bottom"]) / 2  # noqa: E731
    assert abs(middle(back) - middle(title)) <= 2
    assert page_width(driver) == PHONE_WIDTH
