/*
 * Test harness for ClickgameSync.ClickSync in a real browser: a fake transport whose requests
 * the test answers one by one, a fake clock with timers the test advances, and fake storage.
 */
window.makeHarness = function makeHarness(options = {}) {
  const h = {
    now: 0,
    nextTimerId: 1,
    timers: [],
    sent: [],
    inFlight: [],
    views: [],
    authErrors: [],
    me: options.me || { clicks: 0, seq: 0 },
    randomValue: options.random === undefined ? 0.5 : options.random,
    store: options.store || new Map(),
  };
  const storage = options.storage || {
    getItem: (key) => (h.store.has(key) ? h.store.get(key) : null),
    setItem: (key, value) => h.store.set(key, String(value)),
  };
  h.sync = new window.ClickgameSync.ClickSync({
    send: (batch, sendOptions) =>
      new Promise((resolve, reject) => {
        h.sent.push({
          seq: batch.seq, count: batch.count, batch: batch.batch, keepalive: sendOptions.keepalive,
          at: h.now,
        });
        h.inFlight.push({ resolve, reject });
      }),
    serverState: () => Promise.resolve(h.me),
    storage,
    storageKey: "queue",
    now: () => h.now,
    random: () => h.randomValue,
    setTimer: (fn, ms) => {
      const id = h.nextTimerId++;
      h.timers.push({ id, at: h.now + ms, fn });
      return id;
    },
    clearTimer: (id) => {
      h.timers = h.timers.filter((timer) => timer.id !== id);
    },
    onChange: (view) => h.views.push(view),
    onAuthError: (error) => h.authErrors.push(error),
  });
  h.settle = async () => {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  };
  h.respond = async (status, body = {}, retryAfter = null) => {
    const request = h.inFlight.shift();
    if (!request) throw new Error("no request in flight");
    request.resolve({ status, body, retryAfter });
    await h.settle();
  };
  h.accept = (batch, extra = {}) => ({
    accepted: batch.count,
    rejected: 0,
    duplicate: false,
    same_batch: false,
    seq: batch.seq,
    clicks: 0,
    total_clicks: 0,
    sync_interval_ms: 1000,
    ...extra,
  });
  h.fail = async () => {
    const request = h.inFlight.shift();
    if (!request) throw new Error("no request in flight");
    request.reject(new TypeError("Failed to fetch"));
    await h.settle();
  };
  h.advance = async (ms) => {
    const end = h.now + ms;
    for (;;) {
      h.timers.sort((a, b) => a.at - b.at);
      const timer = h.timers[0];
      if (!timer || timer.at > end) break;
      h.timers.shift();
      h.now = timer.at;
      timer.fn();
      await h.settle();
    }
    h.now = end;
  };
  h.view = () => h.sync.view();
  h.stored = () => JSON.parse(h.store.get("queue") || "null");
  return h;
};
