"""Ban, unban, rename and reset clicks from the admin: through the services, logged, visible."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import Client
from django.urls import reverse

from backoffice import action_admin
from backoffice.tests.conftest import committed
from clicks.models import ClickDay
from leaderboard.selectors import total_clicks
from players.models import NameStatus, Player
from players.tests.factories import BlockedWordFactory, PlayerFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:players_player_changelist"


def _action_url(player: Player, slug: str) -> str:
    return reverse("admin:players_player_player_action", args=[player.pk, slug])


def _board_ids(client) -> list[int]:
    """Player ids on the public leaderboard as a player sees it (top and around)."""
    body = client.get("/api/leaderboard").json()
    return [entry["player_id"] for entry in body["top"] + body["around"]]


def _log_for(player: Player) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(player.pk), action_flag=CHANGE)
        .order_by("pk")
        .values_list("change_message", flat=True)
    )


def test_ban_asks_for_a_reason_first(staff_client: Client) -> None:
    player = PlayerFactory(game_name="Suspect")
    page = staff_client.get(_action_url(player, "ban"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html
    assert '<bdi class="cg-name">Suspect</bdi>' in html
    assert "leaves the leaderboard" in html


def test_ban_without_a_reason_is_refused_and_changes_nothing(staff_client: Client) -> None:
    player = PlayerFactory(game_name="Suspect")
    response = staff_client.post(_action_url(player, "ban"), {"reason": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert Player.objects.get(pk=player.pk).is_banned is False
    assert not LogEntry.objects.exists()


def test_ban_takes_the_player_off_the_leaderboard_and_profile_at_once(
    staff_client: Client, superuser, client_for, give_clicks
) -> None:
    cheater = PlayerFactory(game_name="Cheater")
    honest = PlayerFactory(game_name="Honest")
    give_clicks(cheater, 500)
    give_clicks(honest, 100)
    viewer = client_for(honest.telegram_id)
    assert _board_ids(viewer) == [cheater.pk, honest.pk]

    with committed():
        response = staff_client.post(_action_url(cheater, "ban"), {"reason": "autoclicker"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:players_player_change", args=[cheater.pk])
    board = viewer.get("/api/leaderboard").json()
    assert [entry["player_id"] for entry in board["top"]] == [honest.pk]
    assert board["me"]["rank"] == 1
    assert board["total_players"] == 1
    assert viewer.get(f"/api/user/{cheater.pk}").status_code == 404
    assert client_for(cheater.telegram_id).get("/api/me").status_code == 403
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.action_flag, entry.object_id) == (
        superuser.pk,
        CHANGE,
        str(cheater.pk),
    )
    assert "Banned" in entry.change_message and "autoclicker" in entry.change_message
    assert entry.action_time is not None


def test_unban_returns_the_player_to_the_leaderboard_with_their_clicks(
    staff_client: Client, client_for, give_clicks
) -> None:
    player = PlayerFactory(game_name="Forgiven")
    other = PlayerFactory(game_name="Other")
    give_clicks(player, 300)
    give_clicks(other, 50)
    with committed():
        staff_client.post(_action_url(player, "ban"), {"reason": "mistake"})
    viewer = client_for(other.telegram_id)
    assert _board_ids(viewer) == [other.pk]

    with committed():
        response = staff_client.post(_action_url(player, "unban"), {"reason": ""})

    assert response.status_code == 302
    assert _board_ids(viewer) == [player.pk, other.pk]
    assert viewer.get(f"/api/user/{player.pk}").json()["clicks"] == 300
    assert _log_for(player)[-1] == "Unbanned: back on the leaderboard."


def test_actions_that_do_not_apply_redirect_with_a_warning(staff_client: Client) -> None:
    player = PlayerFactory(is_banned=False)
    response = staff_client.get(_action_url(player, "unban"), follow=True)
    assert "does not apply" in str(next(iter(response.context["messages"])))
    assert Player.objects.get(pk=player.pk).is_banned is False


def test_unknown_actions_and_players_are_not_found(staff_client: Client) -> None:
    player = PlayerFactory()
    assert staff_client.get(_action_url(player, "delete-everything")).status_code == 404
    missing = reverse("admin:players_player_player_action", args=[999_999, "ban"])
    assert staff_client.post(missing, {"reason": "x"}).status_code == 404


def test_actions_need_a_csrf_token(superuser) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    player = PlayerFactory()
    assert client.post(_action_url(player, "ban"), {"reason": "x"}).status_code == 403
    assert Player.objects.get(pk=player.pk).is_banned is False


def test_rename_applies_the_game_rules_and_reports_errors_as_messages(
    staff_client: Client,
) -> None:
    BlockedWordFactory(word="darn")
    PlayerFactory(game_name="Taken")
    player = PlayerFactory(game_name="Original", name_status=NameStatus.PENDING)
    for bad, detail in (
        ("taken", "taken"),
        ("x", "at least 3"),
        ("DarnIt", "not allowed"),
        ("<b>hi</b>", "letters, digits"),
    ):
        response = staff_client.post(_action_url(player, "rename"), {"game_name": bad}, follow=True)
        texts = [str(message) for message in response.context["messages"]]
        assert any(detail in text for text in texts), (bad, texts)
    fresh = Player.objects.get(pk=player.pk)
    assert (fresh.game_name, fresh.name_status) == ("Original", NameStatus.PENDING)
    assert not LogEntry.objects.exists()


def test_rename_sets_an_approved_name_visible_in_the_api(staff_client: Client, client_for) -> None:
    player = PlayerFactory(game_name="Rude Name", name_status=NameStatus.REJECTED)
    response = staff_client.post(
        _action_url(player, "rename"), {"game_name": " Nice  Name ", "reason": "was rude"}
    )
    assert response.status_code == 302
    fresh = Player.objects.get(pk=player.pk)
    assert (fresh.game_name, fresh.name_status) == ("Nice Name", NameStatus.APPROVED)
    assert client_for(5).get(f"/api/user/{player.pk}").json()["game_name"] == "Nice Name"
    message = _log_for(player)[-1]
    assert "Rude Name" in message and "Nice Name" in message and "was rude" in message


def test_reset_clicks_needs_confirmation_and_a_reason(staff_client: Client, give_clicks) -> None:
    player = PlayerFactory()
    give_clicks(player, 120)
    page = staff_client.get(_action_url(player, "reset-clicks"))
    assert page.status_code == 200
    assert "cannot be undone" in page.content.decode()
    assert "120 clicks" in page.content.decode()
    refused = staff_client.post(_action_url(player, "reset-clicks"), {"reason": ""})
    assert refused.status_code == 200
    assert Player.objects.get(pk=player.pk).clicks == 120
    assert total_clicks() == 120


def test_reset_clicks_zeroes_the_player_and_the_leaderboard_follows(
    staff_client: Client, client_for, give_clicks
) -> None:
    player = PlayerFactory(game_name="Reset Me")
    other = PlayerFactory(game_name="Other")
    give_clicks(player, 400)
    give_clicks(other, 100)
    viewer = client_for(player.telegram_id)
    assert _board_ids(viewer) == [player.pk, other.pk]

    # Only the POST runs inside: the on-commit board update lands right after it, as in a
    # real request (tests otherwise defer it until the block ends).
    with committed():
        response = staff_client.post(
            _action_url(player, "reset-clicks"), {"reason": "used a macro"}
        )

    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    assert "400 removed" in str(next(iter(page.context["messages"])))
    assert Player.objects.get(pk=player.pk).clicks == 0
    assert total_clicks() == 100
    assert ClickDay.objects.filter(player=player).exists()
    board = viewer.get("/api/leaderboard").json()
    assert [entry["player_id"] for entry in board["top"]] == [other.pk, player.pk]
    assert board["me"]["clicks"] == 0
    assert "used a macro" in _log_for(player)[-1]


def test_bulk_ban_asks_once_for_a_reason_then_bans_every_selected_player(
    staff_client: Client, client_for, give_clicks
) -> None:
    first, second, keeper = PlayerFactory(), PlayerFactory(), PlayerFactory()
    for player, clicks in ((first, 30), (second, 20), (keeper, 10)):
        give_clicks(player, clicks)
    selected = {"action": "ban", "_selected_action": [first.pk, second.pk]}

    page = staff_client.post(reverse(CHANGELIST), selected)
    assert page.status_code == 200
    assert "2 players" in page.content.decode()
    assert not Player.objects.filter(is_banned=True).exists()

    missing_reason = staff_client.post(reverse(CHANGELIST), {**selected, "apply": "1"})
    assert missing_reason.status_code == 200
    assert not Player.objects.filter(is_banned=True).exists()

    with committed():
        done = staff_client.post(
            reverse(CHANGELIST), {**selected, "apply": "1", "reason": "bot farm"}
        )

    listing = staff_client.get(done["Location"])
    assert "Ban: done for 2 players." in [str(m) for m in listing.context["messages"]]
    assert set(Player.objects.filter(is_banned=True).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert _board_ids(client_for(keeper.telegram_id)) == [keeper.pk]
    assert LogEntry.objects.filter(change_message__contains="bot farm").count() == 2


def test_bulk_action_skips_players_it_does_not_apply_to(staff_client: Client) -> None:
    banned = PlayerFactory(is_banned=True)
    free = PlayerFactory()
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "ban", "_selected_action": [banned.pk, free.pk], "apply": "1", "reason": "r"},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("1 player(s) skipped" in text for text in texts)
    assert Player.objects.get(pk=free.pk).is_banned is True
    assert _log_for(banned) == []


def test_bulk_reset_clicks(staff_client: Client, give_clicks) -> None:
    first, second = PlayerFactory(), PlayerFactory()
    give_clicks(first, 60)
    give_clicks(second, 40)
    with committed():
        staff_client.post(
            reverse(CHANGELIST),
            {
                "action": "reset_clicks",
                "_selected_action": [first.pk, second.pk],
                "apply": "1",
                "reason": "season end",
            },
        )
    assert list(Player.objects.values_list("clicks", flat=True)) == [0, 0]
    assert total_clicks() == 0


def test_bulk_actions_refuse_oversized_selections(staff_client: Client, monkeypatch) -> None:
    monkeypatch.setattr(action_admin, "MAX_BULK_PLAYERS", 2)
    players = [PlayerFactory() for _ in range(3)]
    response = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "ban",
            "_selected_action": [p.pk for p in players],
            "apply": "1",
            "reason": "r",
        },
        follow=True,
    )
    assert any("at most 2 players" in str(m) for m in response.context["messages"])
    assert not Player.objects.filter(is_banned=True).exists()


def test_rename_is_not_offered_as_a_bulk_action(staff_client: Client) -> None:
    PlayerFactory()
    choices = staff_client.get(reverse(CHANGELIST)).context["action_form"].fields["action"]
    names = [name for name, _label in choices.choices]
    assert "rename" not in names
    assert {"ban", "unban", "reset_clicks", "approve_name", "reject_name"} <= set(names)
    assert "delete_selected" not in names
