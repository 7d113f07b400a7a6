"""The Godot client's click sync (sync/click_sync.gd) in the real engine, behind a proxy that
injects faults: timeouts, 503 and 429 with Retry-After, a 400, connections dropped before and
after the server applied a batch, and a keepalive request that never gets an answer.

Invariants: the server's total equals the taps exactly; a batch that may have been applied is
only ever re-sent under its own seq; a seq always carries the same count and the same batch id.
"""

import itertools
import time
from collections.abc import Callable, Iterator

import pytest

from e2e.fault_proxy import ClickRequest, FaultProxy
from e2e.godot_engine import GodotPage
from e2e.godot_fixtures import seed_player, server_clicks
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

# Faults after which the same batch must come back under the same seq.
RETRIED_AS_IS = frozenset({"503", "429", "drop_before", "drop_after", "hang_after", "hang"})
# Faults where the server applied the batch before the client lost the answer.
APPLIED = frozenset({"ok", "drop_after", "hang_after"})
# Longer than the client's request timeout (clickgame/api/timeout_seconds, 10 s).
HANG_SECONDS = 12.0


@pytest.fixture
def proxy(godot_server: GameServer) -> Iterator[FaultProxy]:
    with FaultProxy(godot_server.base_url, hang_seconds=HANG_SECONDS) as running:
        yield running


def _tap(page: GodotPage, times: int) -> None:
    for _ in range(times):
        page.click("Main/TapButton")


def _check_batches(requests: list[ClickRequest], taps: int) -> None:
    batches: dict[int, set[tuple[int, int]]] = {}
    for request in requests:
        batches.setdefault(request.seq, set()).add((request.count, request.batch))
    assert {seq: sent for seq, sent in batches.items() if len(sent) > 1} == {}
    assert all(1 <= request.batch <= 2**53 - 1 for request in requests), requests
    for failed, following in itertools.pairwise(requests):
        if failed.fault in RETRIED_AS_IS:
            assert (following.seq, following.count, following.batch) == (
                failed.seq,
                failed.count,
                failed.batch,
            ), requests
        if failed.fault == "400":
            assert following.seq > failed.seq, requests
    applied = {request.seq: request.count for request in requests if request.fault in APPLIED}
    assert sum(applied.values()) == taps, requests


def test_every_tap_arrives_once_through_errors_timeouts_and_drops(
    godot_server: GameServer, proxy: FaultProxy, play: Callable[..., GodotPage]
) -> None:
    base = godot_server.base_url
    seed_player(base, 8_300_001, "Faulty Net", 0)
    page = play(8_300_001, base_url=proxy.base_url)
    page.wait_screen("main")
    proxy.faults("503", "drop_after", "429", "hang_after", "drop_before")
    taps = 0
    for _ in range(6):
        _tap(page, 3)
        taps += 3
        time.sleep(1.5)
    page.wait(lambda _: not proxy.plan, "every fault played", seconds=60)
    proxy.faults("400")
    _tap(page, 6)
    taps += 6
    page.wait(
        lambda s: s["sync"]["unconfirmed"] == 0 and s["sync"]["shown_clicks"] == taps,
        "all taps confirmed",
        seconds=60,
    )
    assert server_clicks(base, 8_300_001) == taps
    assert [request.fault for request in proxy.clicks if request.fault != "ok"] == [
        "503", "drop_after", "429", "hang_after", "drop_before", "400",
    ]  # fmt: skip
    _check_batches(proxy.clicks, taps)
    page.screenshot("sync-01-after-faults")


def test_a_keepalive_request_that_never_answers_times_out_and_the_taps_arrive(
    godot_server: GameServer, proxy: FaultProxy, play: Callable[..., GodotPage]
) -> None:
    base = godot_server.base_url
    seed_player(base, 8_300_002, "Hung Fetch", 0)
    page = play(8_300_002, base_url=proxy.base_url)
    page.wait_screen("main")
    _tap(page, 2)
    page.wait(lambda s: s["sync"]["server_clicks"] == 2 and s["sync"]["unconfirmed"] == 0, "sync")
    # A 429 holds the next batch back for a while; meanwhile more taps wait, and then Telegram
    # hides the app: the flush goes out through fetch(keepalive), which never gets an answer.
    proxy.retry_after = 5
    proxy.hang_seconds = 60.0
    proxy.faults("429", "hang")
    seen = len(proxy.clicks)
    _tap(page, 1)
    page.wait(lambda _: len(proxy.clicks) == seen + 1, "the rate-limited batch")
    _tap(page, 3)
    page.wait(lambda s: s["sync"]["shown_clicks"] == 6, "the taps counted", 5)
    page.telegram("emit('deactivated')")
    page.wait(lambda s: s["sync"]["server_clicks"] == 6, "the taps after the hung request", 30)
    assert server_clicks(base, 8_300_002) == 6
    keepalive = [f for f in page.telegram("fetches") if f["keepalive"] and "/clicks" in f["url"]]
    assert len(keepalive) == 1
    hung = [request for request in proxy.clicks if request.fault == "hang"]
    assert len(hung) == 1
    _check_batches(proxy.clicks, 6)


def test_a_first_attempt_applied_and_resent_by_the_browser_counts_once(
    godot_server: GameServer, proxy: FaultProxy, play: Callable[..., GodotPage]
) -> None:
    base = godot_server.base_url
    seed_player(base, 8_300_003, "Silent Resend", 0)
    page = play(8_300_003, base_url=proxy.base_url)
    page.wait_screen("main")
    _tap(page, 1)
    page.wait(lambda s: s["sync"]["server_clicks"] == 1 and s["sync"]["unconfirmed"] == 0, "sync")
    # The next batch's first attempt is applied, then its connection (kept alive since the first
    # sync) closes without an answer: Chromium re-sends the request itself, the page sees only
    # the second answer.
    proxy.faults("drop_after")
    _tap(page, 2)
    page.wait(lambda s: s["sync"]["unconfirmed"] == 0 and len(proxy.clicks) >= 3, "the batch")
    first, resent = proxy.clicks[1], proxy.clicks[2]
    if (first.fault, resent.seq) != ("drop_after", first.seq):
        pytest.skip(f"the browser did not re-send the dropped request by itself: {proxy.clicks}")
    # The re-send is the very same request: the server answers it `same_batch`.
    assert (resent.count, resent.batch) == (first.count, first.batch)
    time.sleep(3)  # a wrongly re-queued batch would leave after the server's interval
    page.wait(lambda s: s["sync"]["unconfirmed"] == 0, "all taps confirmed")
    assert (server_clicks(base, 8_300_003), page.state()["sync"]["shown_clicks"]) == (3, 3)
    assert len(proxy.clicks) == 3, proxy.clicks
