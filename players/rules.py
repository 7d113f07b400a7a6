"""Game name rules, the one place they live. Pure functions: no Django, no database."""

import re
import unicodedata
from collections.abc import Iterable

MIN_LENGTH = 3
MAX_LENGTH = 20
ALLOWED_PUNCTUATION = frozenset(" _-.")
# Characters that separate words; ignored when looking for blocked words ("b a d" is "bad").
_SEPARATORS = re.compile(r"[ _\-.]+")
_WHITESPACE = re.compile(r"\s+")


class NameRuleError(ValueError):
    """A game name that breaks a rule; `code` is the API error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def normalize(raw: str) -> str:
    """NFKC-normalise, trim and collapse runs of whitespace to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", raw)).strip()


# Letters, digits and marks beyond ASCII that the Godot client can draw: the ranges its font
# (Open Sans SemiBold, built into Godot; the web has no system-font fallback) covers, so a name
# never shows as boxes. Latin, Greek, Cyrillic and Hebrew; no CJK, Arabic, Devanagari or Thai.
# Changed by the "godot" helper (issue 12), owner of the client: godot_client/tests/
# test_godot_font.py checks every character these rules accept against that font.
CLIENT_FONT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AA, 0x00AA), (0x00B5, 0x00B5), (0x00BA, 0x00BA), (0x00C0, 0x00D6), (0x00D8, 0x00F6),
    (0x00F8, 0x017F), (0x0192, 0x0192), (0x01A0, 0x01A1), (0x01AF, 0x01B0), (0x01EA, 0x01ED),
    (0x01F0, 0x01F0), (0x01FA, 0x01FF), (0x0218, 0x021B), (0x0237, 0x0237), (0x0259, 0x0259),
    (0x02BC, 0x02BC), (0x02C6, 0x02C7), (0x02C9, 0x02C9), (0x0300, 0x0304), (0x0306, 0x030C),
    (0x030F, 0x030F), (0x0312, 0x0312), (0x0323, 0x0323), (0x0326, 0x0328), (0x0386, 0x0386),
    (0x0388, 0x038A), (0x038C, 0x038C), (0x038E, 0x03A1), (0x03A3, 0x03CE), (0x03D1, 0x03D2),
    (0x03D6, 0x03D6), (0x0400, 0x0481), (0x0483, 0x0486), (0x048A, 0x0513), (0x05B0, 0x05BD),
    (0x05C1, 0x05C2), (0x05C7, 0x05C7), (0x05D0, 0x05EA), (0x1E00, 0x1E01), (0x1E3E, 0x1E3F),
    (0x1E80, 0x1E85), (0x1E9E, 0x1E9E), (0x1EA0, 0x1EF9), (0x1F4D, 0x1F4D), (0x207F, 0x207F),
    (0x2095, 0x209C), (0x2113, 0x2113), (0x2126, 0x2126), (0xA7B3, 0xA7B5), (0xAB53, 0xAB53),
    (0xFB00, 0xFB04), (0xFB2A, 0xFB36), (0xFB38, 0xFB3C), (0xFB3E, 0xFB3E), (0xFB40, 0xFB41),
    (0xFB43, 0xFB44), (0xFB46, 0xFB4B),
)  # fmt: skip


def _client_draws(char: str) -> bool:
    code = ord(char)
    return code < 0x80 or any(low <= code <= high for low, high in CLIENT_FONT_RANGES)


def _is_allowed(char: str) -> bool:
    if char in ALLOWED_PUNCTUATION:
        return True
    category = unicodedata.category(char)
    # Combining marks belong to letters (Hebrew points, Latin accents left uncomposed).
    wanted = category.startswith("L") or category in ("Nd", "Mn", "Mc")
    return wanted and _client_draws(char)


def check_name(raw: str, blocked_words: Iterable[str] = ()) -> str:
    """Return the normalised game name, or raise NameRuleError with the rule it breaks.

    Codes: `too_short`, `too_long`, `invalid_chars`, `blocked`. Uniqueness (`taken`) needs the
    database and is checked by the service and a constraint.
    """
    name = normalize(raw)
    if not all(_is_allowed(char) for char in name):
        raise NameRuleError(
            "invalid_chars",
            "Use Latin, Greek, Cyrillic or Hebrew letters, digits, spaces and _ - . only.",
        )
    if len(name) < MIN_LENGTH:
        raise NameRuleError("too_short", f"A game name needs at least {MIN_LENGTH} characters.")
    if len(name) > MAX_LENGTH:
        raise NameRuleError("too_long", f"A game name has at most {MAX_LENGTH} characters.")
    if not any(unicodedata.category(char).startswith("L") for char in name):
        raise NameRuleError("invalid_chars", "A game name needs at least one letter.")
    if unicodedata.category(name[0]) in ("Mn", "Mc"):
        raise NameRuleError("invalid_chars", "A game name cannot start with a combining mark.")
    squashed = _SEPARATORS.sub("", name).casefold()
    for word in blocked_words:
        needle = _SEPARATORS.sub("", normalize(word)).casefold()
        if needle and needle in squashed:
            raise NameRuleError("blocked", "This name is not allowed, please pick another.")
    return name
