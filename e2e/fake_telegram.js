/*
 * A stand-in for Telegram.WebApp, installed before the page's own scripts. It records what the
 * game asks of Telegram (ready, expand, haptics, BackButton) and lets the test fire Telegram's
 * events; every fetch the page makes is logged too. __INIT_DATA__ and __VERSION__ are filled in
 * by the test.
 */
(() => {
  const calls = [];
  const handlers = {};
  const backHandlers = [];
  const fetches = [];
  const realFetch = window.fetch.bind(window);
  window.fetch = (input, init = {}) => {
    fetches.push({
      url: String(input),
      method: init.method || "GET",
      keepalive: Boolean(init.keepalive),
      at: performance.now(),
    });
    return realFetch(input, init);
  };
  const compareVersions = (a, b) => {
    const x = String(a).split(".").map(Number);
    const y = String(b).split(".").map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const difference = (x[i] || 0) - (y[i] || 0);
      if (difference) return difference;
    }
    return 0;
  };
  window.Telegram = {
    WebApp: {
      initData: __INIT_DATA__,
      version: __VERSION__,
      platform: "android",
      colorScheme: "dark",
      themeParams: {
        bg_color: "#102030",
        text_color: "#f0f0f0",
        hint_color: "#8899aa",
        link_color: "#66bbff",
        button_color: "#ff8800",
        button_text_color: "#000000",
        secondary_bg_color: "#203040",
      },
      safeAreaInset: { top: 24, bottom: 34, left: 0, right: 0 },
      contentSafeAreaInset: { top: 40, bottom: 0, left: 0, right: 0 },
      isVersionAtLeast(version) {
        return compareVersions(this.version, version) >= 0;
      },
      ready() { calls.push("ready"); },
      expand() { calls.push("expand"); },
      disableVerticalSwipes() { calls.push("disableVerticalSwipes"); },
      onEvent(name, handler) { (handlers[name] = handlers[name] || []).push(handler); },
      offEvent(name, handler) {
        handlers[name] = (handlers[name] || []).filter((known) => known !== handler);
      },
      HapticFeedback: {
        impactOccurred(style) { calls.push(`haptic:${style}`); },
      },
      BackButton: {
        isVisible: false,
        show() { this.isVisible = true; calls.push("back:show"); },
        hide() { this.isVisible = false; calls.push("back:hide"); },
        onClick(handler) { backHandlers.push(handler); },
        offClick(handler) {
          const index = backHandlers.indexOf(handler);
          if (index >= 0) backHandlers.splice(index, 1);
        },
      },
    },
  };
  window.fakeTelegram = {
    calls,
    fetches,
    emit(name) { (handlers[name] || []).slice().forEach((handler) => handler()); },
    // Telegram delivers a back press to BackButton.onClick handlers and to
    // onEvent("backButtonClicked") listeners alike.
    pressBack() {
      backHandlers.slice().forEach((handler) => handler());
      (handlers.backButtonClicked || []).slice().forEach((handler) => handler());
    },
    backHandlerCount: () => backHandlers.length,
  };
})();
