"""Fixtures shared by the real-engine test modules (imported by each of them)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import api, signed_init_data
from e2e.godot_engine import GodotPage, build_web_export, open_game, runtime_or_skip
from e2e.server import GameServer, running_server


@pytest.fixture(scope="session")
def godot_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The game as the Web preset would export it, on the pinned Godot 4.6 web runtime."""
    runtime = runtime_or_skip()
    return build_web_export(runtime, tmp_path_factory.mktemp("godot-export") / "build")


@pytest.fixture(scope="module")
def godot_server(
    chromium: tuple[str, str],
    godot_export: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[GameServer]:
    """A live server with its own database serving the Godot export as the Mini App; a module's
    `GODOT_SERVER_ENV` dict overrides server settings."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    workdir = tmp_path_factory.mktemp(f"server-{name}")
    env = getattr(request.module, "GODOT_SERVER_ENV", {})
    with running_server(workdir, name=name, godot_build_dir=godot_export, **env) as server:
        yield server


@pytest.fixture
def play(
    godot_server: GameServer, open_browser: Callable[..., WebDriver]
) -> Iterator[Callable[..., GodotPage]]:
    """Opens the game for a Telegram user in a fresh WebGL browser; after the test, fails on
    any script or engine error the pages printed."""
    pages: list[GodotPage] = []

    def start(telegram_id: int, *, base_url: str | None = None) -> GodotPage:
        page = open_game(open_browser(webgl=True), base_url or godot_server.base_url, telegram_id)
        pages.append(page)
        return page

    yield start
    errors = [line for page in pages for line in page.engine_errors()]
    assert errors == [], "the engine reported errors:\n" + "\n".join(errors)


def choose_name(page: GodotPage, game_name: str) -> None:
    """Type a name into the onboarding field with key events and press the save button."""
    page.click("Onboarding/NameField")
    # Empty the field with key events, as a player would.
    for _ in range(len(page.text("Onboarding/NameField"))):
        page.press_key("Backspace", "Backspace", 8)
    page.type_text(game_name)
    page.wait(lambda s: s["controls"]["Onboarding/NameField"]["text"] == game_name, "the name")
    page.click("Onboarding/SaveButton")


def seed_player(base_url: str, telegram_id: int, game_name: str, clicks: int) -> int:
    """A named player with `clicks` synced, created through the API; returns the player id."""
    init_data = signed_init_data(telegram_id, first_name="Seed")
    api(base_url, "users", init_data, {"game_name": game_name})
    if clicks:
        result = api(base_url, "clicks", init_data, {"seq": 1, "count": clicks})
        assert result["accepted"] == clicks, result
    return int(api(base_url, "me", init_data)["id"])


def server_clicks(base_url: str, telegram_id: int) -> int:
    """The player's clicks as the server counts them."""
    return int(api(base_url, "me", signed_init_data(telegram_id, first_name="Tg"))["clicks"])
