"""POST /api/clicks: the protocol as a client sees it, including every way a request is refused."""

import dataclasses
import json
from unittest import mock

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.db.models import F
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from clicks import live
from clicks.apis import ClickSyncInputSerializer, ClickSyncOutputSerializer, batch_of
from clicks.models import ClickDay
from clicks.rules import MAX_SYNC_INTERVAL_MS
from clicks.services import SyncResult
from clicks.tests.conftest import (
    board_score,
    history_total,
    redis_failing,
    redis_only,
    shard_total,
)
from players.models import Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db
URL = "/api/clicks"
TELEGRAM_ID = 9_100_001


def sync(client: APIClient, body: object) -> tuple[int, dict]:
    response = client.post(URL, body, format="json")
    return response.status_code, response.json()


def snapshot(player: Player) -> tuple:
    """Everything a sync may change, to prove that a refused one changed none of it."""
    player.refresh_from_db()
    days = list(ClickDay.objects.filter(player=player).values_list("day", "clicks", "syncs"))
    return (
        player.clicks,
        player.last_seq,
        player.last_sync_batch,
        player.rejected_clicks,
        player.click_allowance,
        player.click_allowance_at,
        player.last_seen_at,
        days,
        shard_total(),
    )


@pytest.fixture
def player() -> Player:
    """A player who already synced up to seq 3 and has 10 clicks."""
    return PlayerFactory(telegram_id=TELEGRAM_ID)


@pytest.fixture
def client(client_for, player) -> APIClient:
    client = client_for(TELEGRAM_ID)
    status, body = sync(client, {"seq": 3, "count": 10})
    assert (status, body["accepted"]) == (200, 10)
    return client


def test_first_sync_creates_the_player_and_counts_the_batch(client_for) -> None:
    status, body = sync(client_for(9_100_002, first_name="Zoe"), {"seq": 1, "count": 7})
    assert status == 200
    player = Player.objects.get(telegram_id=9_100_002)
    assert body == {
        "accepted": 7,
        "rejected": 0,
        "duplicate": False,
        "same_batch": False,
        "seq": 1,
        "clicks": 7,
        "total_clicks": 7,
        "sync_interval_ms": 1000,
    }
    assert (player.clicks, player.last_seq, player.first_name) == (7, 1, "Zoe")
    assert set(body) == set(ClickSyncOutputSerializer().fields)  # as documented


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "*/*", "application/json"])
def test_the_sync_answers_json_whatever_accept_asks(client, player, accept) -> None:
    response = client.post(URL, {"seq": 4, "count": 2}, format="json", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["clicks"] == 12
    player.refresh_from_db()
    assert player.clicks == 12


def test_resent_seq_is_not_counted_twice(client, player) -> None:
    before = snapshot(player)
    status, body = sync(client, {"seq": 3, "count": 10})
    assert status == 200
    assert body["duplicate"] is True
    # The first answer said accepted 10, rejected 0; the resend is told the same.
    assert (body["accepted"], body["rejected"], body["seq"], body["clicks"]) == (10, 0, 3, 10)
    assert body["total_clicks"] == 10
    assert snapshot(player) == before


def test_a_resend_whose_answer_was_lost_gets_the_original_answer(client_for) -> None:
    client = client_for(9_100_005)
    status, first = sync(client, {"seq": 1, "count": 1000})
    assert (status, first["accepted"], first["rejected"], first["duplicate"]) == (
        200,
        600,
        400,
        False,
    )
    player = Player.objects.get(telegram_id=9_100_005)
    before = snapshot(player)
    status, again = sync(client, {"seq": 1, "count": 1000})
    assert status == 200
    assert again == {**first, "duplicate": True}
    assert snapshot(player) == before


def test_a_batch_applied_before_and_resent_is_answered_as_that_same_batch(client, player):
    status, first = sync(client, {"seq": 4, "count": 5, "batch": 2**53 - 1})
    assert (status, first["duplicate"], first["same_batch"], first["clicks"]) == (
        200,
        False,
        False,
        15,
    )
    before = snapshot(player)
    # The browser re-sent the request by itself; the page sees only this answer.
    status, again = sync(client, {"seq": 4, "count": 5, "batch": 2**53 - 1})
    assert status == 200
    assert again == {**first, "duplicate": True, "same_batch": True}
    assert snapshot(player) == before
    assert player.last_sync_batch == 2**53 - 1


def test_another_batch_under_an_applied_seq_is_a_duplicate_but_not_the_same_batch(
    client, player
) -> None:
    assert sync(client, {"seq": 4, "count": 5, "batch": 71})[0] == 200
    before = snapshot(player)
    # Another device numbered its batch 4 too: it is not counted, and not taken for this one.
    status, body = sync(client, {"seq": 4, "count": 2, "batch": 72})
    assert (status, body["duplicate"], body["same_batch"], body["clicks"]) == (200, True, False, 15)
    assert snapshot(player) == before


@pytest.mark.parametrize(
    ("applied_with", "resent_with"), [({}, {}), ({}, {"batch": 9}), ({"batch": 9}, {})]
)
def test_a_resend_is_the_same_batch_only_when_both_carried_its_id(
    client, player, applied_with, resent_with
) -> None:
    assert sync(client, {"seq": 4, "count": 5, **applied_with})[0] == 200
    before = snapshot(player)
    status, body = sync(client, {"seq": 4, "count": 5, **resent_with})
    assert (status, body["duplicate"], body["same_batch"], body["accepted"]) == (
        200,
        True,
        False,
        5,
    )
    assert snapshot(player) == before


def test_an_older_seq_is_never_the_same_batch(client, player) -> None:
    assert sync(client, {"seq": 4, "count": 5, "batch": 33})[0] == 200
    assert sync(client, {"seq": 5, "count": 1, "batch": 34})[0] == 200
    status, body = sync(client, {"seq": 4, "count": 5, "batch": 33})
    assert (status, body["duplicate"], body["same_batch"], body["seq"]) == (200, True, False, 5)


def test_an_older_seq_is_a_duplicate_with_the_current_totals(client, player) -> None:
    before = snapshot(player)
    status, body = sync(client, {"seq": 1, "count": 99})
    assert (status, body["duplicate"], body["seq"], body["clicks"]) == (200, True, 3, 10)
    # Only the last seq's answer is kept; an older one is answered with nothing counted.
    assert (body["accepted"], body["rejected"]) == (0, 0)
    assert snapshot(player) == before


def test_a_seq_that_skips_ahead_is_applied_and_becomes_the_last(client, player) -> None:
    status, body = sync(client, {"seq": 50, "count": 5})
    assert (status, body["duplicate"], body["seq"], body["clicks"]) == (200, False, 50, 15)
    status, body = sync(client, {"seq": 49, "count": 5})
    assert (body["duplicate"], body["clicks"]) == (True, 15)
    player.refresh_from_db()
    assert (player.last_seq, player.clicks) == (50, 15)


def test_a_zero_count_sync_advances_seq_and_counts_as_a_sync(client, player) -> None:
    status, body = sync(client, {"seq": 4, "count": 0})
    assert (status, body["accepted"], body["duplicate"], body["seq"]) == (200, 0, False, 4)
    assert ClickDay.objects.get(player=player).syncs == 2


def test_clicks_over_the_allowance_are_answered_as_rejected(client_for) -> None:
    status, body = sync(client_for(9_100_003), {"seq": 1, "count": 1000})
    assert (status, body["accepted"], body["rejected"], body["clicks"]) == (200, 600, 400, 600)
    player = Player.objects.get(telegram_id=9_100_003)
    assert player.rejected_clicks == 400
    assert player.last_rejected_at is not None
    day = ClickDay.objects.get(player=player)
    assert (day.clicks, day.rejected, day.syncs) == (600, 400, 1)


def test_banned_player_gets_403_and_nothing_is_applied(client, player) -> None:
    Player.objects.filter(pk=player.pk).update(is_banned=True)
    before = snapshot(player)
    status, body = sync(client, {"seq": 4, "count": 10})
    assert (status, body["error"]) == (403, "banned")
    assert snapshot(player) == before


def test_unauthenticated_sync_is_401_and_creates_nobody(api_client) -> None:
    status, body = sync(api_client, {"seq": 1, "count": 1})
    assert (status, body["error"]) == (401, "missing")
    assert not Player.objects.exists()


def test_a_staff_session_without_telegram_identity_is_not_a_player() -> None:
    staff = get_user_model().objects.create_user("mod", password="pw-12345-long", is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    status, body = sync(client, {"seq": 1, "count": 1})
    assert (status, body["error"]) == (403, "not_a_player")
    assert not Player.objects.exclude(telegram_id=TELEGRAM_ID).exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"seq": True, "count": 5}, "invalid"),
        ({"seq": 4, "count": False}, "invalid"),
        ({"seq": 4.0, "count": 5}, "invalid"),
        ({"seq": 4, "count": 3.0}, "invalid"),
        ({"seq": 4, "count": 2.5}, "invalid"),
        ({"seq": "4", "count": 5}, "invalid"),
        ({"seq": 4, "count": "5"}, "invalid"),
        ({"seq": None, "count": 5}, "null"),
        ({"seq": 4, "count": None}, "null"),
        ({"seq": 0, "count": 5}, "min_value"),
        ({"seq": -4, "count": 5}, "min_value"),
        ({"seq": 4, "count": -1}, "min_value"),
        ({"seq": 4, "count": 1001}, "max_value"),
        ({"seq": 2**63, "count": 5}, "max_value"),
        ({"seq": 10**30, "count": 5}, "max_value"),
        ({"seq": 4, "count": 10**30}, "max_value"),
        ({"count": 5}, "required"),
        ({"seq": 4}, "required"),
        ({}, "required"),
        ({"seq": [4], "count": 5}, "invalid"),
        ({"seq": 4, "count": {"n": 5}}, "invalid"),
        ({"seq": 4, "count": 5, "batch": 0}, "min_value"),
        ({"seq": 4, "count": 5, "batch": -7}, "min_value"),
        ({"seq": 4, "count": 5, "batch": 2**53}, "max_value"),
        ({"seq": 4, "count": 5, "batch": 2**63}, "max_value"),
        ({"seq": 4, "count": 5, "batch": None}, "null"),
        ({"seq": 4, "count": 5, "batch": True}, "invalid"),
        ({"seq": 4, "count": 5, "batch": 7.0}, "invalid"),
        ({"seq": 4, "count": 5, "batch": "7"}, "invalid"),
        ({"seq": 4, "count": 5, "batch": [7]}, "invalid"),
        ([4, 5], "invalid"),
        ("4,5", "invalid"),
        (17, "invalid"),
    ],
)
def test_invalid_input_is_400_with_a_code_and_nothing_is_applied(client, player, body, code):
    before = snapshot(player)
    status, answer = sync(client, body)
    assert (status, answer["error"]) == (400, code)
    assert answer["detail"]
    assert snapshot(player) == before


def test_a_bad_batch_id_is_named_in_the_error(client, player) -> None:
    status, answer = sync(client, {"seq": 4, "count": 5, "batch": 2**53})
    assert (status, answer["error"]) == (400, "max_value")
    assert answer["detail"].startswith("batch: ")
    assert set(answer["fields"]) == {"batch"}


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.text(max_size=4)
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.sampled_from([0, 1, 2, 1000, 1001, 2**53 - 1, 2**53, 2**63 - 1, 2**63]),
    lambda children: (
        st.lists(children, max_size=2) | st.dictionaries(st.text(max_size=3), children)
    ),
    max_leaves=4,
)
_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "seq": _json_values,
            "count": _json_values,
            "batch": _json_values,
            "x": _json_values,
        },
    )
    | _json_values
)


@hypothesis_settings(max_examples=400, deadline=None)
@given(body=_bodies)
def test_the_quick_batch_reader_accepts_exactly_what_the_serializer_accepts(body) -> None:
    serializer = ClickSyncInputSerializer(data=body)
    if serializer.is_valid():
        valid = serializer.validated_data
        assert batch_of(body) == (valid["seq"], valid["count"], valid.get("batch", 0))
    else:
        with pytest.raises(ValidationError) as refused:
            batch_of(body)
        assert refused.value.detail == serializer.errors


def test_the_answer_renders_every_field_of_the_sync_result() -> None:
    result = SyncResult(
        accepted=4,
        rejected=1,
        duplicate=True,
        same_batch=True,
        seq=9,
        clicks=40,
        total_clicks=400,
        sync_interval_ms=5000,
    )
    assert result.as_json() == dataclasses.asdict(result)
    assert set(result.as_json()) == set(ClickSyncOutputSerializer().fields)


@redis_only
def test_a_sync_makes_one_redis_round_trip(client, player) -> None:
    with (
        mock.patch(
            "redis.connection.AbstractConnection.send_packed_command",
            autospec=True,
            side_effect=AbstractConnection.send_packed_command,
        ) as sent,
        mock.patch("redis.Redis.execute_command") as commands,
        mock.patch("redis.client.Pipeline.execute") as pipelines,
    ):
        status, body = sync(client, {"seq": 4, "count": 1})
    assert (status, body["clicks"], body["seq"]) == (200, 11, 4)
    assert sent.call_count == 1
    assert commands.call_count == pipelines.call_count == 0


@redis_only
def test_a_redis_that_forgot_the_sync_script_gets_it_again(client, player, redis) -> None:
    redis.script_flush()
    assert sync(client, {"seq": 4, "count": 2})[0] == 200
    assert board_score(redis, player.pk) == 12
    assert redis.script_exists(live._SYNC_TRACK_SHA) == [True]


@redis_only
def test_a_cut_redis_connection_is_replaced_within_the_same_sync(client, player, redis) -> None:
    assert sync(client, {"seq": 4, "count": 1})[0] == 200
    own = live._own.connection
    assert own is not None and own._sock is not None
    host, port = own._sock.getsockname()[:2]
    assert redis.client_kill_filter(addr=f"{host}:{port}") == 1  # as Redis restarting would
    status, body = sync(client, {"seq": 5, "count": 1})
    assert (status, body["clicks"]) == (200, 12)
    assert body["sync_interval_ms"] < MAX_SYNC_INTERVAL_MS  # Redis answered, not the breaker
    assert board_score(redis, player.pk) == 12


def test_malformed_json_is_400_and_nothing_is_applied(client, player) -> None:
    before = snapshot(player)
    response = client.post(URL, data='{"seq": 4, "count": ', content_type="application/json")
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")
    assert snapshot(player) == before


def test_a_huge_integer_literal_is_refused_and_nothing_is_applied(client, player) -> None:
    before = snapshot(player)
    body = '{"seq": 4, "count": ' + "9" * 5000 + "}"
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert snapshot(player) == before


@override_settings(MAX_CLICKS_PER_SYNC=50)
def test_the_batch_limit_follows_the_setting(client, player) -> None:
    status, body = sync(client, {"seq": 4, "count": 51})
    assert (status, body["error"]) == (400, "max_value")
    status, body = sync(client, {"seq": 4, "count": 50})
    assert (status, body["accepted"]) == (200, 50)


def test_too_many_syncs_get_429_with_retry_after_and_nothing_is_applied(
    client, player, settings
) -> None:
    settings.CLICK_SYNC_RATE = "3/m"  # the fixture's sync (seq 3) is the first of the minute
    assert sync(client, {"seq": 4, "count": 1})[0] == 200
    assert sync(client, {"seq": 5, "count": 1})[0] == 200
    before = snapshot(player)
    response = client.post(URL, {"seq": 6, "count": 1}, format="json")
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert snapshot(player) == before
    # A resend of the last applied seq is answered (not limited), and changes nothing either.
    status, body = sync(client, {"seq": 5, "count": 1})
    assert (status, body["duplicate"], body["accepted"]) == (200, True, 1)
    assert snapshot(player) == before


def test_the_sync_rate_window_reopens_after_its_period(client, player, settings) -> None:
    settings.CLICK_SYNC_RATE = "2/m"  # the fixture's sync opened the window
    assert sync(client, {"seq": 4, "count": 1})[0] == 200
    assert sync(client, {"seq": 5, "count": 1})[0] == 429
    Player.objects.filter(pk=player.pk).update(sync_window_at=F("sync_window_at") - 60)
    status, body = sync(client, {"seq": 5, "count": 1})
    assert (status, body["accepted"], body["seq"]) == (200, 1, 5)


def test_the_rate_limit_is_per_player(client, client_for, settings) -> None:
    settings.CLICK_SYNC_RATE = "2/m"  # the fixture's sync is the first of the minute
    assert sync(client, {"seq": 4, "count": 1})[0] == 200
    assert sync(client, {"seq": 5, "count": 1})[0] == 429
    assert sync(client_for(9_100_004), {"seq": 1, "count": 1})[0] == 200


def test_database_down_is_503_with_retry_after_and_nothing_is_applied(client, player) -> None:
    before = snapshot(player)
    # The connection dies under both code paths: Django's cursors (ORM path) and the psycopg
    # cursor running the prepared PostgreSQL statement.
    with (
        mock.patch.object(
            CursorWrapper, "execute", side_effect=OperationalError("server closed the connection")
        ),
        mock.patch.object(
            psycopg.Cursor,
            "execute",
            side_effect=psycopg.OperationalError("server closed the connection"),
        ),
    ):
        response = client.post(URL, {"seq": 4, "count": 10}, format="json")
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert int(response["Retry-After"]) > 0
    assert snapshot(player) == before


def test_redis_failing_after_the_commit_keeps_the_clicks_and_slows_clients(client, player):
    with mock.patch("clicks.services.sync_track", side_effect=RedisConnectionError("gone")):
        status, body = sync(client, {"seq": 4, "count": 10})
    assert status == 200
    assert (body["accepted"], body["clicks"], body["seq"]) == (10, 20, 4)
    assert body["sync_interval_ms"] == MAX_SYNC_INTERVAL_MS
    player.refresh_from_db()
    assert (player.clicks, player.last_seq, history_total(player)) == (20, 4, 20)
    assert shard_total() == 20


@redis_only
def test_with_redis_down_syncs_are_applied_from_postgresql_alone(client, player) -> None:
    with redis_failing():
        answers = [sync(client, {"seq": seq, "count": 10}) for seq in (4, 5, 6)]
        resent = sync(client, {"seq": 6, "count": 10})
    assert [status for status, _ in answers] == [200, 200, 200]
    assert [body["clicks"] for _, body in answers] == [20, 30, 40]
    assert all(body["sync_interval_ms"] == MAX_SYNC_INTERVAL_MS for _, body in answers)
    assert resent == (200, {**answers[-1][1], "duplicate": True})
    player.refresh_from_db()
    assert (player.clicks, player.last_seq, history_total(player)) == (40, 6, 40)
    assert shard_total() == 40


@redis_only
def test_with_redis_down_the_sync_rate_still_holds(client, player, settings) -> None:
    settings.CLICK_SYNC_RATE = "2/m"  # the fixture's sync is the first of the minute
    with redis_failing():
        assert sync(client, {"seq": 4, "count": 1})[0] == 200
        before = snapshot(player)
        response = client.post(URL, {"seq": 5, "count": 1}, format="json")
    assert (response.status_code, response.json()["error"]) == (429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    assert snapshot(player) == before


@redis_only
def test_when_redis_returns_the_next_sync_heals_the_players_board_score(
    client, player, redis
) -> None:
    # The fixture's sync put 10 on the board; two syncs land while Redis is down.
    with redis_failing():
        sync(client, {"seq": 4, "count": 5})
        sync(client, {"seq": 5, "count": 5})
    assert board_score(redis, player.pk) == 10
    live.sync_redis_pause.clear()  # the retry period has passed
    status, body = sync(client, {"seq": 6, "count": 1})
    assert (status, body["clicks"]) == (200, 21)
    assert board_score(redis, player.pk) == 21
    assert body["sync_interval_ms"] < MAX_SYNC_INTERVAL_MS


def test_the_endpoint_is_documented_in_the_openapi_schema(api_client) -> None:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    operation = schema["paths"]["/api/clicks"]["post"]
    assert operation["operationId"] == "clicks_sync"
    assert {"200", "400", "403", "429", "503"} <= set(operation["responses"])
    request_schema = schema["components"]["schemas"]["ClickSyncInputRequest"]
    assert set(request_schema["required"]) == {"seq", "count"}
    batch = request_schema["properties"]["batch"]
    assert (batch["type"], batch["minimum"], batch["maximum"]) == ("integer", 1, 2**53 - 1)
    answer = schema["components"]["schemas"]["ClickSyncOutput"]
    assert "same_batch" in answer["required"]
