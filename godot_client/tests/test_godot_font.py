"""Every character a game name may hold is one the Godot client's font can draw.

The client has no font of its own: labels use the engine's built-in Open Sans SemiBold, and the
web export has no system-font fallback, so a name with a character outside that font shows as
boxes. The name rules (players/rules.py) accept only what the font covers; this checks it over
all of Unicode against the font inside the pinned runtime's wasm.
"""

import os
import sys
import unicodedata

import pytest

from godot_client.tools.engine_font import DEFAULT_FONT_NAME, default_font
from godot_client.tools.godot_runtime import RuntimeUnavailable, fetch_runtime
from players.rules import check_name


@pytest.fixture(scope="module")
def drawn() -> set[int]:
    """Code points the client's font has a glyph for."""
    try:
        runtime = fetch_runtime()
    except RuntimeUnavailable as error:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the Godot web runtime is needed: {error}")
        pytest.skip(f"the Godot web runtime cannot be fetched: {error}")
    font = default_font(runtime / "index.wasm")
    assert font["name"].getDebugName(4) == DEFAULT_FONT_NAME
    return set(font.getBestCmap())


# Names of one script each (the rules refuse mixed scripts) to put a character into.
CONTEXTS = ("abc", "αβγ", "абв", "אבג")


def _names_with(char: str) -> list[str]:
    """The names the rules accept with `char` inside one of CONTEXTS, normalised."""
    accepted = []
    for context in CONTEXTS:
        try:
            accepted.append(check_name(context[:2] + char + context[2:]))
        except ValueError:
            continue
    return accepted


def test_every_character_the_name_rules_accept_is_drawn(drawn: set[int]) -> None:
    # What the rules keep is the normalised name: check those characters.
    kept = {
        shown
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(char := chr(code)) not in ("Cs", "Cn", "Co")
        for name in _names_with(char)
        for shown in name
    }
    assert len(kept) > 600  # Latin, Greek, Cyrillic and Hebrew letters and digits
    assert sorted(f"U+{ord(char):04X}" for char in kept if ord(char) not in drawn) == []


@pytest.mark.parametrize(
    ("script", "sample"),
    [
        ("CJK", "李小龍"),
        ("Hangul", "안녕"),
        ("Arabic", "مرحبا"),
        ("Devanagari", "नमस्ते"),
        ("Thai", "สวัสดี"),
    ],
)
def test_scripts_the_font_cannot_draw_are_not_drawn_and_not_accepted(
    drawn: set[int], script: str, sample: str
) -> None:
    assert not any(ord(char) in drawn for char in sample), script
    with pytest.raises(ValueError):
        check_name("ab " + sample)
