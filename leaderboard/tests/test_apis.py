"""GET /api/leaderboard: the caller's view, another player's view, errors, schema."""

import pytest
from django.urls import reverse

from leaderboard import live
from leaderboard.selectors import leaderboard_for
from leaderboard.services import player_listings
from leaderboard.tests.board_data import (
    build_board,
    make_player,
    reference_board,
    shards_match_players,
)
from players.models import Player
from players.services import player_ban

pytestmark = pytest.mark.django_db


def live_board_built() -> None:
    """With Redis, build the live board from the players made so far (the keeper's job)."""
    client = live.redis_client()
    if client is not None:
        build_board(client)


URL = "/api/leaderboard"


def signed_in_player(client_for, *, clicks: int) -> tuple[object, Player]:
    player = make_player(clicks=clicks)
    return client_for(player.telegram_id), player


def test_route_is_named_leaderboard():
    assert reverse("leaderboard") == URL


def test_caller_gets_their_own_view(client_for):
    others = [make_player(clicks=c) for c in (90, 80, 70, 60, 50, 40)]  # the caller is 6th
    client, me = signed_in_player(client_for, clicks=45)
    live_board_built()

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body == reference_board(me.pk)
    assert body["me"]["rank"] == 6
    assert [e["player_id"] for e in body["around"]] == [me.pk, others[5].pk]
    assert set(body["me"]) == {"rank", "player_id", "game_name", "clicks", "share"}


def test_new_caller_with_no_clicks_is_ranked_last(client_for):
    make_player(clicks=3)
    client = client_for(4_242_424)
    assert client.get("/api/me").status_code == 200  # the sign-in the game does first

    body = client.get(URL).json()

    newcomer = Player.objects.get(telegram_id=4_242_424)
    assert body["me"]["player_id"] == newcomer.pk
    assert body["me"]["rank"] == 2
    assert body["total_players"] == 2


def test_a_caller_who_never_signed_in_is_refused_and_nothing_is_created(client_for):
    make_player(clicks=3)

    response = client_for(4_242_425).get(URL)

    assert response.status_code == 403
    assert response.json()["error"] == "not_a_player"
    assert not Player.objects.filter(telegram_id=4_242_425).exists()


def test_user_id_centres_the_view_on_another_player(client_for):
    target = make_player(clicks=12)
    client, _me = signed_in_player(client_for, clicks=1)

    response = client.get(URL, {"user_id": target.pk})

    assert response.status_code == 200
    assert response.json() == leaderboard_for(player_id=target.pk)
    assert response.json()["me"]["player_id"] == target.pk


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "1.5", "1e3", str(2**63)])
def test_bad_user_id_is_refused(client_for, bad):
    client, _me = signed_in_player(client_for, clicks=1)

    response = client.get(URL, {"user_id": bad})

    assert response.status_code == 400
    assert response.json()["error"] in {"invalid", "min_value", "max_value", "null"}
    assert "user_id" in response.json()["fields"]


def test_unknown_or_banned_user_id_is_not_found(client_for):
    client, _me = signed_in_player(client_for, clicks=1)
    banned = make_player(clicks=99)
    player_ban(player_id=banned.pk, listings=player_listings())

    for player_id in (banned.pk, banned.pk + 1000):
        response = client.get(URL, {"user_id": player_id})
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_banned_caller_is_forbidden(client_for):
    client, me = signed_in_player(client_for, clicks=5)
    Player.objects.filter(pk=me.pk).update(is_banned=True)

    response = client.get(URL)

    assert response.status_code == 403
    assert response.json()["error"] == "banned"


def test_anonymous_request_is_refused(api_client):
    make_player(clicks=5)

    response = api_client.get(URL)

    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_total_clicks_come_from_the_shards(client_for):
    client, _me = signed_in_player(client_for, clicks=5)
    shards_match_players(extra=995)

    assert client.get(URL).json()["total_clicks"] == 1000


def test_schema_documents_the_exact_entry_fields(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    entry = schema["components"]["schemas"]["Entry"]
    board = schema["components"]["schemas"]["Leaderboard"]
    assert set(entry["properties"]) == {"rank", "player_id", "game_name", "clicks", "share"}
    assert entry["properties"]["share"]["type"] == "number"
    always = {"total_clicks", "total_players", "top", "around", "me", "poll_interval_ms"}
    assert set(board["required"]) == always
    assert set(board["properties"]) == always | {"source", "stale_seconds"}
    parameters = schema["paths"]["/api/leaderboard"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["user_id"]
