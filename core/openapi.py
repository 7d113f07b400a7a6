"""The error answers every API operation documents, in the one error vocabulary.

Each app's `apis.py` lists the statuses its operation can answer with `error_responses(...)`, so
the schema at `/api/schema/` names every status a client may see (a schemathesis run in
`core/tests/test_schema_conformance.py` holds it to that).
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="Machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable explanation.")


# Why each status happens, as the schema tells it.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid input: `fields` names each invalid field.",
    401: "initData missing, malformed, badly signed, expired or from the future.",
    403: "Banned, or not a player (signed in without Telegram).",
    404: "No such player (or unknown and banned players alike).",
    413: "Request body over `MAX_REQUEST_BODY_BYTES`.",
    414: "Request line too long: gunicorn or nginx refuses it, with a plain-text body.",
    429: "Too many requests; wait `Retry-After` seconds. Nothing was applied.",
    503: "Database or cache unavailable; wait `Retry-After` seconds. Nothing was applied.",
}

# Every operation can meet these: no or bad initData, an oversized request, a backing outage.
COMMON_ERRORS = (401, 413, 414, 503)
# Answered before Django sees the request, so not in the API's JSON shape.
NO_JSON_BODY = frozenset({414})


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """`{"error", "detail"}` responses for `statuses` plus the common ones, for `extend_schema`."""
    return {
        status: OpenApiResponse(
            None if status in NO_JSON_BODY else ErrorSerializer,
            description=ERROR_DESCRIPTIONS[status],
        )
        for status in sorted({*statuses, *COMMON_ERRORS})
    }
