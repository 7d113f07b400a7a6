"""The custom HTML shell: Telegram's script first, then the engine, with a themed loading bar."""

import re
from html.parser import HTMLParser

from godot_project import GODOT_ROOT

SHELL = (GODOT_ROOT / "web" / "shell.html").read_text(encoding="utf-8")
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"


class _ShellOutline(HTMLParser):
    """Records, in document order, the scripts and styles and whether each sits in <head>."""

    def __init__(self) -> None:
        super().__init__()
        self.in_head = False
        self.elements: list[tuple[str, str, bool]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "head":
            self.in_head = True
        if tag in ("script", "style", "link"):
            self.elements.append((tag, attributes.get("src") or "", self.in_head))
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False


def _outline() -> _ShellOutline:
    outline = _ShellOutline()
    outline.feed(SHELL)
    return outline


def test_telegram_script_is_the_first_thing_loaded_in_head() -> None:
    first_tag, first_src, in_head = _outline().elements[0]
    assert (first_tag, first_src, in_head) == ("script", TELEGRAM_SCRIPT, True)


def test_engine_script_comes_after_telegram_script() -> None:
    sources = [src for tag, src, _ in _outline().elements if tag == "script" and src]
    assert sources == [TELEGRAM_SCRIPT, "$GODOT_URL"]


def test_shell_has_the_placeholders_the_exporter_fills() -> None:
    for placeholder in ("$GODOT_URL", "$GODOT_CONFIG", "$GODOT_THREADS_ENABLED"):
        assert placeholder in SHELL
    # The head include goes inside <head> (export icons, the preset's html/head_include).
    head = SHELL[: SHELL.index("</head>")]
    assert "$GODOT_HEAD_INCLUDE" in head


def test_shell_starts_the_engine_with_progress_and_a_failure_notice() -> None:
    assert "new Engine(GODOT_CONFIG)" in SHELL
    assert re.search(r"engine\.startGame\(\{\s*onProgress:", SHELL)
    assert "Engine.getMissingFeatures({ threads: GODOT_THREADS_ENABLED })" in SHELL
    assert {"canvas", "status", "status-bar", "status-notice"} <= _outline().ids


def test_loading_bar_uses_telegram_theme_colours() -> None:
    for variable in ("--tg-theme-bg-color", "--tg-theme-button-color", "--tg-theme-text-color"):
        assert f"var({variable}," in SHELL


def test_shell_hides_telegrams_placeholder_so_the_loading_bar_shows() -> None:
    assert "webApp.ready();" in SHELL
    assert SHELL.index("webApp.ready();") < SHELL.index("engine.startGame(")
