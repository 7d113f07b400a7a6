"""Game name rules (pure)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from players.rules import NameRuleError, check_name, normalize


def code_of(raw: str, blocked: tuple[str, ...] = ()) -> str:
    with pytest.raises(NameRuleError) as caught:
        check_name(raw, blocked)
    return caught.value.code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ace  ", "Ace"),
        ("Big   Tap\tKing", "Big Tap King"),
        ("\uff26\uff55\uff4c\uff4c", "Full"),  # fullwidth letters fold to ASCII
        ("Влад_99", "Влад_99"),
        ("Ζωή Ωμέγα", "Ζωή Ωμέγα"),
        ("Ñandú", "Ñandú"),
        ("a.b-c_d", "a.b-c_d"),
        ("שָׁלוֹם", "שָׁלוֹם"),
    ],
)
def test_good_names_are_normalised(raw: str, expected: str) -> None:
    assert check_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "  ", "ab", " a b"[:2]])
def test_short_names_are_too_short(raw: str) -> None:
    assert code_of(raw) == "too_short"


def test_names_over_twenty_characters_are_too_long() -> None:
    assert check_name("a" * 20) == "a" * 20
    assert code_of("a" * 21) == "too_long"


@pytest.mark.parametrize(
    "raw",
    [
        "bad<script>",
        'quote"s',
        "tab\x07bell",
        "zero\u200bwidth",
        "bidi\u202eevil",
        "joiner\u200dx",
        "emoji🎮",
        "1234",
        "___",
        "\u0301abc",
    ],
)
def test_forbidden_characters_or_no_letter_are_invalid(raw: str) -> None:
    assert code_of(raw) == "invalid_chars"


# Scripts the Godot client's font cannot draw (it would show boxes): refused (issue 12).
@pytest.mark.parametrize(
    "raw", ["李小龍", "नमस्ते", "สวัสดี", "مرحبا", "안녕하세요", "\u0661\u0662abc"]
)
def test_letters_the_client_font_cannot_draw_are_invalid(raw: str) -> None:
    assert code_of(raw) == "invalid_chars"


def test_blocked_words_match_case_and_separators_insensitively() -> None:
    assert code_of("xXBadWordXx", ("badword",)) == "blocked"
    assert code_of("b.a.d w_o-r d", ("badword",)) == "blocked"
    assert check_name("goodword", ("badword",)) == "goodword"


def test_normalize_collapses_whitespace() -> None:
    assert normalize(" a \n\t b ") == "a b"


@given(st.text(max_size=40))
def test_any_text_is_either_a_valid_name_or_a_coded_error(raw: str) -> None:
    try:
        name = check_name(raw)
    except NameRuleError as exc:
        assert exc.code in {"too_short", "too_long", "invalid_chars"}
    else:
        assert 3 <= len(name) <= 20
        assert name == normalize(name)
        assert check_name(name) == name
