"""Name moderation services: approve, reject and the staff rename."""

import pytest

from core.errors import InvalidInput, NotFound
from players.models import NameStatus, Player
from players.services import (
    player_name_approve,
    player_name_reject,
    player_rename,
    player_set_game_name,
)
from players.tests.factories import BlockedWordFactory, PlayerFactory

pytestmark = pytest.mark.django_db


def _name_state(player_id: int) -> tuple[str | None, str]:
    return Player.objects.values_list("game_name", "name_status").get(pk=player_id)


def test_approving_a_pending_name_makes_it_public_under_pre_moderation(settings) -> None:
    settings.NAME_MODERATION = "pre"
    player = PlayerFactory(game_name="Waiting", name_status=NameStatus.PENDING)
    assert Player.objects.get(pk=player.pk).public_name == f"Player #{player.pk}"

    approved = player_name_approve(player_id=player.pk)

    assert approved.name_status == NameStatus.APPROVED
    assert Player.objects.get(pk=player.pk).public_name == "Waiting"


def test_approving_a_rejected_name_undoes_the_rejection() -> None:
    player = PlayerFactory(game_name="Oops", name_status=NameStatus.REJECTED)
    player_name_approve(player_id=player.pk)
    assert _name_state(player.pk) == ("Oops", NameStatus.APPROVED)


def test_approving_twice_is_harmless() -> None:
    player = PlayerFactory(game_name="Twice", name_status=NameStatus.PENDING)
    player_name_approve(player_id=player.pk)
    again = player_name_approve(player_id=player.pk)
    assert again.name_status == NameStatus.APPROVED
    assert _name_state(player.pk) == ("Twice", NameStatus.APPROVED)


def test_rejecting_hides_the_name_in_both_moderation_modes(settings) -> None:
    player = PlayerFactory(game_name="Rude", name_status=NameStatus.PENDING)
    for mode in ("pre", "post"):
        settings.NAME_MODERATION = mode
        player_name_reject(player_id=player.pk)
        assert Player.objects.get(pk=player.pk).public_name == f"Player #{player.pk}"


def test_rejecting_an_approved_name_removes_it_from_public_places() -> None:
    player = PlayerFactory(game_name="WasFine", name_status=NameStatus.APPROVED)
    rejected = player_name_reject(player_id=player.pk)
    assert rejected.name_status == NameStatus.REJECTED
    assert _name_state(player.pk) == ("WasFine", NameStatus.REJECTED)


def test_rejected_name_stays_reserved_for_other_players() -> None:
    player = PlayerFactory(game_name="Reserved", name_status=NameStatus.PENDING)
    player_name_reject(player_id=player.pk)
    other = PlayerFactory(game_name="Other")
    with pytest.raises(InvalidInput) as caught:
        player_set_game_name(player=other, game_name="reserved")
    assert caught.value.code == "taken"
    assert _name_state(other.pk) == ("Other", NameStatus.APPROVED)


def test_rejected_player_is_asked_for_a_new_name_through_the_api(client_for) -> None:
    player = PlayerFactory(telegram_id=4242, game_name="Insult", name_status=NameStatus.PENDING)
    client = client_for(4242)
    assert client.get("/api/me").json()["needs_name"] is False

    player_name_reject(player_id=player.pk)

    me = client.get("/api/me").json()
    assert me["needs_name"] is True
    assert me["public_name"] == f"Player #{player.pk}"
    public = client.get(f"/api/user/{player.pk}").json()
    assert public["game_name"] == f"Player #{player.pk}"
    assert "Insult" not in str(public)


def test_a_rejected_player_choosing_a_new_name_goes_back_to_review() -> None:
    player = PlayerFactory(game_name="Bad", name_status=NameStatus.PENDING)
    player_name_reject(player_id=player.pk)
    player.refresh_from_db()
    player_set_game_name(player=player, game_name="Better")
    assert _name_state(player.pk) == ("Better", NameStatus.PENDING)
    assert list(Player.objects.names_to_review()) == [player]


@pytest.mark.parametrize("service", [player_name_approve, player_name_reject])
def test_moderating_a_player_without_a_name_is_refused(service) -> None:
    player = PlayerFactory(game_name=None, name_status=NameStatus.PENDING)
    with pytest.raises(InvalidInput) as caught:
        service(player_id=player.pk)
    assert caught.value.code == "no_name"
    assert _name_state(player.pk) == (None, NameStatus.PENDING)


@pytest.mark.parametrize("service", [player_name_approve, player_name_reject])
def test_moderating_an_unknown_player_is_not_found(service) -> None:
    with pytest.raises(NotFound):
        service(player_id=999_999)


def test_staff_rename_sets_an_approved_normalised_name() -> None:
    player = PlayerFactory(game_name="Before", name_status=NameStatus.REJECTED)
    renamed = player_rename(player_id=player.pk, game_name="  Fresh   Start ")
    assert (renamed.game_name, renamed.name_status) == ("Fresh Start", NameStatus.APPROVED)
    assert _name_state(player.pk) == ("Fresh Start", NameStatus.APPROVED)
    assert renamed.name_changed_at is not None


@pytest.mark.parametrize(
    ("game_name", "code"),
    [
        ("ab", "too_short"),
        ("x" * 21, "too_long"),
        ("<script>", "invalid_chars"),
        ("Badword King", "blocked"),
        ("TAKEN", "taken"),
    ],
)
def test_staff_rename_follows_the_player_rules_and_changes_nothing_on_error(
    game_name: str, code: str
) -> None:
    BlockedWordFactory(word="badword")
    PlayerFactory(game_name="Taken")
    player = PlayerFactory(game_name="Keeper", name_status=NameStatus.PENDING)
    with pytest.raises(InvalidInput) as caught:
        player_rename(player_id=player.pk, game_name=game_name)
    assert caught.value.code == code
    assert _name_state(player.pk) == ("Keeper", NameStatus.PENDING)


def test_staff_rename_is_not_limited_by_the_players_name_change_rate(settings) -> None:
    settings.NAME_CHANGE_RATE = "1/h"
    player = PlayerFactory(game_name="Start")
    for name in ("First", "Second", "Third"):
        player_rename(player_id=player.pk, game_name=name)
    assert _name_state(player.pk) == ("Third", NameStatus.APPROVED)


def test_staff_rename_of_an_unknown_player_is_not_found() -> None:
    with pytest.raises(NotFound):
        player_rename(player_id=999_999, game_name="Nobody")
