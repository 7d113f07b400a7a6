"""Headless Debian Chromium for end-to-end tests, and the page helpers the tests share.

Never downloads a browser: the Debian `chromium` and `chromium-driver` packages are used, and the
tests skip (saying how to install them) when they are missing. The browser resolves no host but
127.0.0.1, so nothing reaches the internet, and Telegram's script fails at once instead of
hanging.
"""

import json
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from e2e.server import ARTIFACTS_DIR, E2E_BOT_TOKEN
from telegram_auth.initdata import build_init_data

INSTALL_HINT = (
    "Chromium is not installed: run `apt-get update && apt-get install -y chromium "
    "chromium-driver` (Debian packages; the tests never download a browser)."
)
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "chromedriver")
WAIT_SECONDS = 15
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=420,860",
    # Only the local server resolves: Telegram's script fails fast, nothing leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
# The Godot engine needs WebGL 2: a software GPU (SwiftShader through ANGLE) instead of none.
WEBGL_FLAGS = (
    "--headless=new",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist",
)


def _which(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def find_chromium() -> tuple[str, str] | None:
    """Paths of the Chromium binary and its driver, or None when either is missing."""
    binary, driver = _which(CHROMIUM_CANDIDATES), _which(CHROMEDRIVER_CANDIDATES)
    return (binary, driver) if binary and driver else None


def launch(
    binary: str,
    driver_path: str,
    *,
    profile_root: Path,
    page_load_strategy: str = "normal",
    webgl: bool = False,
) -> WebDriver:
    """A fresh headless Chromium with its own new profile directory.

    `page_load_strategy="eager"` returns from `get()` at DOMContentLoaded, before async scripts.
    `webgl=True` gives the page WebGL 2 (software-rendered) for the Godot engine.
    """
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    options.page_load_strategy = page_load_strategy
    flags = CHROMIUM_FLAGS
    if webgl:
        flags = tuple(f for f in CHROMIUM_FLAGS if f not in ("--headless", "--disable-gpu"))
        flags += WEBGL_FLAGS
    for flag in flags:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=profile_root)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(WAIT_SECONDS)
    driver.set_script_timeout(WAIT_SECONDS)
    return driver


def signed_init_data(telegram_id: int, *, first_name: str = "Player", **fields: Any) -> str:
    """initData for a Telegram user, signed with the e2e server's bot token."""
    return build_init_data({"id": telegram_id, "first_name": first_name, **fields}, E2E_BOT_TOKEN)


def mini_app_url(base_url: str, init_data: str) -> str:
    """The Mini App URL as Telegram opens it: initData in the `#tgWebAppData=` fragment."""
    return f"{base_url}/#tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0"


def api(base_url: str, path: str, init_data: str, body: dict[str, Any] | None = None) -> Any:
    """Call the server's JSON API as a player (outside the browser); returns the JSON body."""
    request = urllib.request.Request(  # noqa: S310 (the local e2e server)
        f"{base_url}/api/{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"tma {init_data}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:  # noqa: S310
        return json.loads(response.read())


def wait_until(
    driver: WebDriver,
    condition: Callable[[WebDriver], Any],
    what: str,
    *,
    seconds: float = WAIT_SECONDS,
) -> Any:
    """Wait (bounded) until `condition` is truthy; the timeout message says what was awaited."""
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(
        condition, message=f"timed out waiting for {what}"
    )


def screen(driver: WebDriver) -> str:
    """The light client's current screen (loading, error, onboarding, game, board)."""
    return driver.find_element(By.ID, "app").get_attribute("data-screen") or ""


def wait_for_screen(driver: WebDriver, name: str) -> None:
    wait_until(driver, lambda d: screen(d) == name, f"the {name} screen")


def element(driver: WebDriver, element_id: str) -> WebElement:
    return driver.find_element(By.ID, element_id)


def shown_clicks(driver: WebDriver) -> int:
    """The player's click counter as the page shows it."""
    return int(element(driver, "my-clicks").get_attribute("data-value") or "-1")


def sync_state(driver: WebDriver) -> tuple[str, int]:
    """The sync status: (state, taps not yet on the server)."""
    status = element(driver, "sync-status")
    return status.get_attribute("data-state") or "", int(
        status.get_attribute("data-unsynced") or "0"
    )


def tap(driver: WebDriver, times: int) -> None:
    button = element(driver, "tap")
    for _ in range(times):
        button.click()


def screenshot(driver: WebDriver, name: str) -> Path:
    """Save what the page shows now as test-artifacts/e2e/<name>.png."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def console_errors(driver: WebDriver) -> list[str]:
    """Script errors in the browser console (failed requests are expected and left out)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and entry.get("source") != "network"
    ]
