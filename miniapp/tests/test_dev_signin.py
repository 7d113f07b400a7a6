"""Dev sign-in: DEBUG-only signed initData that goes through the real authentication path."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from miniapp.dev_signin import dev_init_data, dev_user
from players.models import Player
from telegram_auth.initdata import InitDataError, build_init_data, validate

pytestmark = pytest.mark.django_db
REAL_TOKEN = "7000000001:AAE-the-real-bot-token"


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


def _sign(client, **extra) -> object:
    return client.post(
        "/api/dev/initdata", {"name": "eve"}, content_type="application/json", **extra
    )


@pytest.mark.parametrize("address", ["192.168.1.20", "10.0.0.7", "2001:db8::1", "not-an-ip"])
def test_dev_signer_refuses_a_client_that_is_not_on_loopback(client, address: str) -> None:
    assert client.get("/dev/signin", REMOTE_ADDR=address).status_code == 404
    assert client.post("/dev/signin", {"name": "eve"}, REMOTE_ADDR=address).status_code == 404
    assert _sign(client, REMOTE_ADDR=address).status_code == 404
    assert _sign(client, REMOTE_ADDR="::1").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP", "HTTP_CF_CONNECTING_IP"],
)
def test_dev_signer_refuses_a_request_forwarded_by_a_local_tunnel(client, header: str) -> None:
    # A tunnel client on this machine connects from 127.0.0.1 but says whom it forwards.
    response = _sign(client, REMOTE_ADDR="127.0.0.1", **{header: "203.0.113.9"})
    assert response.status_code == 404
    assert "init_data" not in response.content.decode()


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_dev_signer_judges_the_client_behind_a_trusted_proxy(client) -> None:
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert _sign(client, **behind_proxy).status_code == 404
    spoofed = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1, 198.51.100.4"}
    assert _sign(client, **spoofed).status_code == 404
    # Sent straight to the server (no proxy there), claiming to come from loopback.
    forged = {"REMOTE_ADDR": "198.51.100.4", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}
    assert _sign(client, **forged).status_code == 404
    local_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}
    assert _sign(client, **local_proxy).status_code == 200


@override_settings(DEV_BOT_TOKEN="")
def test_dev_signer_refuses_when_no_dev_token_is_set(client) -> None:
    assert client.get("/dev/signin").status_code == 404
    assert _sign(client).status_code == 404
    with pytest.raises(RuntimeError, match="DEV_BOT_TOKEN"):
        dev_init_data("eve")


@override_settings(TELEGRAM_BOT_TOKEN=REAL_TOKEN)
def test_dev_signer_never_signs_with_the_real_bot_token(client) -> None:
    assert client.get("/dev/signin").status_code == 404
    assert client.post("/dev/signin", {"name": "eve"}).status_code == 404
    assert _sign(client).status_code == 404
    with pytest.raises(RuntimeError, match="TELEGRAM_BOT_TOKEN"):
        dev_init_data("eve")


def test_dev_init_data_is_signed_with_the_dev_token_only(settings) -> None:
    init_data = dev_init_data("eve")
    user = validate(init_data, settings.DEV_BOT_TOKEN, max_age=60)
    assert user.telegram_id == dev_user("eve")["id"]
    with pytest.raises(InitDataError):
        validate(init_data, REAL_TOKEN, max_age=60)


def test_dev_signed_init_data_is_refused_once_a_real_token_is_set(settings) -> None:
    settings.TELEGRAM_BOT_TOKEN = REAL_TOKEN
    api = APIClient()
    dev_signed = build_init_data(dev_user("eve"), settings.DEV_BOT_TOKEN)
    api.credentials(HTTP_AUTHORIZATION=f"tma {dev_signed}")
    response = api.get("/api/me")
    assert (response.status_code, response.json()["error"]) == (401, "bad_signature")
    assert not Player.objects.exists()


@override_settings(DEV_BOT_TOKEN="", TELEGRAM_BOT_TOKEN="")
def test_without_any_bot_token_no_init_data_is_accepted() -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"tma {build_init_data(dev_user('eve'), '')}")
    assert api.get("/api/me").status_code == 401
    assert not Player.objects.exists()
