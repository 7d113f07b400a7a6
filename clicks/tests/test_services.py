"""Click sync, reset and the totals they keep, called as services with an injected clock."""

import math
import random
import time
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from psycopg import _queries as psycopg_queries

from clicks.live import ACTIVE_PLAYERS_KEY, REDIS_RETRY_SECONDS, sync_redis_pause
from clicks.models import ClickDay, ClickReset
from clicks.rules import MAX_SYNC_INTERVAL_MS, ClickCap, SyncRate, apply_cap, sync_window
from clicks.services import clicks_reset, clicks_sync, stats_recalculate
from clicks.tests.conftest import (
    board_score,
    history_total,
    players_total,
    postgres_only,
    redis_failing,
    redis_only,
    shard_total,
)
from core.errors import Forbidden, InvalidInput, NotFound, RateLimited, ServiceUnavailable
from leaderboard.live import BOARD_KEY, member_for
from leaderboard.models import ClickTotalShard, shard_for
from players.models import Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC).timestamp()


def day_rows(player: Player) -> list[tuple[date, int, int, int]]:
    return list(
        ClickDay.objects.filter(player=player)
        .order_by("day")
        .values_list("day", "clicks", "rejected", "syncs")
    )


class TestSync:
    def test_batches_add_up_in_player_history_and_global_total(self) -> None:
        ann, bob = PlayerFactory(), PlayerFactory()
        clicks_sync(telegram_id=ann.telegram_id, seq=1, count=30, now=NOON)
        clicks_sync(telegram_id=bob.telegram_id, seq=1, count=12, now=NOON)
        result = clicks_sync(telegram_id=ann.telegram_id, seq=2, count=5, now=NOON + 1)
        assert (result.clicks, result.total_clicks) == (35, 47)
        ann.refresh_from_db()
        assert (ann.clicks, ann.last_seq, ann.last_sync_accepted) == (35, 2, 5)
        assert history_total(ann) == 35
        assert shard_total() == players_total() == 47

    def test_duplicate_changes_nothing_and_does_not_count_a_sync(self) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=7, count=9, now=NOON)
        result = clicks_sync(telegram_id=player.telegram_id, seq=7, count=9, now=NOON + 5)
        # Answered as the first time (accepted 9), without counting anything again.
        assert (result.duplicate, result.accepted, result.seq, result.clicks) == (True, 9, 7, 9)
        assert day_rows(player) == [(date(2026, 5, 1), 9, 0, 1)]
        player.refresh_from_db()
        assert player.last_seen_at == datetime.fromtimestamp(NOON, tz=UTC)

    def test_the_same_batch_resent_is_answered_as_counted_and_counts_once(self) -> None:
        player = PlayerFactory()
        first = clicks_sync(telegram_id=player.telegram_id, seq=1, count=30, batch=5, now=NOON)
        again = clicks_sync(telegram_id=player.telegram_id, seq=1, count=30, batch=5, now=NOON)
        assert (first.duplicate, first.same_batch) == (False, False)
        assert (again.duplicate, again.same_batch, again.accepted, again.clicks) == (
            True,
            True,
            30,
            30,
        )
        player.refresh_from_db()
        assert (player.clicks, player.last_seq, player.last_sync_batch) == (30, 1, 5)
        assert day_rows(player) == [(date(2026, 5, 1), 30, 0, 1)]
        assert shard_total() == 30

    @pytest.mark.parametrize(("applied", "resent"), [(5, 6), (5, 0), (0, 5), (0, 0)])
    def test_a_duplicate_is_the_same_batch_only_with_the_id_it_was_applied_with(
        self, applied, resent
    ) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=30, batch=applied, now=NOON)
        result = clicks_sync(
            telegram_id=player.telegram_id, seq=1, count=4, batch=resent, now=NOON + 1
        )
        assert (result.duplicate, result.same_batch, result.clicks) == (True, False, 30)
        player.refresh_from_db()
        assert (player.clicks, player.last_sync_batch) == (30, applied)
        assert day_rows(player) == [(date(2026, 5, 1), 30, 0, 1)]

    def test_a_seq_older_than_the_last_is_never_the_same_batch(self) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=3, batch=5, now=NOON)
        clicks_sync(telegram_id=player.telegram_id, seq=2, count=4, batch=6, now=NOON + 1)
        result = clicks_sync(telegram_id=player.telegram_id, seq=1, count=3, batch=5, now=NOON)
        assert (result.duplicate, result.same_batch, result.seq, result.accepted) == (
            True,
            False,
            2,
            0,
        )

    @pytest.mark.parametrize("batch", [-1, 2**53, 2**63, True, 1.0, "1", None])
    def test_a_bad_batch_id_is_refused_and_nothing_changes(self, batch) -> None:
        player = PlayerFactory(clicks=5, last_seq=1)
        with pytest.raises(InvalidInput) as refused:
            clicks_sync(telegram_id=player.telegram_id, seq=2, count=1, batch=batch, now=NOON)
        assert refused.value.code == "invalid_batch"
        player.refresh_from_db()
        assert (player.clicks, player.last_seq, player.last_sync_batch) == (5, 1, 0)
        assert not ClickDay.objects.exists()

    def test_rejected_clicks_are_counted_with_the_last_rejection_time(self) -> None:
        player = PlayerFactory()
        first = clicks_sync(telegram_id=player.telegram_id, seq=1, count=1000, now=NOON)
        assert (first.accepted, first.rejected) == (600, 400)
        # One second later the bucket holds 20 clicks.
        second = clicks_sync(telegram_id=player.telegram_id, seq=2, count=50, now=NOON + 1)
        assert (second.accepted, second.rejected) == (20, 30)
        # Ten seconds later an honest batch is accepted whole; the last rejection stays.
        third = clicks_sync(telegram_id=player.telegram_id, seq=3, count=100, now=NOON + 11)
        assert (third.accepted, third.rejected) == (100, 0)
        player.refresh_from_db()
        assert (player.clicks, player.rejected_clicks) == (720, 430)
        assert player.last_rejected_at == datetime.fromtimestamp(NOON + 1, tz=UTC)
        assert day_rows(player) == [(date(2026, 5, 1), 720, 430, 3)]

    def test_each_utc_day_has_its_own_aggregate(self) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=10, now=NOON)
        clicks_sync(telegram_id=player.telegram_id, seq=2, count=20, now=NOON + 3600)
        clicks_sync(telegram_id=player.telegram_id, seq=3, count=30, now=NOON + 86400)
        assert day_rows(player) == [(date(2026, 5, 1), 30, 0, 2), (date(2026, 5, 2), 30, 0, 1)]

    def test_a_banned_player_is_refused_and_nothing_changes(self) -> None:
        player = PlayerFactory(is_banned=True, clicks=5, last_seq=2)
        with pytest.raises(Forbidden) as refused:
            clicks_sync(telegram_id=player.telegram_id, seq=3, count=10, now=NOON)
        assert refused.value.code == "banned"
        player.refresh_from_db()
        assert (player.clicks, player.last_seq, player.last_seen_at) == (5, 2, None)
        assert not ClickDay.objects.exists()

    @pytest.mark.parametrize(
        ("seq", "count"), [(0, 1), (1, -1), (1, 1001), (True, 1), (1, 2.0), ("1", 1), (2**63, 1)]
    )
    def test_out_of_range_input_is_refused_by_the_service_too(self, seq, count) -> None:
        with pytest.raises(InvalidInput):
            clicks_sync(telegram_id=1234, seq=seq, count=count, now=NOON)
        assert not Player.objects.exists()

    def test_a_player_deleted_while_being_created_is_not_found(self) -> None:
        with (
            mock.patch("clicks.services.player_sign_in"),
            pytest.raises(NotFound),
        ):
            clicks_sync(telegram_id=4321, seq=1, count=1, now=NOON)

    @redis_only
    def test_sync_interval_grows_with_players_active_in_redis(self, settings) -> None:
        settings.SYNC_BUDGET_RPS = 2
        intervals = [
            clicks_sync(
                telegram_id=player.telegram_id, seq=1, count=1, now=NOON + n
            ).sync_interval_ms
            for n, player in enumerate(PlayerFactory.create_batch(5))
        ]
        assert intervals == [1000, 1000, 1500, 2000, 2500]
        # A minute later the first players no longer count.
        late = PlayerFactory()
        result = clicks_sync(telegram_id=late.telegram_id, seq=1, count=1, now=NOON + 62.5)
        assert result.sync_interval_ms == 1500

    @pytest.mark.skipif(bool(django_settings.REDIS_URL), reason="the database count without Redis")
    def test_sync_interval_without_redis_uses_a_briefly_cached_database_count(
        self, settings
    ) -> None:
        settings.SYNC_BUDGET_RPS = 2
        players = PlayerFactory.create_batch(5)
        intervals = [
            clicks_sync(
                telegram_id=player.telegram_id, seq=1, count=1, now=NOON + n
            ).sync_interval_ms
            for n, player in enumerate(players)
        ]
        assert intervals == [1000] * 5  # the count of the first sync, cached
        cache.clear()
        result = clicks_sync(telegram_id=players[0].telegram_id, seq=2, count=1, now=NOON + 5)
        assert result.sync_interval_ms == 2500

    def test_database_failure_is_service_unavailable(self) -> None:
        player = PlayerFactory()
        with (
            mock.patch("clicks.services._apply", side_effect=OperationalError("connection lost")),
            pytest.raises(ServiceUnavailable),
        ):
            clicks_sync(telegram_id=player.telegram_id, seq=1, count=1, now=NOON)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the ORM path (SQLite and others)")
def test_a_failure_midway_rolls_the_whole_sync_back_on_the_locked_path() -> None:
    player = PlayerFactory(clicks=5, last_seq=1)
    with (
        mock.patch(
            "clicks.services.ClickTotalShard.objects.filter",
            side_effect=OperationalError("disk I/O error"),
        ),
        pytest.raises(ServiceUnavailable),
    ):
        clicks_sync(telegram_id=player.telegram_id, seq=2, count=10, now=NOON)
    player.refresh_from_db()
    assert (player.clicks, player.last_seq, player.last_seen_at) == (5, 1, None)
    assert not ClickDay.objects.exists()
    assert shard_total() == 0


@postgres_only
def test_a_failure_midway_rolls_the_whole_statement_back_on_postgresql() -> None:
    player = PlayerFactory(clicks=5, last_seq=1)
    shard_table = ClickTotalShard._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_fail_shard() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'out of disk' USING ERRCODE = '53100'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_fail_shard BEFORE UPDATE ON {shard_table} "
            "FOR EACH ROW EXECUTE FUNCTION test_fail_shard()"
        )
    # The test runs inside a transaction; a savepoint stands in for the request's autocommit.
    with pytest.raises(ServiceUnavailable), transaction.atomic():
        clicks_sync(telegram_id=player.telegram_id, seq=2, count=10, now=NOON)
    player.refresh_from_db()
    assert (player.clicks, player.last_seq, player.last_seen_at) == (5, 1, None)
    assert not ClickDay.objects.exists()
    assert shard_total() == 0


@postgres_only
def test_a_batch_that_committed_after_the_statements_snapshot_is_still_the_same_batch() -> None:
    player = PlayerFactory(clicks=4, last_seq=1)
    clicks_sync(telegram_id=player.telegram_id, seq=2, count=3, batch=88, now=NOON)
    # As a statement whose snapshot predates that commit sees the row: seq 2 not there yet.
    stale = (player.pk, 4, 1, 0, 0, False, False, 0, 0.0, False)
    with mock.patch("clicks.services.sync_statement_run", return_value=stale):
        again = clicks_sync(telegram_id=player.telegram_id, seq=2, count=3, batch=88, now=NOON)
        other = clicks_sync(telegram_id=player.telegram_id, seq=2, count=3, batch=89, now=NOON)
    assert (again.duplicate, again.same_batch, again.accepted, again.clicks) == (True, True, 3, 7)
    assert (other.duplicate, other.same_batch) == (True, False)


@postgres_only
def test_the_sql_cap_agrees_with_the_python_rules() -> None:
    # The statement repeats rules.apply_cap in SQL; both must decide every case alike.
    rng = random.Random(7)
    cap = ClickCap.of(per_second=20, burst_seconds=30)
    player = PlayerFactory()
    for seq in range(1, 201):
        allowance = rng.choice([0.0, 0.5, 599.999, 600.0, rng.uniform(-0.001, 600)])
        allowance_at = NOON - rng.choice([0, 0.001, 0.05, 1.37, 29.99, 1000])
        now = NOON + rng.choice([0, -3, 0.025, 0.05])
        count = rng.choice([0, 1, 19, 20, 21, 599, 600, 601, 1000])
        Player.objects.filter(pk=player.pk).update(
            click_allowance=allowance, click_allowance_at=allowance_at, sync_window_syncs=0
        )
        expected = apply_cap(
            cap, count=count, allowance=allowance, allowance_at=allowance_at, now=now
        )
        result = clicks_sync(telegram_id=player.telegram_id, seq=seq, count=count, now=now)
        player.refresh_from_db()
        assert (result.accepted, result.rejected) == (expected.accepted, expected.rejected)
        assert player.click_allowance == expected.allowance
        assert player.click_allowance_at == expected.allowance_at


@postgres_only
def test_the_sync_statement_is_prepared_and_no_other_query_is() -> None:
    # Django opens connections with preparing off; the sync must still plan its statement once.
    player = PlayerFactory()
    for seq in range(1, 8):
        clicks_sync(telegram_id=player.telegram_id, seq=seq, count=1, now=NOON + seq)
        assert Player.objects.filter(pk=player.pk).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    assert len(prepared) == 1
    statement, executions = prepared[0]
    assert "WITH synced AS" in statement
    assert executions >= 7


@postgres_only
def test_one_prepared_statement_whatever_number_types_the_caller_passes() -> None:
    player = PlayerFactory()
    clicks_sync(telegram_id=player.telegram_id, seq=1, count=1, now=int(NOON))
    clicks_sync(telegram_id=player.telegram_id, seq=2, count=1, now=NOON + 0.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        (prepared,) = cursor.fetchone()
    assert prepared == 1
    assert Player.objects.get(pk=player.pk).clicks == 2


@postgres_only
def test_psycopg_converts_the_sync_statement_once_not_on_every_sync() -> None:
    """psycopg caches a query's placeholder conversion only up to 4 KB; past that, converting
    the sync statement on every execute cost more CPU than the rest of the sync's Python."""
    player = PlayerFactory()
    clicks_sync(telegram_id=player.telegram_id, seq=1, count=1, now=NOON)
    with mock.patch.object(
        psycopg_queries, "_query2pg_nocache", wraps=psycopg_queries._query2pg_nocache
    ) as uncached:
        for seq in range(2, 6):
            clicks_sync(telegram_id=player.telegram_id, seq=seq, count=1, now=NOON + seq)

    assert uncached.call_count == 0
    assert Player.objects.get(pk=player.pk).clicks == 5


@postgres_only
def test_the_sql_sync_rate_agrees_with_the_python_rules(settings) -> None:
    # The statement repeats rules.sync_window in SQL; both must decide every case alike.
    settings.CLICK_SYNC_RATE = "3/m"
    rng = random.Random(11)
    rate = SyncRate.parse("3/m")
    player = PlayerFactory()
    seq = 0
    for _ in range(200):
        window_at = NOON - rng.choice([0, 0.001, 1.5, 59.999, 60, 60.001, 3600, -5])
        window_syncs = rng.choice([0, 1, 2, 3, 4])
        Player.objects.filter(pk=player.pk).update(
            sync_window_at=window_at, sync_window_syncs=window_syncs
        )
        expected = sync_window(rate, window_at=window_at, window_syncs=window_syncs, now=NOON)
        seq += 1
        try:
            result = clicks_sync(telegram_id=player.telegram_id, seq=seq, count=1, now=NOON)
        except RateLimited as refused:
            assert not expected.allowed
            assert refused.retry_after == math.ceil(expected.retry_after)
            seq -= 1  # nothing applied; the client sends this seq again
        else:
            assert expected.allowed and not result.duplicate
        player.refresh_from_db()
        assert (player.sync_window_at, player.sync_window_syncs) == (
            expected.window_at,
            expected.window_syncs,
        )
        assert player.last_seq == seq


@redis_only
class TestLiveBoard:
    def test_syncs_increment_the_board_once_per_applied_batch(self, redis) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=40, now=NOON)
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=40, now=NOON)
        clicks_sync(telegram_id=player.telegram_id, seq=2, count=2, now=NOON + 1)
        assert board_score(redis, player.pk) == 42

    def test_syncs_are_tracked_as_activity_for_a_minute(self, redis) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=1, now=NOON)
        assert redis.zscore(ACTIVE_PLAYERS_KEY, str(player.pk)) == NOON

    def test_activity_older_than_a_minute_is_pruned_now_and_then(self, redis) -> None:
        early, late = PlayerFactory.create_batch(2)
        with mock.patch("clicks.live.random.randrange", return_value=0):
            clicks_sync(telegram_id=early.telegram_id, seq=1, count=1, now=NOON)
            clicks_sync(telegram_id=late.telegram_id, seq=1, count=1, now=NOON + 61)
        assert redis.zscore(ACTIVE_PLAYERS_KEY, str(early.pk)) is None
        assert redis.zscore(ACTIVE_PLAYERS_KEY, str(late.pk)) == NOON + 61

    def test_the_board_gets_the_players_total_even_if_it_missed_earlier_syncs(self, redis) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=40, now=NOON)
        redis.zadd(BOARD_KEY, {member_for(player.pk): 3})  # as if a board write was lost
        clicks_sync(telegram_id=player.telegram_id, seq=2, count=2, now=NOON + 1)
        assert board_score(redis, player.pk) == 42

    def test_after_a_redis_error_syncs_skip_redis_briefly_then_try_again(self, redis) -> None:
        player = PlayerFactory()
        with redis_failing() as failing:
            first = clicks_sync(telegram_id=player.telegram_id, seq=1, count=8, now=NOON)
            tried = failing.call_count
            second = clicks_sync(telegram_id=player.telegram_id, seq=2, count=2, now=NOON + 1)
        assert tried >= 1
        assert failing.call_count == tried  # the second sync did not wait for Redis again
        assert first.sync_interval_ms == second.sync_interval_ms == MAX_SYNC_INTERVAL_MS
        assert second.clicks == 10
        with mock.patch.object(
            sync_redis_pause, "clock", return_value=time.monotonic() + REDIS_RETRY_SECONDS
        ):
            third = clicks_sync(telegram_id=player.telegram_id, seq=3, count=1, now=NOON + 2)
        assert third.sync_interval_ms < MAX_SYNC_INTERVAL_MS
        assert board_score(redis, player.pk) == 11

    def test_redis_failing_after_the_commit_keeps_the_clicks(self, redis) -> None:
        player = PlayerFactory()
        with redis_failing():
            result = clicks_sync(telegram_id=player.telegram_id, seq=1, count=8, now=NOON)
        assert (result.accepted, result.clicks, result.duplicate) == (8, 8, False)
        player.refresh_from_db()
        assert player.clicks == 8
        assert board_score(redis, player.pk) is None


class TestReset:
    def test_reset_zeroes_the_player_and_the_global_total_follows(
        self, django_capture_on_commit_callbacks
    ) -> None:
        ann, bob = PlayerFactory(), PlayerFactory()
        clicks_sync(telegram_id=ann.telegram_id, seq=1, count=70, now=NOON)
        clicks_sync(telegram_id=bob.telegram_id, seq=1, count=30, now=NOON)
        with django_capture_on_commit_callbacks(execute=True):
            removed = clicks_reset(player_id=ann.pk)
        assert removed == 70
        ann.refresh_from_db()
        assert ann.clicks == 0
        assert shard_total() == players_total() == 30
        reset = ClickReset.objects.get(player=ann)
        assert (reset.clicks_removed, reset.history_clicks) == (70, 70)
        # History is activity: the day still shows the clicks made before the reset.
        assert history_total(ann) == 70

    def test_recalculation_after_a_reset_does_not_bring_the_clicks_back(self) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=70, now=NOON)
        clicks_reset(player_id=player.pk)
        clicks_sync(telegram_id=player.telegram_id, seq=2, count=5, now=NOON + 10)
        report = stats_recalculate()
        assert report.players_drifted == 0
        player.refresh_from_db()
        assert player.clicks == 5
        clicks_reset(player_id=player.pk)
        clicks_sync(telegram_id=player.telegram_id, seq=3, count=3, now=NOON + 20)
        assert stats_recalculate().players_drifted == 0
        player.refresh_from_db()
        assert player.clicks == 3
        assert shard_total() == 3

    def test_resetting_a_player_with_no_clicks_records_it_and_removes_nothing(self) -> None:
        player = PlayerFactory()
        assert clicks_reset(player_id=player.pk) == 0
        assert ClickReset.objects.filter(player=player, clicks_removed=0).exists()
        assert shard_total() == 0

    def test_resetting_an_unknown_player_is_not_found(self) -> None:
        with pytest.raises(NotFound):
            clicks_reset(player_id=987654)
        assert not ClickReset.objects.exists()

    @redis_only
    def test_reset_takes_the_clicks_off_the_live_board(
        self, redis, django_capture_on_commit_callbacks
    ) -> None:
        player = PlayerFactory()
        clicks_sync(telegram_id=player.telegram_id, seq=1, count=70, now=NOON)
        with django_capture_on_commit_callbacks(execute=True):
            clicks_reset(player_id=player.pk)
        assert board_score(redis, player.pk) == 0


def test_the_shard_of_a_player_holds_their_clicks() -> None:
    player = PlayerFactory()
    clicks_sync(telegram_id=player.telegram_id, seq=1, count=11, now=NOON)
    assert ClickTotalShard.objects.get(shard=shard_for(player.pk)).clicks == 11
    assert set(ClickTotalShard.objects.exclude(clicks=0).values_list("shard", flat=True)) == {
        shard_for(player.pk)
    }


def test_last_seen_is_the_sync_time() -> None:
    player = PlayerFactory()
    clicks_sync(telegram_id=player.telegram_id, seq=1, count=1, now=NOON + 30)
    player.refresh_from_db()
    assert player.last_seen_at == datetime.fromtimestamp(NOON, tz=UTC) + timedelta(seconds=30)
