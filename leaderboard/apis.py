"""HTTP API for the leaderboard."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import error_responses
from core.throttles import PlayerReadThrottle
from leaderboard.selectors import leaderboard_for
from telegram_auth.signin import request_player_for_read


class EntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 + players with more clicks (ties share a rank).")
    player_id = serializers.IntegerField()
    game_name = serializers.CharField(help_text="Public name; `Player #id` when not shown.")
    clicks = serializers.IntegerField()
    share = serializers.FloatField(help_text="Percent of all clicks, unrounded; 0 when none.")


class LeaderboardSerializer(serializers.Serializer):
    total_clicks = serializers.IntegerField()
    total_players = serializers.IntegerField(help_text="Visible (not banned) players.")
    top = EntrySerializer(many=True, help_text="The first 5, by clicks then player id.")
    around = EntrySerializer(
        many=True,
        help_text="The player with the entries directly above and below, minus any in `top`; "
        "empty when the player is in `top`.",
    )
    me = EntrySerializer()
    poll_interval_ms = serializers.IntegerField(
        min_value=5000,
        max_value=30000,
        help_text="Ask for the leaderboard again after this long: at least 5 s, as long as "
        "the sync interval when the server is busy, 30 s while the live board is degraded.",
    )
    source = serializers.ChoiceField(
        choices=["snapshot"],
        required=False,
        help_text="Only when ranks come from the periodic snapshot (live board unavailable).",
    )
    stale_seconds = serializers.FloatField(
        required=False,
        help_text="With `source`: how old the snapshot's ranks and `total_players` are.",
    )


class LeaderboardApi(APIView):
    throttle_classes = [PlayerReadThrottle]

    class InputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=2**63 - 1,
            help_text="Centre the board on this player (default: caller).",
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: LeaderboardSerializer, **error_responses(400, 403, 404, 429)},
        operation_id="leaderboard_retrieve",
    )
    def get(self, request: Request) -> Response:
        """The top 5 and a player's own place with neighbours (404 for unknown/banned)."""
        caller = request_player_for_read(request)
        # A plain dict, so an empty `?user_id=` is refused rather than read as absent.
        data = self.InputSerializer(data=request.query_params.dict())
        data.is_valid(raise_exception=True)
        player_id = data.validated_data.get("user_id", caller.pk)
        return Response(LeaderboardSerializer(leaderboard_for(player_id=player_id)).data)
