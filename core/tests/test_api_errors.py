"""Every answer under /api/ is JSON `{"error", "detail"}`, whoever produced it."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory

from core.errors import api_error_as_json

pytestmark = pytest.mark.django_db

# What a browser sends for a page: HTML first, anything else accepted.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_api_path_is_a_json_404(client, settings, debug: bool) -> None:
    settings.DEBUG = debug
    assert_json_error(client.get("/api/no/such/thing"), 404, "not_found")


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_page_outside_the_api_stays_html(client, settings, debug: bool) -> None:
    settings.DEBUG = debug
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_get_on_the_dev_initdata_endpoint_is_a_json_405(client, settings) -> None:
    settings.DEBUG = True
    response = client.get("/api/dev/initdata")
    body = assert_json_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert body["detail"] == "GET is not allowed here; use POST."


@pytest.mark.parametrize("debug", [True, False])
def test_a_wrong_method_on_an_api_view_is_a_json_405(client, settings, debug: bool) -> None:
    settings.DEBUG = debug
    assert_json_error(client.delete("/api/"), 405, "method_not_allowed")


def test_a_server_error_page_under_the_api_becomes_json() -> None:
    request = RequestFactory().get("/api/me")
    page = HttpResponse("<h1>Server Error</h1>", status=500, content_type="text/html")
    page["Retry-After"] = "5"
    response = api_error_as_json(request, page)
    assert_json_error(response, 500, "server_error")
    assert response["Retry-After"] == "5"


def test_answers_that_are_not_api_errors_pass_through_unchanged() -> None:
    factory = RequestFactory()
    ok = HttpResponse("<p>fine</p>", content_type="text/html")
    assert api_error_as_json(factory.get("/api/"), ok) is ok
    page = HttpResponse("<h1>Not Found</h1>", status=404, content_type="text/html")
    assert api_error_as_json(factory.get("/admin/nope"), page) is page


def test_staff_browsing_the_api_get_json_not_a_browsable_page(client) -> None:
    staff = get_user_model().objects.create_user("staff", password="pw-12345!", is_staff=True)
    client.force_login(staff)
    index = client.get("/api/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert index.status_code == 200
    assert index["Content-Type"].startswith("application/json")
    me = client.get("/api/me", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert_json_error(me, 403, "not_a_player")


def test_the_schema_offers_only_the_initdata_scheme(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["components"]["securitySchemes"]) == {"TelegramInitData"}
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for requirement in operation.get("security", []):
                assert set(requirement) <= {"TelegramInitData"}


def test_a_json_405_is_logged_once(client, settings, caplog) -> None:
    settings.DEBUG = True
    with caplog.at_level("WARNING", logger="django.request"):
        client.get("/api/dev/initdata")
    assert len([r for r in caplog.records if r.name == "django.request"]) == 1
