"""The API schema tells the truth: every schemathesis check against `/api/schema/` passes.

schemathesis generates requests from the schema (valid ones, and invalid ones that must be
refused), sends them through the WSGI app signed in with real `tma` initData, and checks each
answer: no server error, every status and content type documented, bodies match their schemas,
schema-valid input accepted, schema-invalid input refused, auth enforced, undocumented methods 405.
It runs on whatever this run is configured with: SQLite and local memory by default, PostgreSQL
and Redis with DATABASE_URL and REDIS_URL (`.ci/run` does both). Seed and examples are fixed, so a
run is repeatable and bounded (about a minute).
"""

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig

from telegram_auth.initdata import build_init_data

SEED = 17
MAX_EXAMPLES = 100
PLAYER_TELEGRAM_ID = 4242
BOT_TOKEN = "424242:schema-conformance-bot-token"
# Sent by schemathesis itself (not added per call), so its auth checks can leave it out.
AUTHORIZATION = "tma " + build_init_data(
    {"id": PLAYER_TELEGRAM_ID, "first_name": "Schema"}, BOT_TOKEN
)

# A name the schema allows (3-20 characters as sent) can still break a rule that no schema can
# state: it needs a letter, may hold no blocked word and may not be someone else's name. Those
# answers are 400 with the rule's code, so for this one operation a 400 on schema-valid input is
# expected; every other check applies to it in full.
NAME_RULE_STATUSES = ["2XX", "400", "401", "403", "404", "409", "429"]


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "headers": {"Authorization": AUTHORIZATION},
        "generation": {"max-examples": MAX_EXAMPLES},
        "operations": [
            {
                "include-path": "/api/users",
                "checks": {"positive_data_acceptance": {"expected-statuses": NAME_RULE_STATUSES}},
            }
        ],
    }
)

# Loaded once at collection: the schema does not depend on the database or the cache.
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture
def production_errors(transactional_db: Any, settings: Any) -> None:
    """The app as production runs it: DEBUG off (JSON 404s under /api/), a real bot token."""
    settings.DEBUG = False
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    # Without this every generated request would be a 401 and prove nothing about the rest.
    signed_in = Client().get("/api/me", HTTP_AUTHORIZATION=AUTHORIZATION)
    assert signed_in.status_code == 200, signed_in.content


@schema.parametrize()
# One player plays through every generated request, as a real client would: the database and
# cache are set up once per operation, not reset between examples.
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_api_answers_as_its_schema_says(case: Any, production_errors: None) -> None:
    case.call_and_validate()


def _operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return document["paths"][path][method]


def test_schema_states_the_limits_the_server_enforces(settings: Any) -> None:
    from players import rules

    document = schema.raw_schema
    components = document["components"]["schemas"]
    clicks = components["ClickSyncInputRequest"]["properties"]
    assert clicks["count"]["maximum"] == settings.MAX_CLICKS_PER_SYNC
    assert clicks["seq"]["minimum"] == 1
    name_ref = _operation(document, "/api/users", "post")["requestBody"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    name = components[name_ref.rsplit("/", 1)[1]]["properties"]["game_name"]
    assert (name["minLength"], name["maxLength"]) == (rules.MIN_LENGTH, rules.MAX_LENGTH)
    (user_id,) = _operation(document, "/api/leaderboard", "get")["parameters"]
    assert user_id["schema"]["minimum"] == 1


def test_every_operation_documents_auth_size_and_outage_errors() -> None:
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "413", "414", "503"} <= statuses, (method, path, statuses)


@pytest.mark.django_db
def test_an_empty_user_id_is_refused_not_read_as_absent(client_for: Any) -> None:
    client = client_for(5150)
    assert client.get("/api/me").status_code == 200  # signed in, so only the parameter is wrong
    response = client.get("/api/leaderboard?user_id=")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["fields"]["user_id"]
