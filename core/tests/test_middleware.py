"""Request guards: body size limit, proxy trust, JSON errors for bad bodies."""

import pytest
from django.test import override_settings

from core.middleware import client_ip
from players.models import Player


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("10.0.0.1", "", 0, "10.0.0.1"),
        ("10.0.0.1", "6.6.6.6", 0, "10.0.0.1"),
        ("10.0.0.1", "1.2.3.4", 1, "1.2.3.4"),
        ("10.0.0.1", "6.6.6.6, 1.2.3.4", 1, "1.2.3.4"),
        ("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2", 2, "1.2.3.4"),
        ("10.0.0.1", "1.2.3.4", 3, "1.2.3.4"),
    ],
)
def test_forwarded_for_is_believed_only_for_trusted_proxies(
    remote: str, forwarded: str, trusted: int, expected: str
) -> None:
    assert client_ip(remote, forwarded, trusted) == expected


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_middleware_rewrites_remote_addr(rf) -> None:
    from core.middleware import TrustedProxyMiddleware

    seen = {}
    request = rf.get("/health", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4", REMOTE_ADDR="10.0.0.1")
    TrustedProxyMiddleware(lambda r: seen.setdefault("ip", r.META["REMOTE_ADDR"]))(request)
    assert seen["ip"] == "1.2.3.4"


@pytest.mark.django_db
def test_oversized_body_is_413_and_changes_nothing(client_for, settings) -> None:
    client = client_for(10)
    client.get("/api/me")
    body = '{"game_name": "' + "a" * (settings.MAX_REQUEST_BODY_BYTES + 10) + '"}'
    response = client.post("/api/users", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert Player.objects.get().game_name is None


@pytest.mark.django_db
def test_unknown_api_method_is_405_json(client_for) -> None:
    response = client_for(10).delete("/api/me")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


@pytest.mark.django_db
def test_unrouted_api_path_is_a_json_404(client, settings) -> None:
    settings.DEBUG = False
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.django_db
def test_non_api_routes_accept_bodies_over_the_api_limit(client, settings) -> None:
    body = "x" * (settings.MAX_REQUEST_BODY_BYTES + 10)
    response = client.post("/api/dev/initdata", body, content_type="application/json")
    assert response.status_code == 413
    webhook = client.post("/telegram/webhook", body, content_type="application/json")
    assert webhook.status_code != 413


@pytest.mark.django_db
def test_cache_outage_during_a_name_change_is_503_and_changes_nothing(client_for) -> None:
    from unittest import mock

    from django_redis.exceptions import ConnectionInterrupted

    client = client_for(10)
    client.get("/api/me")
    with mock.patch(
        "core.ratelimits.get_usage", side_effect=ConnectionInterrupted(connection=None)
    ):
        response = client.post("/api/users", {"game_name": "Outage"}, format="json")
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert response["Retry-After"]
    assert Player.objects.get().game_name is None
