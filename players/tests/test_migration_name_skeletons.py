"""Migration 0003 backfills name skeletons: look-alikes already in the table are resolved."""

import importlib

import pytest
from django.apps import apps

from players.models import BlockedWord, Player
from players.rules import name_skeleton

backfill_skeletons = importlib.import_module(
    "players.migrations.0003_name_skeletons"
).backfill_skeletons


@pytest.mark.django_db
def test_backfill_keeps_the_oldest_of_look_alikes_and_dedupes_blocked_words() -> None:
    # Rows as they were before the migration: bulk_create skips save(), so no skeletons yet.
    first, look_alike, other, unnamed = Player.objects.bulk_create(
        [
            Player(telegram_id=1, game_name="Victor"),
            Player(telegram_id=2, game_name="Vict0r"),
            Player(telegram_id=3, game_name="Éva"),
            Player(telegram_id=4, game_name=None),
        ]
    )
    BlockedWord.objects.bulk_create(
        [
            BlockedWord(word="Meanie", word_skeleton="?1"),
            BlockedWord(word="MEANIE", word_skeleton="?2"),
        ]
    )
    assert not Player.objects.exclude(game_name_skeleton=None).exists()

    backfill_skeletons(apps, None)

    assert dict(Player.objects.values_list("pk", "game_name_skeleton")) == {
        first.pk: name_skeleton("Victor"),
        look_alike.pk: None,
        other.pk: name_skeleton("Éva"),
        unnamed.pk: None,
    }
    names = dict(Player.objects.values_list("pk", "game_name"))
    assert (names[first.pk], names[look_alike.pk], names[other.pk]) == ("Victor", None, "Éva")
    assert list(BlockedWord.objects.values_list("word", "word_skeleton")) == [
        ("Meanie", name_skeleton("meanie"))
    ]
