/*
 * clickgame click sync: the client half of POST /api/clicks, with no DOM in it.
 *
 * Protocol (the same as the Godot client):
 * - taps are counted locally ("pending") and sent in batches {seq, count, batch}; seq grows by
 *   one per batch, batch is a random id of the batch, and only one batch is in flight at a time;
 * - after a failure the very same {seq, count, batch} is sent again, so the server can tell a
 *   resend (duplicate) from new clicks, and its own batch (same_batch) from another device's;
 * - the server's sync_interval_ms spaces the batches; failures back off exponentially with
 *   jitter, and 429/503 wait at least Retry-After;
 * - pending count, next seq and the in-flight batch live in localStorage, so closing the page
 *   loses nothing: the next visit re-sends the in-flight batch and the pending taps;
 * - the counter shown is the server's clicks plus what is still on its way; it never goes
 *   backwards while taps are pending, and drops to the server's number only when the server
 *   rejected clicks (anti-cheat) or everything is synced.
 */
(function (root) {
  "use strict";

  // Until the server says otherwise (GET /api/me `limits`, the one source of truth for the
  // batch size, the shortest interval and the backoff cap of both clients), these hold.
  const MAX_BATCH = 1000;
  const DEFAULT_INTERVAL_MS = 1000;
  const MIN_INTERVAL_MS = 1000;
  const MAX_INTERVAL_MS = 60000;
  const BACKOFF_BASE_MS = 1000;
  const BACKOFF_CAP_MS = 30000;
  const STORAGE_VERSION = 1;

  function isCount(value) {
    return Number.isSafeInteger(value) && value >= 0;
  }

  function isPositive(value) {
    return Number.isSafeInteger(value) && value > 0;
  }

  /** A new batch's random id in 1..2^53-1 (a safe integer, so JSON carries it exactly). */
  function newBatchId() {
    const source = root.crypto;
    if (source && source.getRandomValues) {
      const [high, low] = source.getRandomValues(new Uint32Array(2));
      return (high % 2 ** 21) * 2 ** 32 + low || 1;
    }
    return Math.floor(Math.random() * Number.MAX_SAFE_INTEGER) + 1;
  }

  /** The server's sync limits from GET /api/me, with the defaults for what it did not say. */
  function limitsFrom(me) {
    const given = (me && me.limits) || {};
    return {
      maxBatch: isPositive(given.max_clicks_per_sync) ? given.max_clicks_per_sync : MAX_BATCH,
      minIntervalMs: isCount(given.min_sync_interval_ms)
        ? given.min_sync_interval_ms : MIN_INTERVAL_MS,
      backoffCapMs: isPositive(given.max_backoff_ms) ? given.max_backoff_ms : BACKOFF_CAP_MS,
    };
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, capped. */
  function backoffDelay(failures, random, capMs = BACKOFF_CAP_MS) {
    const ceiling = Math.min(capMs, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
  }

  /** localStorage when usable (it may be blocked inside a third-party iframe), else memory. */
  function safeStorage(storage) {
    const memory = new Map();
    return {
      get(key) {
        try {
          return storage ? storage.getItem(key) : memory.get(key) ?? null;
        } catch (error) {
          return memory.get(key) ?? null;
        }
      },
      set(key, value) {
        memory.set(key, value);
        try {
          if (storage) storage.setItem(key, value);
        } catch (error) {
          // Quota or privacy mode: the memory copy still carries this session.
        }
      },
    };
  }

  class ClickSync {
    /**
     * options.send({seq, count}, {keepalive}) -> Promise<{status, body, retryAfter}>, rejects on
     *   network failure; options.serverState() -> Promise<{clicks, seq}> (GET /api/me);
     * options.storage (localStorage-like), options.storageKey;
     * options.now, options.random, options.setTimer, options.clearTimer (injectable for tests);
     * options.onChange(view) after every change; options.onAuthError({status, code, detail}).
     */
    constructor(options) {
      this.send = options.send;
      this.serverState = options.serverState;
      this.storage = safeStorage(options.storage);
      this.storageKey = options.storageKey;
      this.now = options.now || (() => Date.now());
      this.random = options.random || Math.random;
      this.setTimer = options.setTimer || ((fn, ms) => setTimeout(fn, ms));
      this.clearTimer = options.clearTimer || ((id) => clearTimeout(id));
      this.onChange = options.onChange || (() => {});
      this.onAuthError = options.onAuthError || (() => {});

      this.serverClicks = 0;
      this.totalClicks = 0;
      this.pending = 0;
      this.nextSeq = 1;
      this.inflight = null; // {seq, count, batch, renumbered}; no batch when stored without one
      this.shown = 0;
      this.rejectedTotal = 0;
      this.limits = limitsFrom(null);
      this.intervalMs = DEFAULT_INTERVAL_MS;
      this.intervalUntil = 0;
      this.retryUntil = 0;
      this.failures = 0;
      this.requestActive = false;
      this.stopped = true;
      this.timer = null;
      this.state = "synced"; // synced | pending | syncing | offline | waiting | stopped
    }

    /** Begin from the server's view of the player (GET /api/me) and the stored queue. */
    start(me) {
      this.limits = limitsFrom(me);
      const stored = this.load();
      this.serverClicks = me.clicks;
      this.totalClicks = Math.max(this.totalClicks, me.clicks);
      this.pending = stored ? stored.pending : 0;
      this.inflight = stored && stored.inflight ? stored.inflight : null;
      // Never reuse a seq the server or the stored in-flight batch already holds.
      this.nextSeq = Math.max(
        stored ? stored.nextSeq : 1,
        me.seq + 1,
        this.inflight ? this.inflight.seq + 1 : 1
      );
      this.stopped = false;
      this.refresh(true);
      this.save();
      this.pump();
    }

    /** Stop sending (signed out, banned); the queue stays stored for the next visit. */
    stop() {
      this.stopped = true;
      this.cancelTimer();
      this.state = "stopped";
      this.notify();
    }

    /** Count taps locally and make sure a sync is on its way. */
    tap(count = 1) {
      if (this.stopped || !isCount(count) || count === 0) return;
      this.pending += count;
      this.save();
      this.refresh(false);
      this.pump();
    }

    /** The page is going away or to the background: send now, ignoring the sync interval. */
    flush() {
      this.pump({ urgent: true });
    }

    /** The network is back (the browser said so): retry now instead of after the backoff. */
    retryNow() {
      this.retryUntil = 0;
      this.pump();
    }

    /** A fresher global total (for example from the leaderboard). */
    noteTotal(totalClicks) {
      if (isCount(totalClicks)) {
        this.totalClicks = totalClicks;
        this.refresh(false);
      }
    }

    unsynced() {
      return this.pending + (this.inflight ? this.inflight.count : 0);
    }

    view() {
      const unsynced = this.unsynced();
      const total = Math.max(this.totalClicks, this.serverClicks) + unsynced;
      return {
        clicks: this.shown,
        serverClicks: this.serverClicks,
        totalClicks: Math.max(total, this.shown),
        unsynced,
        state: this.state,
        retryInMs: Math.max(0, this.retryUntil - this.now()),
        intervalMs: this.intervalMs,
        rejectedTotal: this.rejectedTotal,
        nextSeq: this.nextSeq,
      };
    }

    // --- internals ---------------------------------------------------------------------------

    refresh(exact) {
      const target = this.serverClicks + this.unsynced();
      this.shown = exact || this.unsynced() === 0 ? target : Math.max(this.shown, target);
      if (!this.requestActive && this.state !== "offline" && this.state !== "waiting") {
        this.state = this.unsynced() > 0 ? "pending" : "synced";
      }
      if (this.stopped && this.state !== "stopped") this.state = "stopped";
      this.notify();
    }

    notify() {
      try {
        this.onChange(this.view());
      } catch (error) {
        // A broken view must not break the sync.
        if (root.console) root.console.error(error);
      }
    }

    load() {
      const raw = this.storage.get(this.storageKey);
      if (!raw) return null;
      try {
        const data = JSON.parse(raw);
        const inflight = data.inflight;
        const inflightOk =
          inflight === null ||
          (inflight && Number.isSafeInteger(inflight.seq) && inflight.seq >= 1 &&
            isCount(inflight.count) &&
            inflight.count <= Math.max(MAX_BATCH, this.limits.maxBatch) &&
            (inflight.batch === undefined || isPositive(inflight.batch)));
        if (data.v !== STORAGE_VERSION || !isCount(data.pending) || !inflightOk ||
            !Number.isSafeInteger(data.nextSeq) || data.nextSeq < 1) {
          return null;
        }
        return data;
      } catch (error) {
        return null;
      }
    }

    save() {
      this.storage.set(
        this.storageKey,
        JSON.stringify({
          v: STORAGE_VERSION,
          pending: this.pending,
          nextSeq: this.nextSeq,
          inflight: this.inflight,
        })
      );
    }

    cancelTimer() {
      if (this.timer !== null) {
        this.clearTimer(this.timer);
        this.timer = null;
      }
    }

    schedule() {
      this.cancelTimer();
      if (this.stopped || this.requestActive || this.unsynced() === 0) return;
      const wait = Math.max(0, this.intervalUntil - this.now(), this.retryUntil - this.now());
      this.timer = this.setTimer(() => {
        this.timer = null;
        this.pump();
      }, wait);
    }

    pump({ urgent = false } = {}) {
      if (this.stopped || this.requestActive) return;
      if (this.unsynced() === 0) {
        this.cancelTimer();
        return;
      }
      const now = this.now();
      if (now < this.retryUntil || (!urgent && now < this.intervalUntil)) {
        this.schedule();
        return;
      }
      this.cancelTimer();
      if (!this.inflight) {
        const count = Math.min(this.pending, this.limits.maxBatch);
        this.inflight = { seq: this.nextSeq, count, batch: newBatchId(), renumbered: false };
        this.nextSeq += 1;
        this.pending -= count;
        this.save();
      }
      const batch = { seq: this.inflight.seq, count: this.inflight.count };
      if (this.inflight.batch !== undefined) batch.batch = this.inflight.batch;
      this.requestActive = true;
      // While retrying after failures keep saying so; a success clears it.
      if (this.failures === 0) this.state = "syncing";
      this.notify();
      let outcome;
      try {
        outcome = Promise.resolve(this.send(batch, { keepalive: true }));
      } catch (error) {
        outcome = Promise.reject(error);
      }
      outcome
        .then(
          (response) => this.handleResponse(batch, response),
          () => this.handleFailure(null)
        )
        .catch((error) => {
          if (root.console) root.console.error(error);
          this.handleFailure(null);
        })
        .finally(() => {
          this.requestActive = false;
          this.refresh(false);
          this.schedule();
        });
    }

    handleResponse(batch, response) {
      const status = response.status;
      const body = response.body || {};
      if (status === 200) {
        this.applyAccepted(batch, body);
      } else if (status === 429 || status === 503) {
        this.handleFailure(response.retryAfter);
        this.state = "waiting";
      } else if (status === 401 || status === 403) {
        this.requestActive = false;
        this.stop();
        this.onAuthError({ status, code: body.error || "", detail: body.detail || "" });
      } else if (status >= 400 && status < 500) {
        return this.handleRefused(batch);
      } else {
        this.handleFailure(response.retryAfter);
      }
      return undefined;
    }

    applyAccepted(batch, body) {
      if (!isCount(body.clicks) || !Number.isSafeInteger(body.seq)) {
        this.handleFailure(null);
        return;
      }
      // Every 200 settles the batch. A duplicate with same_batch is this very batch, applied by
      // an attempt whose answer was lost (the browser may re-send a request by itself). Without
      // same_batch the seq may hold another device's batch; this client still lets the taps go,
      // rather than risk counting a batch twice.
      const rejected = isCount(body.rejected) ? body.rejected : 0;
      this.serverClicks = body.clicks;
      if (isCount(body.total_clicks)) this.totalClicks = body.total_clicks;
      if (this.inflight && this.inflight.seq === batch.seq) this.inflight = null;
      this.nextSeq = Math.max(this.nextSeq, body.seq + 1);
      if (Number.isFinite(body.sync_interval_ms)) {
        this.intervalMs = Math.min(
          MAX_INTERVAL_MS, Math.max(this.limits.minIntervalMs, body.sync_interval_ms)
        );
      }
      this.intervalUntil = this.now() + this.intervalMs;
      this.retryUntil = 0;
      this.failures = 0;
      this.rejectedTotal += rejected;
      this.save();
      this.state = this.unsynced() > 0 ? "pending" : "synced";
      // Rejected clicks never reach the server's number: show that number, not the taps.
      this.refresh(rejected > 0);
    }

    handleFailure(retryAfterSeconds) {
      this.failures += 1;
      const delay = backoffDelay(this.failures, this.random, this.limits.backoffCapMs);
      const serverWait = Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0
        ? retryAfterSeconds * 1000 + Math.round(this.random() * 250)
        : 0;
      this.retryUntil = this.now() + Math.max(delay, serverWait);
      this.state = "offline";
    }

    /**
     * A 4xx about the batch itself. A batch over the server's (lowered) limit goes back to the
     * pending taps and leaves again in batches that fit; otherwise the sequence is resynced once,
     * and a batch refused again is dropped.
     */
    handleRefused(batch) {
      return Promise.resolve(this.serverState()).then(
        (me) => {
          if (!this.inflight || this.inflight.seq !== batch.seq) return;
          this.serverClicks = me.clicks;
          this.limits = limitsFrom(me);
          if (this.inflight.count > this.limits.maxBatch && me.seq < this.inflight.seq) {
            this.pending += this.inflight.count;
            this.inflight = null;
            this.nextSeq = Math.max(this.nextSeq, me.seq + 1);
          } else if (!this.inflight.renumbered && this.inflight.seq !== me.seq + 1) {
            this.inflight = { ...this.inflight, seq: me.seq + 1, renumbered: true };
            this.nextSeq = me.seq + 2;
          } else {
            this.rejectedTotal += this.inflight.count;
            this.inflight = null;
            this.nextSeq = Math.max(this.nextSeq, me.seq + 1);
          }
          this.save();
          this.state = "pending";
          this.refresh(true);
        },
        () => this.handleFailure(null)
      );
    }
  }

  root.ClickgameSync = { ClickSync, backoffDelay, MAX_BATCH, BACKOFF_CAP_MS, BACKOFF_BASE_MS };
})(typeof window !== "undefined" ? window : globalThis);
