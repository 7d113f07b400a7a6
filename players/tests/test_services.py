"""Player services: sign-in and game names."""

import threading

import pytest
from django.db import connection, connections

from core.errors import Forbidden, InvalidInput, RateLimited
from players.models import NameStatus, Player
from players.services import player_set_game_name, player_sign_in
from players.tests.factories import BlockedWordFactory, PlayerFactory

pytestmark = pytest.mark.django_db


def test_first_sign_in_creates_the_player() -> None:
    player = player_sign_in(telegram_id=77, first_name="Zoe", username="zoe")
    assert Player.objects.get().pk == player.pk
    assert player.game_name is None
    assert player.clicks == 0


def test_later_sign_in_updates_private_fields_only_when_changed() -> None:
    first = player_sign_in(telegram_id=77, first_name="Zoe")
    again = player_sign_in(telegram_id=77, first_name="Zoey", language_code="fr")
    assert again.pk == first.pk
    assert Player.objects.values_list("first_name", "language_code").get() == ("Zoey", "fr")


def test_sign_in_refuses_a_banned_player_and_creates_no_other() -> None:
    banned = PlayerFactory(telegram_id=78, clicks=5, is_banned=True)
    with pytest.raises(Forbidden) as refused:
        player_sign_in(telegram_id=78, first_name="New")
    assert refused.value.code == "banned"
    assert list(Player.objects.values_list("pk", "is_banned", "clicks")) == [(banned.pk, True, 5)]


@pytest.mark.parametrize(
    ("game_name", "name_status", "needs_name"),
    [
        (None, NameStatus.PENDING, True),
        ("Tapper", NameStatus.PENDING, False),
        ("Tapper", NameStatus.APPROVED, False),
        ("Tapper", NameStatus.REJECTED, True),
    ],
)
def test_a_player_needs_a_name_when_none_or_refused(game_name, name_status, needs_name) -> None:
    player = PlayerFactory.build(game_name=game_name, name_status=name_status)
    assert player.needs_name is needs_name


def test_setting_a_first_name_reports_first_and_goes_pending() -> None:
    player = player_sign_in(telegram_id=1)
    assert player_set_game_name(player=player, game_name="  Tap   Star ") is True
    player.refresh_from_db()
    assert (player.game_name, player.name_status) == ("Tap Star", NameStatus.PENDING)
    assert player.name_changed_at is not None


def test_changing_a_name_is_not_first() -> None:
    player = PlayerFactory(game_name="OldName")
    assert player_set_game_name(player=player, game_name="NewName") is False
    player.refresh_from_db()
    assert player.game_name == "NewName"


def test_taken_name_is_refused_case_insensitively_and_changes_nothing() -> None:
    PlayerFactory(game_name="Champion")
    player = PlayerFactory(game_name="Mine")
    with pytest.raises(InvalidInput) as caught:
        player_set_game_name(player=player, game_name="cHaMpIoN")
    assert caught.value.code == "taken"
    player.refresh_from_db()
    assert player.game_name == "Mine"


def test_blocked_word_is_refused() -> None:
    BlockedWordFactory(word="darn")
    player = PlayerFactory(game_name="Mine")
    with pytest.raises(InvalidInput) as caught:
        player_set_game_name(player=player, game_name="DarnIt")
    assert caught.value.code == "blocked"


def test_database_constraint_keeps_names_unique_case_insensitively() -> None:
    from django.db import IntegrityError, transaction

    PlayerFactory(game_name="Unique")
    with pytest.raises(IntegrityError), transaction.atomic():
        PlayerFactory(game_name="UNIQUE")


def test_database_constraint_keeps_clicks_non_negative() -> None:
    from django.db import IntegrityError, transaction

    player = PlayerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Player.objects.filter(pk=player.pk).update(clicks=-1)


def test_name_changes_are_rate_limited_but_failed_attempts_do_not_count(settings) -> None:
    settings.NAME_CHANGE_RATE = "2/h"
    player = PlayerFactory(game_name="Start")
    for _ in range(3):
        with pytest.raises(InvalidInput):
            player_set_game_name(player=player, game_name="x")
    player_set_game_name(player=player, game_name="Second")
    player_set_game_name(player=player, game_name="Third")
    with pytest.raises(RateLimited) as caught:
        player_set_game_name(player=player, game_name="Fourth")
    assert caught.value.retry_after >= 1
    player.refresh_from_db()
    assert player.game_name == "Third"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_concurrent_first_requests_create_one_player() -> None:
    barrier = threading.Barrier(8)
    ids: list[int] = []
    errors: list[BaseException] = []

    def sign_in() -> None:
        try:
            barrier.wait(timeout=10)
            ids.append(player_sign_in(telegram_id=999_001).pk)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_in) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(ids)) == 1
    assert Player.objects.filter(telegram_id=999_001).count() == 1
