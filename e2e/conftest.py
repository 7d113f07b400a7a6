"""Fixtures for the end-to-end tests: Chromium (or a skip saying how to install it) and a live
game server per test module."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import INSTALL_HINT, find_chromium, launch
from e2e.godot_fixtures import godot_export, godot_server, play  # noqa: F401 (real-engine tests)
from e2e.server import GameServer, running_server


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Overrides the project-wide cache clearing: the live server owns Redis during e2e tests."""
    yield


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """(chromium binary, chromedriver); skips the test when Chromium is not installed."""
    found = find_chromium()
    if found is None:
        pytest.skip(INSTALL_HINT)
    return found


@pytest.fixture
def open_browser(chromium: tuple[str, str], tmp_path: Path) -> Iterator[Callable[..., WebDriver]]:
    """Start a fresh headless Chromium (one per player); all are closed after the test."""
    drivers: list[WebDriver] = []

    def make(*, page_load_strategy: str = "normal", webgl: bool = False) -> WebDriver:
        driver = launch(
            *chromium, profile_root=tmp_path, page_load_strategy=page_load_strategy, webgl=webgl
        )
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()


@pytest.fixture(scope="module")
def game_server(
    chromium: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[GameServer]:
    """A live clickgame server with a fresh database, shared by the tests of one module; a
    module's `SERVER_ENV` dict overrides server settings."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    env = getattr(request.module, "SERVER_ENV", {})
    with running_server(tmp_path_factory.mktemp(f"server-{name}"), name=name, **env) as server:
        yield server
