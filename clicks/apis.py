"""HTTP API for click sync: `POST /api/clicks`."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clicks.services import MAX_BATCH_ID, MAX_SEQ, clicks_sync
from core.negotiation import SingleRendererNegotiation
from core.openapi import error_responses
from telegram_auth.signin import request_telegram_id


class StrictIntegerField(serializers.IntegerField):
    """An integer that arrives as a JSON integer: booleans, floats (even 3.0) and strings fail."""

    default_error_messages = {"invalid": "A JSON integer is required."}

    def to_internal_value(self, data: Any) -> int:
        if type(data) is not int:
            self.fail("invalid")
        return super().to_internal_value(data)


class ClickSyncInputSerializer(serializers.Serializer):
    seq = StrictIntegerField(
        min_value=1, max_value=MAX_SEQ, help_text="Batch number, +1 per new batch."
    )
    count = StrictIntegerField(
        min_value=0, help_text="Clicks in this batch, at most MAX_CLICKS_PER_SYNC."
    )
    batch = StrictIntegerField(
        min_value=1,
        max_value=MAX_BATCH_ID,
        required=False,
        help_text=(
            "The client's random id of this batch, the same on every resend of it; it lets the "
            "answer say `same_batch`. Leave it out and it is 0 (none)."
        ),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Documented as the maximum; enforced by validate_count with its own message.
        fields["count"].max_value = settings.MAX_CLICKS_PER_SYNC
        return fields

    def validate_count(self, value: int) -> int:
        # Checked here, not as max_value, so the setting is read per request.
        if value > settings.MAX_CLICKS_PER_SYNC:
            raise serializers.ValidationError(
                f"At most {settings.MAX_CLICKS_PER_SYNC} clicks per sync.", code="max_value"
            )
        return value


def batch_of(data: Any) -> tuple[int, int, int]:
    """`(seq, count, batch)` of a sync body, or a 400 exactly as `ClickSyncInputSerializer` gives.

    A well-formed body (a JSON object with integer `seq` and `count` in range, and `batch` in
    range or absent) is read directly; anything else goes through the serializer, which raises
    its field errors. Both accept the same bodies (a property test checks it): building the
    serializer cost about a tenth of a sync's CPU time, and nearly every sync is well-formed.
    An absent `batch` is 0 (none).
    """
    if type(data) is dict:
        seq, count, batch = data.get("seq"), data.get("count"), data.get("batch")
        if (
            type(seq) is int
            and type(count) is int
            and 1 <= seq <= MAX_SEQ
            and 0 <= count <= settings.MAX_CLICKS_PER_SYNC
            and (
                (type(batch) is int and 1 <= batch <= MAX_BATCH_ID)
                or (batch is None and "batch" not in data)
            )
        ):
            return seq, count, batch or 0
    serializer = ClickSyncInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    valid = serializer.validated_data
    return valid["seq"], valid["count"], valid.get("batch", 0)


class ClickSyncOutputSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Clicks of this batch that were counted.")
    rejected = serializers.IntegerField(help_text="Clicks over the anti-cheat allowance.")
    duplicate = serializers.BooleanField(help_text="The seq was applied before; nothing new.")
    same_batch = serializers.BooleanField(
        help_text=(
            "A duplicate of the last applied seq with the batch id it was applied with: this "
            "very batch was counted before (its answer was lost). False for a duplicate that may "
            "be another batch (another device took the seq), for a sync without `batch`, and "
            "for a batch applied now."
        )
    )
    seq = serializers.IntegerField(help_text="The last applied seq.")
    clicks = serializers.IntegerField(help_text="The player's total clicks.")
    total_clicks = serializers.IntegerField(help_text="All players' clicks together.")
    sync_interval_ms = serializers.IntegerField(help_text="Wait this long before next sync.")


class ClickSyncApi(APIView):
    # The hot path of the game: JSON only, whatever Accept says (no negotiation to pay for).
    renderer_classes = [JSONRenderer]
    content_negotiation_class = SingleRendererNegotiation

    @extend_schema(
        operation_id="clicks_sync",
        request=ClickSyncInputSerializer,
        responses={200: ClickSyncOutputSerializer, **error_responses(400, 403, 404, 429)},
    )
    def post(self, request: Request) -> Response:
        """Send a batch of clicks; resending the same seq (and batch) is safe and counts once."""
        # The id alone: the sync statement finds (or the service creates) the player itself.
        telegram_id = request_telegram_id(request)
        # The per-player sync rate (CLICK_SYNC_RATE) is checked inside the sync's own database
        # statement: no Redis round trip, and play goes on while Redis is away.
        seq, count, batch = batch_of(request.data)
        result = clicks_sync(
            telegram_id=telegram_id,
            seq=seq,
            count=count,
            batch=batch,
            first_name=request.user.first_name,
            username=request.user.username,
            language_code=request.user.language_code,
        )
        # The output serializer documents the response; the answer holds exactly its fields as
        # plain ints and a bool, so it is rendered directly (building the serializer cost a
        # tenth of a sync's CPU time).
        return Response(result.as_json())
