"""The request -> player step every JSON door shares."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from core.errors import Forbidden
from players.models import Player
from players.tests.factories import PlayerFactory
from telegram_auth.initdata import TelegramUser
from telegram_auth.signin import request_player, request_player_for_read

pytestmark = pytest.mark.django_db


def signed(user: object) -> SimpleNamespace:
    return SimpleNamespace(user=user)


def test_a_telegram_user_is_signed_in_as_their_player() -> None:
    user = TelegramUser(telegram_id=501, first_name="Ann", username="ann", language_code="de")

    player = request_player(signed(user))

    assert Player.objects.values_list("pk", "telegram_id", "first_name", "language_code").get() == (
        player.pk,
        501,
        "Ann",
        "de",
    )


def test_a_request_without_a_telegram_identity_is_not_a_player() -> None:
    with pytest.raises(Forbidden) as refused:
        request_player(signed(AnonymousUser()))

    assert refused.value.code == "not_a_player"
    assert not Player.objects.exists()


def test_a_banned_player_is_refused() -> None:
    PlayerFactory(telegram_id=502, is_banned=True)

    with pytest.raises(Forbidden) as refused:
        request_player(signed(TelegramUser(telegram_id=502)))

    assert refused.value.code == "banned"
    assert Player.objects.count() == 1


def test_a_read_finds_the_signed_in_player_without_writing() -> None:
    player = PlayerFactory(telegram_id=503, first_name="Old", last_seen_at=None)

    found = request_player_for_read(signed(TelegramUser(telegram_id=503, first_name="New")))

    assert found.pk == player.pk
    player.refresh_from_db()
    assert (player.first_name, player.last_seen_at) == ("Old", None)


def test_a_read_by_an_identity_that_never_signed_in_creates_nobody() -> None:
    with pytest.raises(Forbidden) as refused:
        request_player_for_read(signed(TelegramUser(telegram_id=504)))

    assert refused.value.code == "not_a_player"
    assert not Player.objects.exists()


def test_a_read_by_a_banned_player_is_refused() -> None:
    PlayerFactory(telegram_id=505, is_banned=True)

    with pytest.raises(Forbidden) as refused:
        request_player_for_read(signed(TelegramUser(telegram_id=505)))

    assert refused.value.code == "banned"
