/*
 * clickgame board display: the one rule every client follows (docs/architecture.md, "How every
 * client shows the board"), with no DOM in it, so the page and the tests (node) run the same
 * code against leaderboard/tests/board_format_cases.json.
 */
(function (root) {
  "use strict";

  /** The line that stands for places skipped between the top and the player's part. */
  const GAP = "…";

  /** A whole number with its digits grouped by three with commas: 1,234,567. */
  function formatCount(value) {
    const digits = String(Math.trunc(Math.abs(value)));
    const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return value < 0 ? `-${grouped}` : grouped;
  }

  /**
   * A share in percent (0..100, as the API sends it): 0%, <0.01%, 0.42%, 12.3%.
   * Half-up rounding done in doubles, floor(share * 10^d + 0.5), so every client agrees.
   */
  function formatShare(share) {
    if (typeof share !== "number" || !Number.isFinite(share) || share <= 0) return "0%";
    if (share < 0.01) return "<0.01%";
    const decimals = share < 1 ? 2 : 1;
    const scale = 10 ** decimals;
    const scaled = Math.floor(share * scale + 0.5);
    const fraction = String(scaled % scale).padStart(decimals, "0");
    return `${Math.floor(scaled / scale)}.${fraction}%`;
  }

  function entryLine(entry, myId) {
    return {
      rank: entry.rank,
      name: entry.game_name,
      clicks: formatCount(entry.clicks),
      share: formatShare(entry.share),
      me: entry.player_id === myId,
      playerId: entry.player_id,
    };
  }

  /**
   * The lines of a GET /api/leaderboard answer, in order: every `top` entry, then, when there is
   * an `around` part, GAP if its first rank is past len(top) + 1, then every `around` entry.
   */
  function boardLines(board) {
    const myId = board.me.player_id;
    const top = board.top || [];
    const around = board.around || [];
    const lines = top.map((entry) => entryLine(entry, myId));
    if (around.length) {
      if (around[0].rank > top.length + 1) lines.push(GAP);
      lines.push(...around.map((entry) => entryLine(entry, myId)));
    }
    return lines;
  }

  root.ClickgameBoard = { GAP, boardLines, formatCount, formatShare };
})(typeof window !== "undefined" ? window : globalThis);
