"""The name moderation queue: pending names oldest first, approve and reject, single and bulk."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from players.models import NameStatus, Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:backoffice_namereview_changelist"


def _pending(name: str, minutes_ago: int, **fields) -> Player:
    return PlayerFactory(
        game_name=name,
        name_status=NameStatus.PENDING,
        name_changed_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def _row_url(player: Player, slug: str) -> str:
    return reverse("admin:backoffice_namereview_player_action", args=[player.pk, slug])


def test_queue_lists_only_pending_names_oldest_first(staff_client: Client) -> None:
    newer = _pending("Newer", 1)
    older = _pending("Older", 30)
    PlayerFactory(game_name="Fine", name_status=NameStatus.APPROVED)
    PlayerFactory(game_name="Gone", name_status=NameStatus.REJECTED)
    PlayerFactory(game_name=None, name_status=NameStatus.PENDING)

    response = staff_client.get(reverse(QUEUE))

    assert [p.pk for p in response.context["cl"].result_list] == [older.pk, newer.pk]
    html = response.content.decode()
    assert html.count('formaction="') == 4
    assert _row_url(older, "approve-name") in html


def test_row_approve_is_one_post_and_returns_to_the_queue(
    staff_client: Client, superuser, settings, client_for
) -> None:
    settings.NAME_MODERATION = "pre"
    player = _pending("Newcomer", 5)
    assert client_for(9).get(f"/api/user/{player.pk}").json()["game_name"] == f"Player #{player.pk}"

    response = staff_client.post(_row_url(player, "approve-name"))

    assert response.status_code == 302
    assert response["Location"] == reverse(QUEUE)
    assert Player.objects.get(pk=player.pk).name_status == NameStatus.APPROVED
    assert client_for(9).get(f"/api/user/{player.pk}").json()["game_name"] == "Newcomer"
    assert [p.pk for p in staff_client.get(reverse(QUEUE)).context["cl"].result_list] == []
    entry = LogEntry.objects.get()
    assert entry.user_id == superuser.pk
    assert "Approved game name" in entry.change_message and "Newcomer" in entry.change_message
    # Logged against the player, so it shows in the player's own history.
    history = staff_client.get(reverse("admin:players_player_history", args=[player.pk]))
    assert "Approved game name" in history.content.decode()


def test_rejected_name_disappears_from_leaderboard_profile_and_me_at_once(
    staff_client: Client, client_for, give_clicks
) -> None:
    rude = _pending("Rude Word", 5, telegram_id=31337)
    other = PlayerFactory(game_name="Polite")
    give_clicks(rude, 50)
    give_clicks(other, 10)
    viewer = client_for(other.telegram_id)
    assert viewer.get("/api/leaderboard").json()["top"][0]["game_name"] == "Rude Word"

    response = staff_client.post(_row_url(rude, "reject-name"), {"reason": "insult"})

    assert response.status_code == 302
    placeholder = f"Player #{rude.pk}"
    board = viewer.get("/api/leaderboard").json()
    assert board["top"][0] == {**board["top"][0], "player_id": rude.pk, "game_name": placeholder}
    assert "Rude Word" not in str(board)
    assert viewer.get(f"/api/user/{rude.pk}").json()["game_name"] == placeholder
    me = client_for(31337).get("/api/me").json()
    assert me["needs_name"] is True
    assert me["public_name"] == placeholder
    assert "insult" in LogEntry.objects.get().change_message


def test_reject_with_a_reason_page(staff_client: Client) -> None:
    player = _pending("Borderline", 5)
    page = staff_client.get(_row_url(player, "reject-name"))
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    staff_client.post(_row_url(player, "reject-name"), {"reason": "spam link"})
    assert Player.objects.get(pk=player.pk).name_status == NameStatus.REJECTED
    assert LogEntry.objects.get().change_message.endswith("Reason: \u2068spam link\u2069")


def test_bulk_approve_runs_without_a_confirmation_page(staff_client: Client) -> None:
    first, second, untouched = _pending("One", 3), _pending("Two", 2), _pending("Three", 1)
    response = staff_client.post(
        reverse(QUEUE), {"action": "approve_name", "_selected_action": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    statuses = dict(Player.objects.values_list("pk", "name_status"))
    assert statuses == {
        first.pk: NameStatus.APPROVED,
        second.pk: NameStatus.APPROVED,
        untouched.pk: NameStatus.PENDING,
    }
    assert LogEntry.objects.count() == 2


def test_bulk_reject_offers_an_optional_reason(staff_client: Client) -> None:
    first, second = _pending("Bad One", 3), _pending("Bad Two", 2)
    selected = {"action": "reject_name", "_selected_action": [first.pk, second.pk]}
    page = staff_client.post(reverse(QUEUE), selected)
    assert page.status_code == 200
    assert Player.objects.filter(name_status=NameStatus.REJECTED).count() == 0

    staff_client.post(reverse(QUEUE), {**selected, "apply": "1", "reason": ""})

    assert Player.objects.filter(name_status=NameStatus.REJECTED).count() == 2


def test_a_name_decided_meanwhile_is_not_decided_again(staff_client: Client) -> None:
    player = _pending("Racy", 3)
    Player.objects.filter(pk=player.pk).update(name_status=NameStatus.APPROVED)
    staff_client.post(reverse(QUEUE), {"action": "reject_name", "_selected_action": [player.pk]})
    staff_client.post(
        reverse(QUEUE),
        {"action": "reject_name", "_selected_action": [player.pk], "apply": "1"},
    )
    assert Player.objects.get(pk=player.pk).name_status == NameStatus.APPROVED
    assert not LogEntry.objects.exists()


def test_queue_search_finds_by_name_and_telegram_id(staff_client: Client) -> None:
    wanted = _pending("Findme", 3, telegram_id=424242)
    _pending("Other", 2)
    for term in ("indm", "424242", f"#{wanted.pk}"):
        response = staff_client.get(reverse(QUEUE), {"q": term})
        assert [p.pk for p in response.context["cl"].result_list] == [wanted.pk], term


def test_hostile_names_in_the_queue_are_escaped(staff_client: Client) -> None:
    _pending("<script>x</script>", 2)
    _pending("\u202ereversed", 1)
    html = staff_client.get(reverse(QUEUE)).content.decode()
    assert "<script>x</script>" not in html
    assert '<bdi class="cg-name">&lt;script&gt;x&lt;/script&gt;</bdi>' in html
    assert '<bdi class="cg-name">\u202ereversed</bdi>' in html


def test_index_links_the_queue_with_its_size_and_the_stats_page(staff_client: Client) -> None:
    _pending("One", 2)
    _pending("Two", 1)
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "Names to review: 2" in html
    assert reverse("admin:stats") in html


def test_a_queued_name_has_its_own_page_with_the_decision_buttons(staff_client: Client) -> None:
    player = _pending("Pagey", 2)
    page = staff_client.get(reverse("admin:backoffice_namereview_change", args=[player.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert _row_url(player, "approve-name") in html
    assert _row_url(player, "reject-name") in html
    assert "/do/ban/" not in html
    assert 'name="_save"' not in html


def test_players_list_and_queue_have_titles_in_the_games_words(staff_client: Client) -> None:
    _pending("Titled", 2)
    assert (
        "<h1>Players</h1>"
        in staff_client.get(reverse("admin:players_player_changelist")).content.decode()
    )
    assert (
        "<h1>Names to review, oldest first</h1>"
        in staff_client.get(reverse(QUEUE)).content.decode()
    )
