"""Players HTTP API: /api/me, /api/users, /api/user/{id}."""

import pytest
from django.contrib.auth import get_user_model

from players.models import NameStatus, Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def post_name(client, name):
    return client.post("/api/users", {"game_name": name}, format="json")


def test_me_for_a_new_player_asks_for_a_name(client_for) -> None:
    body = client_for(10).get("/api/me").json()
    assert body["needs_name"] is True
    assert body["game_name"] is None
    assert body["public_name"] == f"Player #{body['id']}"
    assert (body["clicks"], body["seq"]) == (0, 0)
    assert "first_name" not in body and "telegram_id" not in body


def test_first_name_is_201_then_changes_are_200(client_for) -> None:
    client = client_for(10)
    first = post_name(client, "Rocket")
    assert first.status_code == 201
    assert first.json()["game_name"] == "Rocket"
    assert first.json()["needs_name"] is False
    again = post_name(client, "Rocket Two")
    assert again.status_code == 200
    assert Player.objects.get(telegram_id=10).game_name == "Rocket Two"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("ab", "too_short"),
        ("x" * 21, "too_long"),
        ("<script>", "invalid_chars"),
        ("12345", "invalid_chars"),
    ],
)
def test_rule_breaking_names_get_400_with_their_code_and_change_nothing(
    client_for, name, code
) -> None:
    client = client_for(10)
    post_name(client, "Keeper")
    response = post_name(client, name)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert Player.objects.get(telegram_id=10).game_name == "Keeper"


def test_taken_and_blocked_names_get_their_codes(client_for) -> None:
    from players.tests.factories import BlockedWordFactory

    PlayerFactory(game_name="Taken")
    BlockedWordFactory(word="nasty")
    client = client_for(10)
    assert post_name(client, "TAKEN").json()["error"] == "taken"
    assert post_name(client, "so nasty").json()["error"] == "blocked"
    assert Player.objects.get(telegram_id=10).game_name is None


@pytest.mark.parametrize("payload", [{}, {"game_name": 12345}, {"game_name": None}, ["x"]])
def test_wrong_shapes_are_400_not_500(client_for, payload) -> None:
    response = client_for(10).post("/api/users", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]


def test_malformed_json_is_400(client_for) -> None:
    response = client_for(10).post("/api/users", "{bad", content_type="application/json")
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")


def test_name_changes_hit_429_with_retry_after(client_for, settings) -> None:
    settings.NAME_CHANGE_RATE = "2/h"
    client = client_for(10)
    assert post_name(client, "One One").status_code == 201
    assert post_name(client, "Two Two").status_code == 200
    limited = post_name(client, "Three Three")
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1
    assert Player.objects.get(telegram_id=10).game_name == "Two Two"


def test_public_profile_shows_public_fields_only(client_for) -> None:
    other = PlayerFactory(game_name="Visible", clicks=5, first_name="Secret")
    body = client_for(10).get(f"/api/user/{other.pk}").json()
    assert set(body) == {"id", "game_name", "clicks", "created_at"}
    assert (body["game_name"], body["clicks"]) == ("Visible", 5)


def test_public_profile_hides_rejected_names(client_for) -> None:
    other = PlayerFactory(game_name="Rude", name_status=NameStatus.REJECTED)
    assert client_for(10).get(f"/api/user/{other.pk}").json()["game_name"] == f"Player #{other.pk}"


def test_pre_moderation_hides_pending_names_until_approved(client_for, settings) -> None:
    settings.NAME_MODERATION = "pre"
    other = PlayerFactory(game_name="Waiting", name_status=NameStatus.PENDING)
    url = f"/api/user/{other.pk}"
    assert client_for(10).get(url).json()["game_name"] == f"Player #{other.pk}"
    settings.NAME_MODERATION = "post"
    assert client_for(10).get(url).json()["game_name"] == "Waiting"


def test_unknown_and_banned_profiles_are_404(client_for) -> None:
    banned = PlayerFactory(is_banned=True)
    client = client_for(10)
    for url in ("/api/user/987654", f"/api/user/{banned.pk}"):
        response = client.get(url)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_banned_player_gets_403_and_cannot_rename(client_for) -> None:
    PlayerFactory(telegram_id=10, game_name="Cheater", is_banned=True)
    client = client_for(10)
    assert client.get("/api/me").json()["error"] == "banned"
    response = post_name(client, "Innocent")
    assert (response.status_code, response.json()["error"]) == (403, "banned")
    assert Player.objects.get(telegram_id=10).game_name == "Cheater"


def test_staff_session_is_not_a_player(client) -> None:
    staff = get_user_model().objects.create_user("staff", password="pw-12345!", is_staff=True)
    client.force_login(staff)
    response = client.get("/api/me", HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["error"]) == (403, "not_a_player")


def test_the_api_answers_json_to_players_and_staff_alike(client, client_for) -> None:
    browser_accept = "text/html,application/xhtml+xml,*/*;q=0.8"
    player_response = client_for(10).get("/api/me", HTTP_ACCEPT=browser_accept)
    assert player_response["Content-Type"].startswith("application/json")
    staff = get_user_model().objects.create_user("staff", password="pw-12345!", is_staff=True)
    client.force_login(staff)
    staff_response = client.get("/api/", HTTP_ACCEPT=browser_accept)
    assert staff_response["Content-Type"].startswith("application/json")
