"""The anti-cheat token bucket and the sync interval, as pure functions with an injected clock."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clicks.rules import (
    MAX_SYNC_INTERVAL_MS,
    MIN_SYNC_INTERVAL_MS,
    TOLERANCE,
    ClickCap,
    SyncRate,
    apply_cap,
    refilled_allowance,
    sync_interval_ms,
    sync_window,
)

CAP = ClickCap.of(per_second=20, burst_seconds=30)
START = 1_700_000_000.0

caps = st.builds(
    ClickCap.of,
    per_second=st.integers(min_value=1, max_value=100),
    burst_seconds=st.integers(min_value=1, max_value=120),
)
# Steps between syncs in milliseconds (clocks tick in ms), and batch sizes.
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=120_000), st.integers(min_value=0, max_value=5000)
    ),
    min_size=1,
    max_size=60,
)


def run(cap: ClickCap, batches: list[tuple[float, int]]) -> list[tuple[int, int]]:
    """Feed (now, count) batches to a fresh player's bucket; return (accepted, rejected) each."""
    allowance, allowance_at = 0.0, 0.0
    results = []
    for now, count in batches:
        decision = apply_cap(
            cap, count=count, allowance=allowance, allowance_at=allowance_at, now=now
        )
        allowance, allowance_at = decision.allowance, decision.allowance_at
        results.append((decision.accepted, decision.rejected))
    return results


def timeline(step_list: list[tuple[int, int]]) -> list[tuple[float, int]]:
    now_ms, batches = 0, []
    for step_ms, count in step_list:
        now_ms += step_ms
        batches.append((START + now_ms / 1000, count))
    return batches


@settings(max_examples=300)
@given(cap=caps, step_list=steps)
def test_never_accepts_more_than_burst_plus_rate_times_elapsed(cap, step_list) -> None:
    batches = timeline(step_list)
    results = run(cap, batches)
    for end in range(len(batches)):
        for begin in range(end + 1):
            # Any window of syncs: at most a full bucket plus what refilled in between.
            accepted = sum(a for a, _ in results[begin : end + 1])
            elapsed = batches[end][0] - batches[begin][0]
            assert accepted <= cap.burst + cap.rate * elapsed + TOLERANCE


@settings(max_examples=300)
@given(
    cap=caps,
    moments=st.lists(
        st.tuples(st.floats(min_value=-3600, max_value=3600), st.integers(0, 5000)),
        min_size=1,
        max_size=40,
    ),
)
def test_a_clock_that_jumps_back_mints_no_clicks(cap, moments) -> None:
    batches = [(START + offset, count) for offset, count in moments]
    accepted = sum(a for a, _ in run(cap, batches))
    latest = max(now for now, _ in batches)
    assert accepted <= cap.burst + cap.rate * (latest - batches[0][0]) + TOLERANCE


@settings(max_examples=300)
@given(cap=caps, step_list=steps)
def test_counts_and_allowance_are_never_negative_and_add_up(cap, step_list) -> None:
    allowance, allowance_at = 0.0, 0.0
    for now, count in timeline(step_list):
        decision = apply_cap(
            cap, count=count, allowance=allowance, allowance_at=allowance_at, now=now
        )
        assert decision.accepted >= 0
        assert decision.rejected >= 0
        assert decision.accepted + decision.rejected == count
        assert -TOLERANCE <= decision.allowance <= cap.burst
        assert decision.allowance_at >= allowance_at
        allowance, allowance_at = decision.allowance, decision.allowance_at


@settings(max_examples=300)
@given(
    cap=caps,
    first=st.integers(min_value=0, max_value=10_000),
    gaps_ms=st.lists(st.integers(min_value=0, max_value=60_000), max_size=60),
    shares=st.lists(st.floats(min_value=0, max_value=1), min_size=60, max_size=60),
)
def test_honest_players_within_the_rate_lose_nothing(cap, first, gaps_ms, shares) -> None:
    # A new player's first batch fits the burst; every later batch is at most what the rate
    # allows for the time since the previous one (a share of it, or all of it).
    now = START
    batches = [(now, min(first, int(cap.burst)))]
    for gap_ms, share in zip(gaps_ms, shares, strict=False):
        previous = now
        now = START + (now - START) + gap_ms / 1000
        allowed = min(cap.burst, cap.rate * (now - previous))
        batches.append((now, math.floor(allowed * share)))
    assert all(rejected == 0 for _, rejected in run(cap, batches))


@settings(max_examples=300)
@given(
    cap=caps,
    allowance=st.floats(min_value=0, max_value=10_000),
    idle=st.floats(min_value=0, max_value=600),
    count=st.integers(min_value=0, max_value=5000),
    cut=st.floats(min_value=0, max_value=1),
)
def test_splitting_a_batch_never_gains_clicks(cap, allowance, idle, count, cut) -> None:
    allowance = min(allowance, cap.burst)
    now = START + idle
    whole = apply_cap(cap, count=count, allowance=allowance, allowance_at=START, now=now)
    first_part = int(count * cut)
    one = apply_cap(cap, count=first_part, allowance=allowance, allowance_at=START, now=now)
    two = apply_cap(
        cap,
        count=count - first_part,
        allowance=one.allowance,
        allowance_at=one.allowance_at,
        now=now,
    )
    assert one.accepted + two.accepted <= whole.accepted


def test_a_new_player_gets_the_full_burst_and_the_rest_is_rejected() -> None:
    decision = apply_cap(CAP, count=1000, allowance=0.0, allowance_at=0.0, now=START)
    assert (decision.accepted, decision.rejected) == (600, 400)
    assert decision.allowance == 0
    assert decision.allowance_at == START


def test_the_allowance_refills_at_the_rate_up_to_the_burst() -> None:
    assert refilled_allowance(CAP, allowance=0.0, allowance_at=START, now=START + 2.5) == 50
    assert refilled_allowance(CAP, allowance=590.0, allowance_at=START, now=START + 10) == 600


def test_fractional_allowance_is_kept_for_the_next_batch() -> None:
    half = apply_cap(CAP, count=10, allowance=0.0, allowance_at=START, now=START + 0.025)
    assert half.accepted == 0
    assert half.allowance == pytest.approx(0.5, abs=1e-5)  # unix-seconds floats: ~0.1 µs steps
    later = apply_cap(
        CAP, count=10, allowance=half.allowance, allowance_at=half.allowance_at, now=START + 0.05
    )
    assert later.accepted == 1


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        apply_cap(CAP, count=-1, allowance=10.0, allowance_at=START, now=START)


@pytest.mark.parametrize(
    ("active", "budget", "expected"),
    [
        (0, 500, MIN_SYNC_INTERVAL_MS),
        (500, 500, 1000),
        (1000, 500, 2000),
        (1001, 500, 2002),
        (10_000, 500, 20_000),
        (1_000_000, 500, MAX_SYNC_INTERVAL_MS),
        (10, 0, MAX_SYNC_INTERVAL_MS),
    ],
)
def test_sync_interval_grows_with_players_within_bounds(active, budget, expected) -> None:
    assert sync_interval_ms(active_players=active, budget_rps=budget) == expected


@given(
    active=st.integers(min_value=0, max_value=10**9),
    budget=st.integers(min_value=1, max_value=10**6),
)
def test_sync_interval_keeps_the_expected_request_rate_within_budget(active, budget) -> None:
    interval = sync_interval_ms(active_players=active, budget_rps=budget)
    assert MIN_SYNC_INTERVAL_MS <= interval <= MAX_SYNC_INTERVAL_MS
    if interval < MAX_SYNC_INTERVAL_MS:
        assert active * 1000 / interval <= budget
    assert sync_interval_ms(active_players=active + 1, budget_rps=budget) >= interval


@pytest.mark.parametrize(
    ("rate", "limit", "period"),
    [("120/m", 120, 60.0), ("5/10s", 5, 10.0), ("1000/h", 1000, 3600.0), ("3/2d", 3, 172800.0)],
)
def test_a_sync_rate_is_read_in_django_ratelimit_notation(rate, limit, period) -> None:
    assert SyncRate.parse(rate) == SyncRate(limit=limit, period=period)


@pytest.mark.parametrize("rate", ["", "120", "120/", "x/m", "120/w", "0/m", "5/0s", "-1/m"])
def test_a_malformed_sync_rate_is_refused(rate) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        SyncRate.parse(rate)


def test_the_sync_window_allows_the_limit_then_refuses_until_it_closes() -> None:
    rate = SyncRate(limit=3, period=60.0)
    window_at, syncs = 0.0, 0
    allowed = []
    for now in (START, START + 1, START + 2, START + 3, START + 59.5):
        decision = sync_window(rate, window_at=window_at, window_syncs=syncs, now=now)
        allowed.append(decision.allowed)
        window_at, syncs = decision.window_at, decision.window_syncs
    assert allowed == [True, True, True, False, False]
    assert (window_at, syncs) == (START, 3)
    refused = sync_window(rate, window_at=window_at, window_syncs=syncs, now=START + 20)
    assert refused.retry_after == pytest.approx(40.0)
    reopened = sync_window(rate, window_at=window_at, window_syncs=syncs, now=START + 60)
    assert (reopened.allowed, reopened.window_at, reopened.window_syncs) == (True, START + 60, 1)


def test_a_clock_that_went_back_does_not_reopen_the_window_early() -> None:
    rate = SyncRate(limit=2, period=60.0)
    decision = sync_window(rate, window_at=START, window_syncs=2, now=START - 30)
    assert (decision.allowed, decision.retry_after) == (False, 60.0)


@settings(max_examples=200)
@given(
    limit=st.integers(min_value=1, max_value=20),
    gaps_ms=st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=80),
)
def test_no_window_of_the_period_ever_holds_more_than_twice_the_limit(limit, gaps_ms) -> None:
    # A fixed window can be hit at its end and at the next one's start, never more.
    rate = SyncRate(limit=limit, period=60.0)
    window_at, syncs, now, allowed_at = 0.0, 0, START, []
    for gap in gaps_ms:
        now += gap / 1000
        decision = sync_window(rate, window_at=window_at, window_syncs=syncs, now=now)
        window_at, syncs = decision.window_at, decision.window_syncs
        if decision.allowed:
            allowed_at.append(now)
    for first in allowed_at:
        assert sum(1 for at in allowed_at if first <= at < first + rate.period) <= 2 * limit
