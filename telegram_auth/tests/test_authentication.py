"""The DRF initData authentication class, seen through a real endpoint (`GET /api/me`)."""

import json
import time

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from players.models import Player
from telegram_auth.authentication import initdata_bot_token
from telegram_auth.initdata import build_init_data

pytestmark = pytest.mark.django_db
USER = {"id": 42424242, "first_name": "Ann", "username": "ann", "language_code": "de"}


def get_me(authorization: str | None) -> tuple[int, dict]:
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.get("/api/me")
    return response.status_code, response.json()


def test_valid_init_data_signs_the_player_in_and_creates_them() -> None:
    status, body = get_me("tma " + build_init_data(USER, initdata_bot_token()))
    assert status == 200
    player = Player.objects.get(telegram_id=USER["id"])
    assert body["id"] == player.pk
    assert (player.first_name, player.username, player.language_code) == ("Ann", "ann", "de")


def test_scheme_is_case_insensitive() -> None:
    status, _ = get_me("TMA " + build_init_data(USER, initdata_bot_token()))
    assert status == 200


def test_no_header_is_401_missing_with_challenge() -> None:
    client = APIClient()
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"] == "missing"
    assert response["WWW-Authenticate"] == "tma"
    assert not Player.objects.exists()


def test_empty_tma_header_is_401_missing() -> None:
    status, body = get_me("tma ")
    assert (status, body["error"]) == (401, "missing")


def test_other_schemes_are_not_ours_and_leave_the_caller_anonymous() -> None:
    status, body = get_me("Bearer abc")
    assert (status, body["error"]) == (401, "missing")


def test_bad_signature_is_401_with_its_code_and_creates_nobody() -> None:
    status, body = get_me("tma " + build_init_data(USER, "1:wrong-token"))
    assert status == 401
    assert body["error"] == "bad_signature"
    assert body["detail"]
    assert not Player.objects.exists()


def test_expired_init_data_is_401_expired() -> None:
    old = int(time.time()) - settings.INITDATA_MAX_AGE - 5
    status, body = get_me("tma " + build_init_data(USER, initdata_bot_token(), auth_date=old))
    assert (status, body["error"]) == (401, "expired")


def test_future_init_data_is_401_from_future() -> None:
    ahead = int(time.time()) + 3600
    token = initdata_bot_token()
    status, body = get_me("tma " + build_init_data(USER, token, auth_date=ahead))
    assert (status, body["error"]) == (401, "from_future")


def test_garbage_is_401_malformed() -> None:
    status, body = get_me("tma %%%not-a-query")
    assert (status, body["error"]) == (401, "malformed")


@override_settings(INITDATA_MAX_AGE=60)
def test_max_age_comes_from_settings() -> None:
    old = int(time.time()) - 120
    status, body = get_me("tma " + build_init_data(USER, initdata_bot_token(), auth_date=old))
    assert (status, body["error"]) == (401, "expired")


def test_identity_comes_from_init_data_never_from_the_body(client_for) -> None:
    client = client_for(111)
    response = client.post(
        "/api/users",
        data=json.dumps({"game_name": "Honest", "telegram_id": 222, "id": 222}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert Player.objects.get(telegram_id=111).game_name == "Honest"
    assert not Player.objects.filter(telegram_id=222).exists()
