/*
 * clickgame light client: onboarding, the tap button, counters and the leaderboard.
 *
 * Works inside Telegram (Telegram.WebApp: theme, safe areas, haptics, BackButton) and without
 * it: Telegram's script is loaded async and may never arrive. Sign-in data comes from
 * Telegram.WebApp.initData, else the #tgWebAppData= fragment, else (DEBUG) the dev sign-in.
 * Text from users and the server is always inserted with textContent.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("miniapp-config").textContent);
  const SDK_WAIT_MS = 1500;
  const FETCH_TIMEOUT_MS = 10000;
  const SCREENS = ["loading", "error", "onboarding", "game", "board"];
  const COLOR = /^#[0-9a-fA-F]{3,8}$/;

  const AUTH_ERRORS = {
    missing: [
      "Open the game from Telegram",
      "This page needs Telegram's sign-in. Open clickgame with the Play button in the bot.",
    ],
    malformed: [
      "Sign-in failed",
      "Telegram's sign-in data for this page is damaged. Close the game and open it again " +
        "from Telegram.",
    ],
    bad_signature: [
      "Sign-in failed",
      "We couldn't verify your Telegram sign-in. Close the game and open it again from Telegram.",
    ],
    expired: [
      "Session expired",
      "Your Telegram sign-in has expired. Close the game and open it again from Telegram.",
    ],
    from_future: [
      "Check your clock",
      "Your sign-in seems to come from the future. Check your device's date and time, then " +
        "open the game again.",
    ],
    banned: ["Account blocked", "This account can't play clickgame any more."],
    not_a_player: [
      "Open the game from Telegram",
      "Only Telegram players can play. Open clickgame with the Play button in the bot.",
    ],
    network: [
      "Can't reach the game",
      "The game server doesn't answer. Check your connection and try again.",
    ],
    server: ["Something went wrong", "The game server had a problem. Please try again shortly."],
  };

  const NAME_ERRORS = {
    too_short: () => `That name is too short: use at least ${config.nameMinLength} characters.`,
    too_long: () => `That name is too long: use at most ${config.nameMaxLength} characters.`,
    invalid_chars: () =>
      "Use letters, digits, spaces and _ - . only, with at least one letter.",
    taken: () => "Someone already plays under that name. Please pick another one.",
    blocked: () => "That name isn't allowed. Please pick another one.",
    required: () => "Please type a game name.",
  };

  const app = {
    initData: "",
    tg: null,
    me: null,
    sync: null,
    screen: "loading",
    boardTimer: null,
    // Which opening of the leaderboard the running refresh chain belongs to.
    boardRun: 0,
    // The wait before the next leaderboard refresh, as the server last asked.
    boardPollMs: config.boardRefreshMs,
    // When the leaderboard was last asked for (ms since the epoch).
    boardAt: 0,
    rejectedSeen: 0,
    // Whether this visit had taps to save (tapped, or left over from last time): until then
    // there is nothing to report, so "All taps saved" is not shown.
    hadTapsToSave: false,
  };

  const $ = (id) => document.getElementById(id);
  const numberFormat = new Intl.NumberFormat();

  // --- screens ---------------------------------------------------------------------------------

  function show(name) {
    for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
    $("app").dataset.screen = name;
    app.screen = name;
  }

  function showError(code, { detail = "", retry = null } = {}) {
    const [title, message] = AUTH_ERRORS[code] || [AUTH_ERRORS.server[0], detail || AUTH_ERRORS.server[1]];
    $("screen-error").dataset.code = code;
    $("error-title").textContent = title;
    $("error-message").textContent = message;
    const retryButton = $("error-retry");
    retryButton.hidden = !retry;
    retryButton.onclick = retry;
    const link = $("error-link");
    const canReopen = !app.tg || !app.tg.initData;
    if (config.debug && config.devSigninUrl && canReopen && code !== "network") {
      link.href = config.devSigninUrl;
      link.textContent = "Dev sign-in";
      link.hidden = false;
    } else if (canReopen && code !== "network" && code !== "banned") {
      link.href = config.botUrl;
      link.textContent = "Open in Telegram";
      link.hidden = false;
    } else {
      link.hidden = true;
    }
    if (app.sync) app.sync.stop();
    hideBackButton();
    stopBoardRefresh();
    show("error");
  }

  function showApiError(response) {
    const code = (response.body && response.body.error) || "";
    if (response.status === 401) {
      showError(AUTH_ERRORS[code] ? code : "bad_signature");
    } else if (response.status === 403) {
      showError(AUTH_ERRORS[code] ? code : "banned");
    } else {
      showError("server", { detail: response.body && response.body.detail, retry: loadMe });
    }
  }

  // --- Telegram ----------------------------------------------------------------------------------

  function telegram() {
    const webApp = window.Telegram && window.Telegram.WebApp;
    return webApp && typeof webApp === "object" ? webApp : null;
  }

  function versionAtLeast(version) {
    try {
      return Boolean(app.tg && app.tg.isVersionAtLeast && app.tg.isVersionAtLeast(version));
    } catch (error) {
      return false;
    }
  }

  function attempt(action) {
    try {
      action();
    } catch (error) {
      // Older Telegram clients lack some methods; the game works without them.
    }
  }

  function onTelegram(event, handler) {
    attempt(() => app.tg.onEvent(event, handler));
  }

  function applyTheme() {
    const params = (app.tg && app.tg.themeParams) || {};
    const style = document.documentElement.style;
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === "string" && COLOR.test(value) && /^[a-z_]+$/.test(key)) {
        style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, value);
      }
    }
    const scheme = app.tg && app.tg.colorScheme;
    if (scheme === "dark" || scheme === "light") document.documentElement.dataset.colorScheme = scheme;
  }

  function applyInsets(prefix, insets) {
    const style = document.documentElement.style;
    for (const side of ["top", "bottom", "left", "right"]) {
      const value = insets && Number(insets[side]);
      style.setProperty(`${prefix}-${side}`, `${Number.isFinite(value) ? Math.max(0, value) : 0}px`);
    }
  }

  function applySafeAreas() {
    applyInsets("--tg-safe-area-inset", app.tg && app.tg.safeAreaInset);
    applyInsets("--tg-content-safe-area-inset", app.tg && app.tg.contentSafeAreaInset);
  }

  /** Hook into Telegram.WebApp once it exists (now, or when its script arrives late). */
  function attachTelegram() {
    if (app.tg) return;
    const webApp = telegram();
    if (!webApp) return;
    app.tg = webApp;
    document.documentElement.dataset.telegram = "on";
    applyTheme();
    applySafeAreas();
    onTelegram("themeChanged", applyTheme);
    onTelegram("safeAreaChanged", applySafeAreas);
    onTelegram("contentSafeAreaChanged", applySafeAreas);
    onTelegram("deactivated", flush);
    onTelegram("activated", () => app.sync && app.sync.retryNow());
    attempt(() => webApp.ready());
    attempt(() => webApp.expand());
    if (versionAtLeast("7.7")) attempt(() => webApp.disableVerticalSwipes());
    if (app.screen === "board") showBackButton();
  }

  function waitForSdk(timeoutMs) {
    return new Promise((resolve) => {
      if (window.clickgameSdk !== "loading") return resolve();
      const done = () => {
        window.removeEventListener("clickgame:sdk", done);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      window.addEventListener("clickgame:sdk", done);
    });
  }

  function haptic() {
    if (!versionAtLeast("6.1")) return;
    attempt(() => app.tg.HapticFeedback.impactOccurred("light"));
  }

  function showBackButton() {
    if (!versionAtLeast("6.1") || !app.tg.BackButton) return;
    attempt(() => {
      app.tg.BackButton.onClick(closeBoard);
      app.tg.BackButton.show();
      $("close-board").hidden = true;
    });
  }

  function hideBackButton() {
    $("close-board").hidden = false;
    if (!app.tg || !app.tg.BackButton) return;
    attempt(() => {
      app.tg.BackButton.offClick(closeBoard);
      app.tg.BackButton.hide();
    });
  }

  // --- initData and the API ----------------------------------------------------------------------

  function fragmentInitData() {
    const fragment = window.location.hash.slice(1);
    if (!fragment) return "";
    try {
      return new URLSearchParams(fragment).get("tgWebAppData") || "";
    } catch (error) {
      return "";
    }
  }

  function resolveInitData() {
    const webApp = telegram();
    if (webApp && typeof webApp.initData === "string" && webApp.initData) return webApp.initData;
    return fragmentInitData();
  }

  /** The Telegram user id inside initData, only to keep each player's offline queue apart. */
  function telegramIdOf(initData) {
    try {
      const user = JSON.parse(new URLSearchParams(initData).get("user") || "{}");
      return Number.isSafeInteger(user.id) ? String(user.id) : "unknown";
    } catch (error) {
      return "unknown";
    }
  }

  function parseRetryAfter(header) {
    if (!header) return null;
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds);
    const date = Date.parse(header);
    return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : null;
  }

  async function api(method, path, body, { keepalive = false } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
      const response = await fetch(config.apiBase + path, {
        method,
        headers: {
          Authorization: `tma ${app.initData}`,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        keepalive,
        signal: controller.signal,
      });
      let data = null;
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
      return {
        status: response.status,
        body: data,
        retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  // --- sign-in and onboarding --------------------------------------------------------------------

  async function loadMe() {
    show("loading");
    let response;
    try {
      response = await api("GET", "me");
    } catch (error) {
      showError("network", { retry: loadMe });
      return;
    }
    if (response.status !== 200) {
      showApiError(response);
      return;
    }
    app.me = response.body;
    if (app.me.needs_name) showOnboarding();
    else startGame();
  }

  function showOnboarding() {
    const input = $("name-input");
    input.maxLength = config.nameMaxLength;
    $("name-rules").textContent =
      `${config.nameMinLength}–${config.nameMaxLength} characters: letters, digits, spaces ` +
      "and _ - . are fine.";
    if (app.me && app.me.name_status === "rejected" && app.me.game_name) {
      setNameError("A moderator turned down your previous name. Please pick another one.");
    } else {
      setNameError("");
    }
    show("onboarding");
    attempt(() => input.focus());
  }

  function setNameError(message, code = "") {
    const element = $("name-error");
    element.textContent = message;
    element.dataset.code = code;
    element.hidden = !message;
  }

  async function submitName(event) {
    event.preventDefault();
    const input = $("name-input");
    const gameName = input.value;
    if (!gameName.trim()) {
      setNameError(NAME_ERRORS.required(), "required");
      return;
    }
    const button = $("name-submit");
    button.disabled = true;
    setNameError("");
    let response;
    try {
      response = await api("POST", "users", { game_name: gameName });
    } catch (error) {
      setNameError("Can't reach the game server. Check your connection and try again.", "network");
      button.disabled = false;
      return;
    }
    button.disabled = false;
    const code = (response.body && response.body.error) || "";
    if (response.status === 200 || response.status === 201) {
      app.me = response.body;
      startGame();
    } else if (response.status === 429) {
      const minutes = Math.max(1, Math.ceil((response.retryAfter || 60) / 60));
      setNameError(
        `You've changed your name too often. Try again in ${minutes} minute${minutes > 1 ? "s" : ""}.`,
        "rate_limited"
      );
    } else if (response.status === 401 || response.status === 403) {
      showApiError(response);
    } else if (NAME_ERRORS[code]) {
      setNameError(NAME_ERRORS[code](), code);
    } else {
      setNameError(
        (response.body && response.body.detail) || "That name didn't work. Please try another.",
        code || "invalid"
      );
    }
  }

  // --- the game ------------------------------------------------------------------------------------

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  function startGame() {
    $("player-name").textContent = app.me.public_name;
    if (!app.sync) {
      app.sync = new window.ClickgameSync.ClickSync({
        send: (batch, options) => api("POST", "clicks", batch, options),
        serverState: async () => {
          const response = await api("GET", "me");
          if (response.status !== 200) throw new Error(`me: ${response.status}`);
          const { clicks, seq, limits } = response.body;
          return { clicks, seq, limits };
        },
        storage: storage(),
        storageKey: `clickgame.sync.${telegramIdOf(app.initData)}`,
        onChange: renderCounters,
        onAuthError: (error) =>
          showApiError({ status: error.status, body: { error: error.code, detail: error.detail } }),
      });
      app.sync.start({ clicks: app.me.clicks, seq: app.me.seq, limits: app.me.limits });
    }
    show("game");
    loadTotals();
  }

  async function loadTotals() {
    try {
      const response = await api("GET", "leaderboard");
      if (response.status === 200 && app.sync) app.sync.noteTotal(response.body.total_clicks);
    } catch (error) {
      // The counters show local numbers until the next sync brings the total.
    }
  }

  function setNumber(element, value) {
    element.dataset.value = String(value);
    element.textContent = numberFormat.format(value);
  }

  /** A share in percent (0..100, as the API sends it), by the board's rule (board.js). */
  const formatShare = window.ClickgameBoard.formatShare;

  function plural(count, noun) {
    return `${numberFormat.format(count)} ${noun}${count === 1 ? "" : "s"}`;
  }

  function statusText(view) {
    const taps = plural(view.unsynced, "tap");
    switch (view.state) {
      case "synced":
        return app.hadTapsToSave ? "All taps saved" : "";
      case "pending":
      case "syncing":
        return `Saving ${taps}…`;
      case "offline":
        return `Offline: ${taps} waiting, they'll be sent when the connection is back`;
      case "waiting":
        return `Server busy: ${taps} waiting, sending shortly`;
      default:
        return `Sync paused: ${taps} kept on this device`;
    }
  }

  function renderCounters(view) {
    setNumber($("my-clicks"), view.clicks);
    setNumber($("total-clicks"), view.totalClicks);
    $("my-share").textContent = formatShare(
      view.totalClicks > 0 ? (view.clicks * 100) / view.totalClicks : 0
    );
    const status = $("sync-status");
    if (view.unsynced > 0) app.hadTapsToSave = true;
    status.dataset.state = view.state;
    status.dataset.unsynced = String(view.unsynced);
    status.textContent = statusText(view);
    const note = $("rejected-note");
    if (view.rejectedTotal > app.rejectedSeen) {
      const refused = view.rejectedTotal - app.rejectedSeen;
      note.textContent =
        `${numberFormat.format(refused)} tap${refused === 1 ? " was" : "s were"} faster than ` +
        "the game allows and didn't count.";
      note.hidden = false;
      app.rejectedSeen = view.rejectedTotal;
    }
  }

  function onTap() {
    if (!app.sync) return;
    app.sync.tap(1);
    haptic();
    const button = $("tap");
    button.classList.remove("pop");
    void button.offsetWidth; // restart the animation
    button.classList.add("pop");
  }

  function flush() {
    if (app.sync) app.sync.flush();
  }

  // --- the leaderboard ---------------------------------------------------------------------------

  function openBoard() {
    show("board");
    showBackButton();
    stopBoardRefresh();
    pollBoard(app.boardRun);
  }

  // Refresh now, then again when the last answer asked to (`poll_interval_ms`: longer while the
  // server is busy or degraded), never sooner than boardRefreshMs. One chain per opening.
  async function pollBoard(run) {
    await refreshBoard();
    if (run !== app.boardRun || app.screen !== "board") return;
    app.boardTimer = setTimeout(() => pollBoard(run), app.boardPollMs);
  }

  function closeBoard() {
    stopBoardRefresh();
    hideBackButton();
    show("game");
  }

  function stopBoardRefresh() {
    if (app.boardTimer !== null) clearTimeout(app.boardTimer);
    app.boardTimer = null;
    app.boardRun += 1;
  }

  async function refreshBoard() {
    if (document.visibilityState === "hidden" || app.screen !== "board") return;
    app.boardAt = Date.now();
    const error = $("board-error");
    let response;
    try {
      response = await api("GET", "leaderboard");
    } catch (failure) {
      error.textContent = "Can't reach the game server; showing the last leaderboard.";
      error.hidden = false;
      return;
    }
    if (response.status === 401 || response.status === 403) {
      showApiError(response);
      return;
    }
    if (response.status !== 200) {
      error.textContent = "The leaderboard isn't available right now.";
      error.hidden = false;
      return;
    }
    error.hidden = true;
    app.boardPollMs = Math.max(config.boardRefreshMs, Number(response.body.poll_interval_ms) || 0);
    renderBoard(response.body);
    if (app.sync) app.sync.noteTotal(response.body.total_clicks);
  }

  function boardRow(line) {
    const row = document.createElement("li");
    row.className = "row";
    row.dataset.playerId = String(line.playerId);
    row.dataset.rank = String(line.rank);
    if (line.me) {
      row.classList.add("me");
      row.setAttribute("aria-current", "true");
    }
    const cells = [
      ["rank", `#${window.ClickgameBoard.formatCount(line.rank)}`],
      ["name", line.name],
      ["clicks", line.clicks],
      ["share", line.share],
    ];
    for (const [name, text] of cells) {
      const cell = document.createElement("span");
      cell.className = name;
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }

  /** The board by the one display rule (board.js): top rows, "…" if places are skipped, own part. */
  function renderBoard(board) {
    const { GAP, boardLines } = window.ClickgameBoard;
    const lines = boardLines(board);
    const rows = lines.filter((line) => line !== GAP);
    const topCount = (board.top || []).length;
    $("board-top").replaceChildren(...rows.slice(0, topCount).map(boardRow));
    $("board-around").replaceChildren(...rows.slice(topCount).map(boardRow));
    $("board-separator").hidden = !lines.includes(GAP);
    const summary = $("board-summary");
    summary.dataset.players = String(board.total_players);
    summary.dataset.total = String(board.total_clicks);
    summary.textContent =
      `${plural(board.total_players, "player")} · ${plural(board.total_clicks, "click")} in total`;
  }

  // --- start -------------------------------------------------------------------------------------

  async function boot() {
    show("loading");
    attachTelegram();
    app.initData = resolveInitData();
    if (!app.initData && window.clickgameSdk === "loading") {
      await waitForSdk(SDK_WAIT_MS);
      attachTelegram();
      app.initData = resolveInitData();
    }
    if (!app.initData) {
      showError("missing");
      return;
    }
    await loadMe();
  }

  window.addEventListener("clickgame:sdk", attachTelegram);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      flush();
    } else {
      if (app.sync) app.sync.retryNow();
      // Back to an open board whose next refresh is overdue: refresh now (and go on from there).
      if (app.screen === "board" && Date.now() - app.boardAt >= app.boardPollMs) {
        stopBoardRefresh();
        pollBoard(app.boardRun);
      }
    }
  });
  window.addEventListener("pagehide", flush);
  window.addEventListener("online", () => app.sync && app.sync.retryNow());
  $("name-form").addEventListener("submit", submitName);
  $("tap").addEventListener("click", onTap);
  $("open-board").addEventListener("click", openBoard);
  $("close-board").addEventListener("click", closeBoard);
  boot();
})();
