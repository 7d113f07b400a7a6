"""Names that impersonate or show as nothing are refused (issue 14): invisible characters,
stray combining marks, mixed scripts, look-alikes of a taken name or of a blocked word."""

# ruff: noqa: RUF001, RUF003 (look-alike letters are what these tests are about)

import unicodedata

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from players.models import BlockedWord, Player
from players.rules import NameRuleError, check_name, name_skeleton
from players.services import game_name_check, player_rename
from players.tests.factories import BlockedWordFactory, PlayerFactory


def code_of(raw: str, blocked: tuple[str, ...] = ()) -> str:
    with pytest.raises(NameRuleError) as caught:
        check_name(raw, blocked)
    return caught.value.code


# Characters that draw nothing, listed here independently of the rules' own table.
BLANKS = {
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u115f",  # Hangul choseong filler
    "\u1160",  # Hangul jungseong filler
    "\u200b",  # zero width space
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\u2800",  # braille pattern blank
    "\u3164",  # Hangul filler
    "\ufe0f",  # variation selector 16
    "\ufeff",  # zero width no-break space
    "\uffa0",  # halfwidth Hangul filler
    "\U000e0041",  # tag latin capital letter a
    "\U000e0100",  # variation selector 17
}


@pytest.mark.parametrize(
    "raw",
    [
        "Victor\u034f",
        "\u3164\u3164\u3164",
        "ab\u115fc",
        "ab\u1160c",
        "abc\uffa0",
        "Élan\ufe0f",
        "a\u200bbc",
        "abc\u00ad",
        "abc\U000e0041",
        "abc\U000e0100",
        "\u3164Ann",
    ],
)
def test_invisible_characters_and_fillers_are_refused(raw: str) -> None:
    assert code_of(raw) == "invalid_chars"


@pytest.mark.parametrize(
    "raw",
    [
        "\u0301abc",  # a mark on nothing
        "1\u0301ab",  # a mark on a digit
        "ab_\u0301c",  # a mark on a separator
        "abc\u0304\u0304\u0304\u0304",  # four marks on one letter
    ],
)
def test_combining_marks_go_on_a_letter_and_are_capped(raw: str) -> None:
    assert code_of(raw) == "invalid_chars"


def test_a_few_marks_on_a_letter_are_fine() -> None:
    assert check_name("abc\u0304\u0304\u0304") == "abc\u0304\u0304\u0304"
    assert check_name("שָׁלוֹם") == "שָׁלוֹם"


@pytest.mark.parametrize("raw", ["Vict\u043er", "The\u0410dmin", "Αlpha", "Bоb_42"])
def test_mixed_script_names_are_refused(raw: str) -> None:
    assert code_of(raw) == "invalid_chars"


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        ("The\u0410dmin", "admin"),  # Cyrillic А
        ("The_adrnin", "admin"),  # rn for m
        ("b0t_lord", "bot"),  # zero for o
        ("x_B.O.T_x", "bot"),
    ],
)
def test_blocked_words_are_matched_by_skeleton(raw: str, word: str) -> None:
    assert code_of(raw, (word,)) == "blocked"


def test_look_alikes_share_a_skeleton_and_different_names_do_not() -> None:
    same = {"Victor", "VICTOR", "Vict0r", "Vic_tor", "Vic tor", "victor."}
    assert {name_skeleton(name) for name in same} == {name_skeleton("victor")}
    assert name_skeleton("Éva") == name_skeleton("éva") == name_skeleton("ÉVA")
    assert name_skeleton("Victor") != name_skeleton("Viktor")
    assert name_skeleton("Eva") != name_skeleton("Éva")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("existing", "look_alike"),
    [
        ("Victor", "Vict0r"),
        ("Victor", "VICTOR"),
        ("Victor", "Vic_tor"),
        ("Éva", "éva"),  # on SQLite too: LOWER() there folds ASCII only
        ("Ωμέγα", "ΩΜΈΓΑ"),
        ("modern", "rnodern"),
    ],
)
def test_a_look_alike_of_an_existing_name_is_taken(existing: str, look_alike: str) -> None:
    owner = PlayerFactory(game_name=existing)
    other = PlayerFactory(game_name=None)
    with pytest.raises(InvalidInput) as refused:
        game_name_check(game_name=look_alike, player_id=other.pk)
    assert refused.value.code == "taken"
    with pytest.raises(InvalidInput) as refused:
        player_rename(player_id=other.pk, game_name=look_alike)
    assert refused.value.code == "taken"
    assert Player.objects.get(pk=other.pk).game_name is None
    assert Player.objects.get(pk=owner.pk).game_name == existing
    # The owner may still re-case their own name.
    assert game_name_check(game_name=look_alike, player_id=owner.pk) == look_alike


@pytest.mark.django_db
def test_the_database_holds_skeleton_uniqueness() -> None:
    PlayerFactory(game_name="Éva")
    with pytest.raises(IntegrityError), transaction.atomic():
        PlayerFactory(game_name="éva")
    assert list(Player.objects.values_list("game_name_skeleton", flat=True)) == [
        name_skeleton("éva")
    ]


@pytest.mark.django_db
def test_blocked_words_are_unique_by_skeleton_in_the_database() -> None:
    BlockedWord.objects.create(word="Éva")
    with pytest.raises(IntegrityError), transaction.atomic():
        BlockedWord.objects.create(word="éVA")
    BlockedWord.objects.create(word="MEANIE")
    with pytest.raises(IntegrityError), transaction.atomic():
        BlockedWord.objects.create(word="meanie")
    assert list(BlockedWord.objects.values_list("word", flat=True)) == ["MEANIE", "Éva"]


@pytest.mark.django_db
def test_blocked_word_look_alike_is_refused_through_the_service() -> None:
    BlockedWordFactory(word="admin")
    player = PlayerFactory(game_name=None)
    with pytest.raises(InvalidInput) as refused:
        game_name_check(game_name="Real_Adrnin", player_id=player.pk)
    assert refused.value.code == "blocked"


# --- Properties -----------------------------------------------------------------------------

LATIN = "abcdeilmnorstvABCDEILMNORSTV01_.- "
NAME_ALPHABET = st.sampled_from(
    [*LATIN, *"аеорсхАВЕМОР", *"αβγοΑΒΟ", "\u0301", "\u0308", *sorted(BLANKS)]
)
names = st.text(NAME_ALPHABET, min_size=1, max_size=24)


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" and char not in BLANKS


@given(names)
def test_every_accepted_name_has_a_visible_character_and_no_blank(raw: str) -> None:
    try:
        name = check_name(raw)
    except NameRuleError:
        return
    assert any(_visible(char) for char in name)
    assert not any(char in BLANKS for char in name)


CONFUSIONS = {"o": "0", "O": "0", "l": "1", "m": "rn", "a": "а", "e": "е", "c": "с"}


@st.composite
def look_alike_pairs(draw: st.DrawFn) -> tuple[str, str]:
    base = draw(st.text(st.sampled_from([*"abcelmnoOrstv_"]), min_size=3, max_size=10))
    variant = "".join(
        (CONFUSIONS[char] if char in CONFUSIONS and draw(st.booleans()) else char) for char in base
    )
    if draw(st.booleans()):
        variant = variant.upper()
    return base, variant


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(names, min_size=2, max_size=6), look_alike_pairs())
def test_no_two_accepted_names_share_a_skeleton(
    raw_names: list[str], pair: tuple[str, str]
) -> None:
    with transaction.atomic():
        players = [PlayerFactory(game_name=None) for _ in range(len(raw_names) + 2)]
        for player, raw in zip(players, [*raw_names, *pair], strict=True):
            try:
                player_rename(player_id=player.pk, game_name=raw)
            except InvalidInput:
                continue
        stored = dict(Player.objects.exclude(game_name=None).values_list("pk", "game_name"))
        skeletons = [name_skeleton(name) for name in stored.values()]
        assert len(set(skeletons)) == len(skeletons), stored
        # The look-alike pair went in last, base first: the variant never joins the base.
        base_owner, variant_owner = players[-2].pk, players[-1].pk
        if base_owner in stored:
            assert variant_owner not in stored, (stored[base_owner], stored[variant_owner])
        transaction.set_rollback(True)
