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


def _is_allowed(char: str) -> bool:
    category = unicodedata.category(char)
    if category.startswith("L") or category == "Nd" or char in ALLOWED_PUNCTUATION:
        return True
    # Combining marks are part of letters in many scripts (Devanagari, Thai, ...).
    return category in ("Mn", "Mc")


def check_name(raw: str, blocked_words: Iterable[str] = ()) -> str:
    """Return the normalised game name, or raise NameRuleError with the rule it breaks.

    Codes: `too_short`, `too_long`, `invalid_chars`, `blocked`. Uniqueness (`taken`) needs the
    database and is checked by the service and a constraint.
    """
    name = normalize(raw)
    if not all(_is_allowed(char) for char in name):
        raise NameRuleError(
            "invalid_chars",
            "Use letters, digits, spaces and _ - . only.",
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
