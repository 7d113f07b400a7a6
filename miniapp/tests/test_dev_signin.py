"""Dev sign-in: DEBUG-only signed initData that goes through the real authentication path."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from players.models import Player

pytestmark = pytest.mark.django_db


def test_page_signs_init_data_that_the_api_accepts(client) -> None:
    page = client.post("/dev/signin", {"name": "alice"})
    assert page.status_code == 200
    init_data = page.context["init_data"]
    assert "#tgWebAppData=" in page.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"tma {init_data}")
    assert api.get("/api/me").status_code == 200
    assert Player.objects.get().first_name == "alice"


def test_same_dev_name_is_the_same_player(client) -> None:
    first = client.post("/api/dev/initdata", {"name": "bob"}, content_type="application/json")
    again = client.post("/api/dev/initdata", {"name": "bob"}, content_type="application/json")
    other = client.post("/api/dev/initdata", {"name": "carol"}, content_type="application/json")
    assert first.json()["telegram_id"] == again.json()["telegram_id"]
    assert first.json()["telegram_id"] != other.json()["telegram_id"]


def test_json_endpoint_requires_a_name(client) -> None:
    response = client.post("/api/dev/initdata", {"name": "  "}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "required"


def test_json_endpoint_rejects_malformed_json(client) -> None:
    response = client.post("/api/dev/initdata", "{oops", content_type="application/json")
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")


@override_settings(DEBUG=False)
def test_dev_sign_in_does_not_exist_without_debug(client) -> None:
    assert client.get("/dev/signin").status_code == 404
    response = client.post("/api/dev/initdata", {"name": "x"}, content_type="application/json")
    assert response.status_code == 404
