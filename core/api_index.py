"""The API's front page: what there is and where the docs are."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class ApiIndex(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        """List the endpoints and documentation links."""
        return Response(
            {
                "auth": "Authorization: tma <Telegram.WebApp.initData>",
                "docs": request.build_absolute_uri(reverse("swagger-ui")),
                "redoc": request.build_absolute_uri(reverse("redoc")),
                "schema": request.build_absolute_uri(reverse("schema")),
                "endpoints": {
                    "me": "GET /api/me",
                    "set_game_name": "POST /api/users",
                    "public_profile": "GET /api/user/{id}",
                    "sync_clicks": "POST /api/clicks",
                    "leaderboard": "GET /api/leaderboard[?user_id={id}]",
                },
            }
        )
