"""Benchmark-only URLs: every clickgame URL plus `POST /bench/floor`, the cost floor.

The floor is the least a click sync could possibly cost in this deployment: one DRF request with
a JSON body and a JSON answer, doing one `UPDATE ... RETURNING` on PostgreSQL, with no
authentication, no rate limit and no Redis. It is not part of the app.
"""

from typing import Any

from django.db import connection
from django.urls import URLPattern, URLResolver, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clickgame.urls import urlpatterns as app_urlpatterns
from players.models import Player

FLOOR_SQL = (
    f"UPDATE {Player._meta.db_table} SET last_seen_at = now() "  # noqa: S608 (model table name)
    "WHERE id = %s RETURNING clicks"
)


class FloorApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        """Touch one player row and return its clicks: one round trip to PostgreSQL."""
        player_id = request.data.get("player_id") if isinstance(request.data, dict) else None
        if type(player_id) is not int:
            return Response({"error": "invalid", "detail": "player_id: integer"}, status=400)
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [player_id])
            row = cursor.fetchone()
        return Response({"clicks": row[0] if row else None})


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/floor", FloorApi.as_view(), name="bench-floor"),
    *app_urlpatterns,
]
