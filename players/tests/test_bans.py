"""Bans and unbans: the player row, and what the other listings of players are told."""

from dataclasses import dataclass, field

import pytest
from django.db import connection

from core.errors import NotFound
from players.models import Player
from players.services import player_ban, player_unban
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@dataclass
class RecordedListings:
    """A PlayerListings that notes each call and whether it came inside the ban's transaction."""

    calls: list[tuple[str, int, int | None, bool]] = field(default_factory=list)

    def _note(self, what: str, player_id: int, clicks: int | None = None) -> None:
        self.calls.append((what, player_id, clicks, connection.in_atomic_block))

    def player_hidden(self, *, player_id: int) -> None:
        self._note("hidden", player_id)

    def player_shown(self, *, player_id: int, clicks: int) -> None:
        self._note("shown", player_id, clicks)

    def player_committed(self, *, player_id: int) -> None:
        self._note("committed", player_id)


@pytest.mark.django_db(transaction=True)
def test_a_ban_hides_the_player_inside_its_transaction_then_reports_the_commit() -> None:
    player = PlayerFactory(clicks=12)
    listings = RecordedListings()

    banned = player_ban(player_id=player.pk, listings=listings)

    assert banned.is_banned
    assert Player.objects.get(pk=player.pk).is_banned
    assert listings.calls == [
        ("hidden", player.pk, None, True),
        ("committed", player.pk, None, False),
    ]


@pytest.mark.django_db(transaction=True)
def test_an_unban_shows_the_player_with_the_clicks_read_under_its_lock() -> None:
    player = PlayerFactory(clicks=12, is_banned=True)
    Player.objects.filter(pk=player.pk).update(clicks=15)
    listings = RecordedListings()

    unbanned = player_unban(player_id=player.pk, listings=listings)

    assert not unbanned.is_banned
    assert not Player.objects.get(pk=player.pk).is_banned
    assert listings.calls == [
        ("shown", player.pk, 15, True),
        ("committed", player.pk, None, False),
    ]


def test_unbanning_a_player_who_is_not_banned_shows_nothing_new() -> None:
    player = PlayerFactory(clicks=3)
    listings = RecordedListings()

    player_unban(player_id=player.pk, listings=listings)

    assert [call[0] for call in listings.calls] == ["committed"]
    assert not Player.objects.get(pk=player.pk).is_banned


def test_a_ban_of_an_unknown_player_tells_nobody_and_changes_nothing() -> None:
    player = PlayerFactory(clicks=4)
    listings = RecordedListings()

    with pytest.raises(NotFound):
        player_ban(player_id=player.pk + 1000, listings=listings)
    with pytest.raises(NotFound):
        player_unban(player_id=player.pk + 1000, listings=listings)

    assert listings.calls == []
    assert list(Player.objects.values_list("pk", "is_banned", "clicks")) == [(player.pk, False, 4)]
