"""Probes and the API documentation, all served offline."""

from unittest import mock

import pytest
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_health_is_ok(client) -> None:
    response = client.get("/health")
    assert (response.status_code, response.json()["status"]) == (200, "ok")


def test_ready_checks_database_and_cache(client) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "cache": True}


def test_ready_is_503_when_the_database_is_down(client) -> None:
    with mock.patch("core.health.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False
    assert response["Retry-After"]


def test_ready_is_503_when_the_cache_is_down(client) -> None:
    with mock.patch("core.health.cache.set", side_effect=ConnectionError("down")):
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "cache": False}


def test_openapi_schema_lists_the_player_endpoints(client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/me", "/api/users", "/api/user/{player_id}"} <= set(paths)


@pytest.mark.parametrize("url", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_our_static_files(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html


def test_sidecar_assets_are_served(client) -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")


def test_api_index_points_at_the_docs(client) -> None:
    body = client.get("/api/").json()
    assert body["docs"].endswith("/docs")
    assert "sync_clicks" in body["endpoints"]


@pytest.mark.parametrize("url", ["/docs", "/redoc"])
def test_docs_pages_reference_no_other_host(client, url) -> None:
    import re

    html = client.get(url).content.decode()
    external = re.findall(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)]*""", html)
    assert external == [], f"{url} loads from the internet: {external}"


def test_swagger_ui_asks_no_online_validator(client) -> None:
    response = client.get("/docs")
    script = response.content.decode()
    assert '"validatorUrl": null' in script


def test_redoc_page_forbids_images_and_fonts_from_other_hosts(client) -> None:
    # ReDoc's bundle always renders a footer logo from cdn.redoc.ly; the page's policy blocks it.
    html = client.get("/redoc").content.decode()
    assert "img-src 'self' data: blob:; font-src 'self' data:" in html
