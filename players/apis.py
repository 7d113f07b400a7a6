"""HTTP API for players: the caller's profile, game names and public profiles."""

from typing import Any

from django.core.validators import MaxLengthValidator, MinLengthValidator
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clicks.selectors import sync_limits
from core.openapi import error_responses
from core.throttles import PlayerReadThrottle
from players import rules
from players.selectors import player_get_public
from players.services import player_set_game_name
from telegram_auth.signin import request_player


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SyncLimitsSerializer(serializers.Serializer):
    max_clicks_per_sync = serializers.IntegerField(help_text="Clicks per POST /api/clicks.")
    min_sync_interval_ms = serializers.IntegerField(help_text="Never sync more often.")
    max_backoff_ms = serializers.IntegerField(help_text="Longest backoff after failures.")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    game_name = serializers.CharField(allow_null=True)
    public_name = serializers.CharField()
    name_status = serializers.CharField()
    needs_name = serializers.BooleanField(
        read_only=True,
        help_text="True when the game must ask for a (new) name: none yet, or a moderator "
        "refused it.",
    )
    clicks = serializers.IntegerField()
    seq = serializers.IntegerField(source="last_seq")
    created_at = serializers.DateTimeField()
    # The click sync limits both clients use, from the server (issue 12: one source of truth).
    limits = serializers.SerializerMethodField()

    @extend_schema_field(SyncLimitsSerializer)
    def get_limits(self, _player: object) -> dict[str, int]:
        return dict(SyncLimitsSerializer(sync_limits()).data)


class PublicPlayerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    game_name = serializers.CharField(source="public_name")
    clicks = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class MeApi(APIView):
    throttle_classes = [PlayerReadThrottle]

    @extend_schema(
        responses={200: MeSerializer, **error_responses(403, 429)}, operation_id="me_retrieve"
    )
    def get(self, request: Request) -> Response:
        """The caller's own profile, including the state of their game name."""
        return Response(MeSerializer(request_player(request)).data)


class NameTooShort(MinLengthValidator):
    code = "too_short"
    message = "A game name needs at least %(limit_value)d characters."


class NameTooLong(MaxLengthValidator):
    code = "too_long"
    message = "A game name has at most %(limit_value)d characters."


class GameNameApi(APIView):
    class InputSerializer(serializers.Serializer):
        # The length as sent is documented and checked with the rules' codes; the rest of the
        # rules (letters, blocked words, taken) apply to the normalised name in the service.
        game_name = StrictCharField(
            trim_whitespace=False,
            validators=[NameTooShort(rules.MIN_LENGTH), NameTooLong(rules.MAX_LENGTH)],
            error_messages={"blank": f"A game name needs at least {rules.MIN_LENGTH} characters."},
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: MeSerializer, 201: MeSerializer, **error_responses(400, 403, 429)},
        operation_id="users_set_game_name",
    )
    def post(self, request: Request) -> Response:
        """Set (201) or change (200) the caller's game name."""
        player = request_player(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        first = player_set_game_name(player=player, game_name=data.validated_data["game_name"])
        return Response(
            MeSerializer(player).data,
            status=status.HTTP_201_CREATED if first else status.HTTP_200_OK,
        )


class PublicPlayerApi(APIView):
    throttle_classes = [PlayerReadThrottle]

    @extend_schema(
        responses={200: PublicPlayerSerializer, **error_responses(403, 404, 429)},
        operation_id="user_retrieve",
    )
    def get(self, request: Request, player_id: int) -> Response:
        """A player's public profile: game name, clicks and join date."""
        return Response(PublicPlayerSerializer(player_get_public(player_id=player_id)).data)
