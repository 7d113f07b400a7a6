"""Many threads syncing overlapping players on PostgreSQL: every click counted exactly once."""

import itertools
import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from clicks.models import ClickDay
from clicks.services import SyncResult, clicks_sync
from clicks.tests.conftest import (
    board_score,
    players_total,
    postgres_only,
    shard_total,
)
from core.errors import RateLimited
from leaderboard.live import redis_client
from leaderboard.models import TOTAL_CLICK_SHARDS, ClickTotalShard
from players.models import Player
from players.tests.factories import PlayerFactory

THREADS = 32
SYNCS_PER_THREAD = 100
PLAYERS = 8

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def total_shards() -> None:
    """The global-total shards a data migration creates (all zero).

    A transactional test starts from whatever the last flush left, which lacks them; restoring
    the whole migrated state instead (serialized_rollback) clashes with content types that an
    earlier flush had Django create again under new ids.
    """
    ClickTotalShard.objects.bulk_create(
        [ClickTotalShard(shard=shard, clicks=0) for shard in range(TOTAL_CLICK_SHARDS)],
        ignore_conflicts=True,
    )


@pytest.fixture
def unlimited_sync_rate(settings) -> None:
    """These threads sync far faster than any client may; the sync rate is tested on its own."""
    settings.CLICK_SYNC_RATE = "1000000/s"


def batch_count(telegram_id: int, seq: int) -> int:
    """What a client sends as batch `seq`: the same count on every retry of that seq."""
    return (telegram_id * 31 + seq * 17) % 45


def batch_id(telegram_id: int, seq: int) -> int:
    """The id a client gives batch `seq`: the same on every retry of that seq."""
    return (telegram_id * 7919 + seq) % (2**53 - 1) + 1


@postgres_only
@pytest.mark.usefixtures("unlimited_sync_rate")
def test_concurrent_syncs_with_retries_and_duplicates_count_each_batch_once() -> None:
    telegram_ids = [player.telegram_id for player in PlayerFactory.create_batch(PLAYERS)]
    lock = threading.Lock()
    issued: dict[int, list[int]] = {telegram_id: [] for telegram_id in telegram_ids}
    results: list[tuple[int, int, int, SyncResult]] = []

    def client(number: int) -> None:
        rng = random.Random(number)
        try:
            for _ in range(SYNCS_PER_THREAD):
                telegram_id = rng.choice(telegram_ids)
                with lock:
                    sent = issued[telegram_id]
                    if sent and rng.random() < 0.3:
                        seq = rng.choice(sent[-4:])  # a retry after a lost response
                    else:
                        seq = (sent[-1] if sent else 0) + rng.choice([1, 1, 1, 2])
                        sent.append(seq)  # a new batch (sometimes skipping ahead)
                count = batch_count(telegram_id, seq)
                attempts = 2 if rng.random() < 0.15 else 1  # an eager client resends at once
                for _ in range(attempts):
                    result = clicks_sync(
                        telegram_id=telegram_id,
                        seq=seq,
                        count=count,
                        batch=batch_id(telegram_id, seq),
                    )
                    with lock:
                        results.append((telegram_id, seq, count, result))
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(client, range(THREADS)))

    assert len(results) >= THREADS * SYNCS_PER_THREAD
    applied: dict[tuple[int, int], SyncResult] = {}
    for telegram_id, seq, count, result in results:
        if not result.duplicate:
            assert (telegram_id, seq) not in applied, "a seq was applied twice"
            assert result.accepted + result.rejected == count
            assert not result.same_batch
            applied[telegram_id, seq] = result
    for telegram_id, seq, _, result in results:
        if result.duplicate:
            assert result.seq >= seq
            # A resend of the player's last seq is told that seq's answer; older ones nothing.
            original = applied[telegram_id, seq] if result.seq == seq else None
            expected = (original.accepted, original.rejected) if original else (0, 0)
            assert (result.accepted, result.rejected) == expected
            # Every send of a seq carried its one batch id: the last seq's resend is that batch.
            assert result.same_batch == (result.seq == seq)

    accepted_by_player: dict[int, int] = defaultdict(int)
    for (telegram_id, _), result in applied.items():
        accepted_by_player[telegram_id] += result.accepted
    client_redis = redis_client()
    for player in Player.objects.filter(telegram_id__in=telegram_ids):
        assert player.clicks == accepted_by_player[player.telegram_id]
        assert player.last_seq == max(issued[player.telegram_id])
        assert (player.telegram_id, player.last_seq) in applied
        days = ClickDay.objects.filter(player=player).aggregate(
            clicks=Sum("clicks"), syncs=Sum("syncs")
        )
        assert days["clicks"] == player.clicks
        assert days["syncs"] == sum(1 for tid, _ in applied if tid == player.telegram_id)
        # The allowance was never spent twice: a burst plus the refill of the test's duration.
        assert player.clicks <= settings.MAX_CLICKS_PER_SECOND * (
            settings.CLICK_BURST_SECONDS + 120
        )
        if client_redis is not None:
            assert board_score(client_redis, player.pk) == player.clicks
    assert shard_total() == players_total() == sum(accepted_by_player.values())


@postgres_only
def test_the_same_batch_sent_by_every_thread_at_once_applies_once() -> None:
    player = PlayerFactory()
    start = threading.Barrier(THREADS)

    def resend(_: int) -> SyncResult:
        try:
            start.wait()
            return clicks_sync(telegram_id=player.telegram_id, seq=1, count=25, batch=1234)
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(resend, range(THREADS)))

    assert sum(1 for outcome in outcomes if not outcome.duplicate) == 1
    assert all(outcome.seq == 1 for outcome in outcomes)
    # Every resend is told it is the batch applied, also one whose snapshot missed the commit.
    assert all(outcome.same_batch == outcome.duplicate for outcome in outcomes)
    # Duplicates answer with the totals of the applied batch, not a stale snapshot.
    assert all(outcome.clicks == 25 for outcome in outcomes)
    player.refresh_from_db()
    assert (player.clicks, player.last_seq) == (25, 1)
    assert shard_total() == players_total() == 25


@postgres_only
@pytest.mark.usefixtures("unlimited_sync_rate")
def test_parallel_batches_cannot_spend_the_allowance_twice() -> None:
    player = PlayerFactory()
    start = threading.Barrier(THREADS)
    seqs = itertools.count(1)

    def spend(_: int) -> list[SyncResult]:
        try:
            start.wait()
            # Seqs handed out as batches are sent: most apply, all racing for one bucket.
            return [
                clicks_sync(telegram_id=player.telegram_id, seq=next(seqs), count=100)
                for _ in range(5)
            ]
        finally:
            connection.close()

    began = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [outcome for batch in pool.map(spend, range(THREADS)) for outcome in batch]
    elapsed = time.monotonic() - began

    applied = [outcome for outcome in outcomes if not outcome.duplicate]
    accepted = sum(outcome.accepted for outcome in applied)
    assert sum(outcome.rejected for outcome in applied) > 0
    player.refresh_from_db()
    assert player.clicks == accepted
    burst = settings.MAX_CLICKS_PER_SECOND * settings.CLICK_BURST_SECONDS
    assert burst <= accepted <= burst + settings.MAX_CLICKS_PER_SECOND * elapsed + 1


@postgres_only
def test_parallel_syncs_cannot_pass_the_sync_rate(settings) -> None:
    settings.CLICK_SYNC_RATE = "10/m"
    player = PlayerFactory()
    start = threading.Barrier(THREADS)
    seqs = itertools.count(1)

    def sync_fast(_: int) -> list[SyncResult | RateLimited]:
        outcomes: list[SyncResult | RateLimited] = []
        try:
            start.wait()
            for _ in range(5):
                try:
                    outcomes.append(
                        clicks_sync(telegram_id=player.telegram_id, seq=next(seqs), count=1)
                    )
                except RateLimited as refused:
                    outcomes.append(refused)
            return outcomes
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [outcome for batch in pool.map(sync_fast, range(THREADS)) for outcome in batch]

    applied = [o for o in outcomes if isinstance(o, SyncResult) and not o.duplicate]
    refused = [o for o in outcomes if isinstance(o, RateLimited)]
    assert len(applied) == 10
    assert refused and all(1 <= o.retry_after <= 60 for o in refused)
    player.refresh_from_db()
    assert (player.clicks, player.sync_window_syncs) == (10, 10)
    assert ClickDay.objects.get(player=player).syncs == 10
    assert shard_total() == players_total() == 10
