"""Deeply nested JSON is malformed JSON: 400 with the error vocabulary, never a 500."""

import pytest
from django.urls import get_resolver
from rest_framework.views import APIView

from players.models import Player

pytestmark = pytest.mark.django_db
DEEP = "[" * 5000 + "]" * 5000


def api_write_routes(patterns: list | None = None, prefix: str = "") -> list[str]:
    """Every /api/ route whose view takes a body (POST, PUT or PATCH)."""
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            routes += api_write_routes(pattern.url_patterns, route)
            continue
        view = getattr(pattern.callback, "cls", None)
        writes = any(hasattr(view, method) for method in ("post", "put", "patch"))
        if view and issubclass(view, APIView) and route.startswith("api/") and writes:
            routes.append("/" + route)
    return routes


def test_the_scan_finds_the_write_endpoints() -> None:
    assert {"/api/users", "/api/clicks"} <= set(api_write_routes())


@pytest.mark.parametrize("path", api_write_routes())
def test_json_nested_5000_deep_is_a_400_on_every_write_endpoint(client_for, path: str) -> None:
    client = client_for(31337)
    client.get("/api/me")
    before = list(Player.objects.values())
    response = client.generic("POST", path, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["error"] == "malformed_json"
    assert list(Player.objects.values()) == before


def test_nested_json_in_the_dev_sign_in_is_a_400(client) -> None:
    response = client.post("/api/dev/initdata", DEEP, content_type="application/json")
    assert (response.status_code, response.json()["error"]) == (400, "malformed_json")
