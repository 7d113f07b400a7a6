"""The light client's click sync protocol, run in Chromium against a scripted server.

`sync.js` is loaded into a blank page with a fake transport (the test answers each request), a
fake clock and fake storage, so retries, intervals and the offline queue are checked exactly.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import launch

pytestmark = pytest.mark.e2e

SYNC_JS = Path(__file__).resolve().parent.parent / "miniapp/static/miniapp/sync.js"
HARNESS_JS = Path(__file__).resolve().parent / "sync_harness.js"


@pytest.fixture(scope="module")
def page(
    chromium: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebDriver]:
    driver = launch(*chromium, profile_root=tmp_path_factory.mktemp("sync-protocol"))
    try:
        yield driver
    finally:
        driver.quit()


def run(page: WebDriver, script: str) -> Any:
    """Run an async JavaScript body with `h`-style harnesses available; return its result."""
    page.get("about:blank")
    page.execute_script(SYNC_JS.read_text() + "\n" + HARNESS_JS.read_text())
    result = page.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const body = new Function("return (async () => {" + arguments[0] + "})();");
        body().then(
          (value) => done({ value }),
          (error) => done({ error: String((error && error.stack) || error) })
        );
        """,
        script,
    )
    assert "error" not in result, result.get("error")
    return result["value"]


def test_batches_are_numbered_one_by_one_with_one_in_flight(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness({ me: { clicks: 7, seq: 4 } });
        h.sync.start(h.me);
        h.sync.tap(); h.sync.tap(); h.sync.tap();
        const whileInFlight = h.sent.length;
        await h.respond(200, h.accept(h.sent[0], { clicks: 8 }));
        await h.advance(1000);
        await h.respond(200, h.accept(h.sent[1], { clicks: 10 }));
        return { whileInFlight, sent: h.sent.map((b) => [b.seq, b.count]), view: h.view() };
        """,
    )
    assert result["whileInFlight"] == 1
    assert result["sent"] == [[5, 1], [6, 2]]
    assert (result["view"]["clicks"], result["view"]["unsynced"]) == (10, 0)
    assert result["view"]["state"] == "synced"


def test_a_failed_batch_is_resent_with_the_same_seq_and_count(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness();
        h.sync.start(h.me);
        h.sync.tap();
        await h.fail();
        const offline = h.view();
        h.sync.tap(); h.sync.tap();
        await h.advance(60000);
        await h.respond(200, h.accept(h.sent[1], { clicks: 1 }));
        await h.advance(1000);
        return { offline, sent: h.sent.map((b) => [b.seq, b.count]) };
        """,
    )
    assert result["offline"]["state"] == "offline"
    assert result["offline"]["clicks"] == 1
    assert result["sent"] == [[1, 1], [1, 1], [2, 2]]


def test_retries_back_off_exponentially_with_jitter_up_to_a_cap(page: WebDriver) -> None:
    result = run(
        page,
        """
        const gaps = { 0: [], 1: [] };
        for (const random of [0, 1]) {
          const h = makeHarness({ random });
          h.sync.start(h.me);
          h.sync.tap();
          for (let i = 0; i < 8; i++) {
            const failedAt = h.now;
            await h.fail();
            await h.advance(60000);
            gaps[random].push(h.sent[h.sent.length - 1].at - failedAt);
          }
          gaps[random].push(h.sent.length);
        }
        return gaps;
        """,
    )
    # Each retry waits between half and all of min(30 s, 1 s * 2^(failures - 1)).
    shortest = [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]
    longest = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    assert result["0"] == [*shortest, 9]
    assert result["1"] == [*longest, 9]


def test_rate_limited_sync_waits_for_retry_after(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness({ random: 0 });
        h.sync.start(h.me);
        h.sync.tap();
        await h.respond(429, { error: "rate_limited" }, 7);
        const waiting = h.view();
        await h.advance(6999);
        const sentBefore = h.sent.length;
        await h.advance(1);
        return { waiting, sentBefore, sent: h.sent.map((b) => [b.seq, b.count, b.at]) };
        """,
    )
    assert result["waiting"]["state"] == "waiting"
    assert result["sentBefore"] == 1
    assert result["sent"] == [[1, 1, 0], [1, 1, 7000]]


def test_server_unavailable_is_retried_after_its_retry_after(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness({ random: 0 });
        h.sync.start(h.me);
        h.sync.tap(2);
        await h.respond(503, { error: "unavailable" }, 5);
        await h.advance(10000);
        return h.sent.map((b) => [b.seq, b.count, b.at]);
        """,
    )
    assert result == [[1, 2, 0], [1, 2, 5000]]


def test_the_server_sync_interval_spaces_the_batches(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness();
        h.sync.start(h.me);
        h.sync.tap();
        await h.respond(200, h.accept(h.sent[0], { clicks: 1, sync_interval_ms: 5000 }));
        h.sync.tap();
        await h.advance(4999);
        const early = h.sent.length;
        await h.advance(1);
        return { early, sent: h.sent.map((b) => [b.seq, b.at]) };
        """,
    )
    assert result["early"] == 1
    assert result["sent"] == [[1, 0], [2, 5000]]


def test_batches_carry_at_most_a_thousand_taps(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness();
        h.sync.start(h.me);
        h.sync.tap(2500);
        for (let i = 1; i <= 3; i++) {
          await h.respond(200, h.accept(h.sent[i - 1], { clicks: Math.min(2500, i * 1000) }));
          await h.advance(1000);
        }
        return { sent: h.sent.map((b) => [b.seq, b.count]), view: h.view() };
        """,
    )
    assert result["sent"] == [[1, 1000], [2, 1000], [3, 500]]
    assert result["view"]["clicks"] == 2500


def test_the_queue_survives_closing_the_page(page: WebDriver) -> None:
    result = run(
        page,
        """
        const store = new Map();
        const first = makeHarness({ store, me: { clicks: 10, seq: 3 } });
        first.sync.start(first.me);
        first.sync.tap(4);
        first.sync.tap(2);
        const storedAtClose = first.stored();
        // The page closes with the batch in flight; the next visit starts from storage.
        const second = makeHarness({ store, me: { clicks: 10, seq: 3 } });
        second.sync.start(second.me);
        const shownAtStart = second.view().clicks;
        await second.respond(200, second.accept(second.sent[0], { clicks: 14 }));
        await second.advance(1000);
        return {
          storedAtClose, shownAtStart, sent: second.sent.map((b) => [b.seq, b.count]),
        };
        """,
    )
    batch = result["storedAtClose"]["inflight"]["batch"]
    assert result["storedAtClose"] == {
        "v": 1, "pending": 2, "nextSeq": 5,
        "inflight": {"seq": 4, "count": 4, "batch": batch, "renumbered": False},
    }  # fmt: skip
    assert result["shownAtStart"] == 16
    assert result["sent"] == [[4, 4], [5, 2]]


def test_a_batch_keeps_its_id_on_every_resend_and_a_new_batch_gets_a_new_one(
    page: WebDriver,
) -> None:
    result = run(
        page,
        """
        const store = new Map();
        const first = makeHarness({ store });
        first.sync.start(first.me);
        first.sync.tap(2);
        await first.fail();
        await first.advance(60000);
        // The page closes with the batch in flight; the next visit resends it from storage.
        const second = makeHarness({ store, me: { clicks: 0, seq: 0 } });
        second.sync.start(second.me);
        await second.respond(200, second.accept(second.sent[0], { clicks: 2 }));
        second.sync.tap();
        await second.advance(1000);
        return [...first.sent, ...second.sent].map((b) => [b.seq, b.count, b.batch]);
        """,
    )
    assert [sent[:2] for sent in result] == [[1, 2], [1, 2], [1, 2], [2, 1]]
    ids = [sent[2] for sent in result]
    assert all(isinstance(id_, int) and 1 <= id_ <= 2**53 - 1 for id_ in ids), ids
    assert ids[0] == ids[1] == ids[2] != ids[3]


def test_a_batch_stored_without_an_id_is_sent_without_one(page: WebDriver) -> None:
    result = run(
        page,
        """
        // Saved by the client before batches had ids.
        const store = new Map([["queue", JSON.stringify(
          { v: 1, pending: 0, nextSeq: 5, inflight: { seq: 4, count: 4, renumbered: false } }
        )]]);
        const h = makeHarness({ store, me: { clicks: 10, seq: 3 } });
        h.sync.start(h.me);
        return h.sent.map((b) => [b.seq, b.count, b.batch === undefined]);
        """,
    )
    assert result == [[4, 4, True]]


def test_a_duplicate_of_the_same_batch_is_counted_once(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness({ me: { clicks: 1, seq: 1 } });
        h.sync.start(h.me);
        h.sync.tap(2);
        // The first attempt was applied; its answer was lost and the browser re-sent it, so the
        // page sees only the answer to the re-send.
        await h.respond(200, h.accept(h.sent[0], { clicks: 3, duplicate: true, same_batch: true }));
        const settled = h.view();
        h.sync.tap();
        await h.advance(1000);
        return { settled, sent: h.sent.map((b) => [b.seq, b.count]) };
        """,
    )
    assert (result["settled"]["clicks"], result["settled"]["unsynced"]) == (3, 0)
    assert result["sent"] == [[2, 2], [3, 1]]


def test_a_resend_the_server_already_applied_shows_the_server_number(page: WebDriver) -> None:
    result = run(
        page,
        """
        const store = new Map([["queue", JSON.stringify(
          { v: 1, pending: 0, nextSeq: 5, inflight: { seq: 4, count: 4, renumbered: false } }
        )]]);
        const h = makeHarness({ store, me: { clicks: 14, seq: 4 } });
        h.sync.start(h.me);
        await h.respond(200, h.accept(h.sent[0], { clicks: 14, accepted: 0, duplicate: true }));
        h.sync.tap();
        await h.advance(1000);
        return { sent: h.sent.map((b) => [b.seq, b.count]), view: h.view() };
        """,
    )
    assert result["sent"] == [[4, 4], [5, 1]]
    assert result["view"]["clicks"] == 15


def test_the_counter_never_goes_backwards_while_taps_are_pending(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness({ me: { clicks: 100, seq: 1 } });
        h.sync.start(h.me);
        h.sync.tap(); h.sync.tap(); h.sync.tap();
        // Meanwhile a moderator reset the player: the server now says 1.
        await h.respond(200, h.accept(h.sent[0], { clicks: 1 }));
        const whilePending = h.view();
        await h.advance(1000);
        await h.respond(200, h.accept(h.sent[1], { clicks: 3 }));
        const shown = h.views.filter((v) => v.unsynced > 0).map((v) => v.clicks);
        return { whilePending, settled: h.view(), shown };
        """,
    )
    assert result["whilePending"]["clicks"] == 103
    assert result["whilePending"]["unsynced"] == 2
    assert result["shown"] == sorted(result["shown"])
    assert result["shown"][-1] == 103
    assert result["settled"]["clicks"] == 3


def test_rejected_clicks_are_reconciled_to_the_server_number(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness();
        h.sync.start(h.me);
        h.sync.tap(30);
        const before = h.view().clicks;
        await h.respond(200, h.accept(h.sent[0], { clicks: 20, accepted: 20, rejected: 10 }));
        return { before, after: h.view() };
        """,
    )
    assert result["before"] == 30
    assert result["after"]["clicks"] == 20
    assert result["after"]["rejectedTotal"] == 10


def test_flush_sends_at_once_but_still_honours_retry_after(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness({ random: 0 });
        h.sync.start(h.me);
        h.sync.tap();
        await h.respond(200, h.accept(h.sent[0], { clicks: 1, sync_interval_ms: 30000 }));
        h.now += 10;
        h.sync.tap();
        h.sync.flush();
        const flushed = h.sent.map((b) => [b.seq, b.count, b.at, b.keepalive]);
        await h.respond(429, { error: "rate_limited" }, 20);
        h.sync.tap();
        h.sync.flush();
        return { flushed, afterRateLimit: h.sent.length };
        """,
    )
    assert result["flushed"] == [[1, 1, 0, True], [2, 1, 10, True]]
    assert result["afterRateLimit"] == 2


def test_an_auth_error_stops_syncing_and_keeps_the_queue(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness();
        h.sync.start(h.me);
        h.sync.tap(3);
        await h.respond(401, { error: "expired", detail: "initData has expired." });
        h.sync.tap();
        await h.advance(60000);
        return { errors: h.authErrors, sent: h.sent.length, stored: h.stored(), view: h.view() };
        """,
    )
    assert result["errors"] == [
        {"status": 401, "code": "expired", "detail": "initData has expired."}
    ]
    assert result["sent"] == 1
    assert result["stored"]["inflight"] == {
        "seq": 1, "count": 3, "batch": result["stored"]["inflight"]["batch"], "renumbered": False,
    }  # fmt: skip
    assert result["view"]["state"] == "stopped"


def test_a_refused_batch_is_renumbered_once_then_dropped(page: WebDriver) -> None:
    result = run(
        page,
        """
        const h = makeHarness({ me: { clicks: 0, seq: 0 } });
        h.sync.start(h.me);
        h.sync.tap(4);
        h.me = { clicks: 5, seq: 9 };
        await h.respond(400, { error: "invalid_seq" });
        await h.advance(1000);
        await h.respond(400, { error: "invalid_count" });
        h.sync.tap();
        await h.advance(1000);
        return { sent: h.sent.map((b) => [b.seq, b.count]), view: h.view() };
        """,
    )
    assert result["sent"] == [[1, 4], [10, 4], [11, 1]]
    assert result["view"]["rejectedTotal"] == 4
    assert result["view"]["clicks"] == 6


def test_damaged_storage_is_ignored(page: WebDriver) -> None:
    result = run(
        page,
        """
        const damaged = ['{not json', '{"v":1,"pending":-3,"nextSeq":2,"inflight":null}',
                         '{"v":9,"pending":1,"nextSeq":2,"inflight":null}',
                         '{"v":1,"pending":1,"nextSeq":2,"inflight":{"seq":0,"count":1}}'];
        const first = [];
        for (const raw of damaged) {
          const h = makeHarness({ store: new Map([["queue", raw]]), me: { clicks: 2, seq: 6 } });
          h.sync.start(h.me);
          h.sync.tap();
          first.push([h.sent[0].seq, h.sent[0].count, h.view().clicks]);
        }
        return first;
        """,
    )
    assert result == [[7, 1, 3]] * 4


def test_blocked_storage_falls_back_to_memory(page: WebDriver) -> None:
    result = run(
        page,
        """
        const blocked = {
          getItem() { throw new DOMException("denied", "SecurityError"); },
          setItem() { throw new DOMException("denied", "SecurityError"); },
        };
        const h = makeHarness({ storage: blocked });
        h.sync.start(h.me);
        h.sync.tap(2);
        await h.fail();
        await h.advance(60000);
        return h.sent.map((b) => [b.seq, b.count]);
        """,
    )
    assert result == [[1, 2], [1, 2]]


def test_the_servers_limits_size_batches_space_them_and_cap_the_backoff(page: WebDriver) -> None:
    result = run(
        page,
        """
        const limits = { max_clicks_per_sync: 3, min_sync_interval_ms: 2500, max_backoff_ms: 4000 };
        const h = makeHarness({ random: 1, me: { clicks: 0, seq: 0, limits } });
        h.sync.start(h.me);
        h.sync.tap(7);
        await h.respond(200, h.accept(h.sent[0], { clicks: 3, sync_interval_ms: 1000 }));
        await h.advance(2499);
        const early = h.sent.length;
        await h.advance(1);
        const gaps = [];
        for (let i = 0; i < 5; i++) {
          const failedAt = h.now;
          await h.fail();
          await h.advance(60000);
          gaps.push(h.sent[h.sent.length - 1].at - failedAt);
        }
        return { early, sizes: h.sent.map((b) => b.count), gaps };
        """,
    )
    assert result["early"] == 1
    assert result["sizes"][:2] == [3, 3]
    assert max(result["sizes"]) == 3
    assert result["gaps"] == [1000, 2000, 4000, 4000, 4000]


def test_a_batch_over_a_lowered_server_limit_loses_no_tap(page: WebDriver) -> None:
    result = run(
        page,
        """
        // Saved under the old limit of 1000: a batch of 10 the server never applied.
        const store = new Map([["queue", JSON.stringify(
          { v: 1, pending: 0, nextSeq: 2, inflight: { seq: 1, count: 10, renumbered: false } }
        )]]);
        const limits = { max_clicks_per_sync: 4, min_sync_interval_ms: 1000 };
        const h = makeHarness({ store, me: { clicks: 0, seq: 0, limits } });
        h.sync.start(h.me);
        await h.respond(400, { error: "invalid_count" });
        for (const clicks of [4, 8, 10]) {
          await h.advance(1000);
          await h.respond(200, h.accept(h.sent[h.sent.length - 1], { clicks }));
        }
        return { sent: h.sent.map((b) => [b.seq, b.count]), view: h.view() };
        """,
    )
    assert result["sent"] == [[1, 10], [2, 4], [3, 4], [4, 2]]
    assert result["view"]["clicks"] == 10
    assert result["view"]["unsynced"] == 0
    assert result["view"]["rejectedTotal"] == 0
