"""The leaderboard backends: the same questions answered from SQL, a snapshot or the Redis board.

Order (every backend): clicks descending, then player id ascending. Equal clicks share a rank:
rank = 1 + the number of visible players with strictly more clicks (1, 2, 2, 4).

Every backend only reads. A Redis board that cannot answer (lost, not yet holding a player,
showing a player banned since) raises BoardNotReady and the selectors ask `fallback_board()`;
`run_board_keeper` repairs the live board outside any request.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import QuerySet
from django.utils import timezone

from core.errors import NotFound
from leaderboard import live
from leaderboard.models import BoardSnapshot
from leaderboard.snapshot import snapshot_rank, usable_snapshot
from players.models import Player

logger = logging.getLogger(__name__)

TOP_SIZE = 5


@dataclass(frozen=True)
class Ranked:
    """A player's place on the board."""

    player_id: int
    clicks: int
    rank: int


@dataclass(frozen=True)
class BoardView:
    """What one leaderboard answer needs: the top, the player and the direct neighbours.

    `above`/`below` are the entries directly before/after `me` in board order (None at the ends);
    they are left out (None) when `me` is in the top. `active_players` is how many players
    synced in the last minute, when the backend learns it in the same call (the Redis board).
    """

    total_players: int
    top: list[Ranked]
    me: Ranked
    above: Ranked | None
    below: Ranked | None
    active_players: int | None = None


class Board(Protocol):
    """What the selectors ask of a backend."""

    def view(self, *, player_id: int) -> BoardView:
        """The board around a visible player; NotFound for unknown or banned players."""
        ...

    def ranks(self, *, player_ids: list[int]) -> dict[int, Ranked]:
        """The places of the visible players among `player_ids` (others are left out)."""
        ...


class BoardNotReady(Exception):
    """The Redis board cannot answer right now (lost or being built); ask the fallback."""


class NotOnLiveBoard(BoardNotReady):
    """The board is ready but does not hold what this answer needs yet (a new or just-banned
    player); the keeper's next pass fixes it, the fallback answers meanwhile."""


def ranked_top(rows: list[tuple[int, int]]) -> list[Ranked]:
    """Rank the first rows of the board: each rank counts the earlier rows with more clicks."""
    top: list[Ranked] = []
    for position, (player_id, clicks) in enumerate(rows):
        rank = top[-1].rank if top and top[-1].clicks == clicks else position + 1
        top.append(Ranked(player_id, clicks, rank))
    return top


def _not_on_board(player_id: int) -> NotFound:
    return NotFound(f"Player {player_id} is not on the leaderboard.")


class SqlBoard:
    """The board read from the players table's board order (`board_clicks`, `player_board_idx`).

    Exact whenever the live board is not tracking syncs (no Redis, Redis failing: each sync then
    writes its player's `board_clicks`); otherwise as fresh as the board keeper's last copy
    (`leaderboard.snapshot.board_order_refresh`), which runs on every pass while the live board
    is degraded. Clicks shown are the order's, so ranks and clicks always agree.
    """

    def _visible(self) -> QuerySet[Player]:
        return Player.objects.visible()

    def _rank(self, clicks: int) -> int:
        return self._visible().filter(board_clicks__gt=clicks).count() + 1

    def _total(self) -> int:
        return self._visible().count()

    def _rank_below_top(self, clicks: int, top: list[Ranked]) -> int:
        """The rank of an entry outside the top: the last top rank on a tie, never inside it."""
        if top and clicks == top[-1].clicks:
            return top[-1].rank
        return max(self._rank(clicks), len(top) + 1)

    def view(self, *, player_id: int) -> BoardView:
        visible = self._visible()
        clicks = visible.filter(pk=player_id).values_list("board_clicks", flat=True).first()
        if clicks is None:
            raise _not_on_board(player_id)
        top_rows = visible.order_by("-board_clicks", "pk").values_list("pk", "board_clicks")[
            :TOP_SIZE
        ]
        top = ranked_top(list(top_rows))
        in_top = next((entry for entry in top if entry.player_id == player_id), None)
        if in_top is not None:
            return BoardView(self._total(), top, in_top, None, None)
        me = Ranked(player_id, clicks, self._rank_below_top(clicks, top))
        # Two cheap index probes per side: a tie neighbour first, else the nearest other score.
        fields = ("pk", "board_clicks")
        above_row = (
            visible.filter(board_clicks=clicks, pk__lt=player_id)
            .order_by("-pk")
            .values_list(*fields)
        ).first() or (
            visible.filter(board_clicks__gt=clicks)
            .order_by("board_clicks", "-pk")
            .values_list(*fields)
        ).first()
        below_row = (
            visible.filter(board_clicks=clicks, pk__gt=player_id)
            .order_by("pk")
            .values_list(*fields)
        ).first() or (
            visible.filter(board_clicks__lt=clicks)
            .order_by("-board_clicks", "pk")
            .values_list(*fields)
        ).first()
        return BoardView(
            self._total(),
            top,
            me,
            self._neighbour(above_row, me, top),
            self._neighbour(below_row, me, top),
        )

    def _neighbour(
        self, row: tuple[int, int] | None, me: Ranked, top: list[Ranked]
    ) -> Ranked | None:
        if row is None:
            return None
        player_id, clicks = row
        rank = me.rank if clicks == me.clicks else self._rank_below_top(clicks, top)
        return Ranked(player_id, clicks, rank)

    def ranks(self, *, player_ids: list[int]) -> dict[int, Ranked]:
        rows = self._visible().filter(pk__in=player_ids).values_list("pk", "board_clicks")
        rank_of: dict[int, int] = {}
        result = {}
        for player_id, clicks in rows:
            if clicks not in rank_of:
                rank_of[clicks] = self._rank(clicks)
            result[player_id] = Ranked(player_id, clicks, rank_of[clicks])
        return result


class SnapshotBoard(SqlBoard):
    """The players table for who is where, the snapshot for ranks and the player count.

    Every query is an index probe, so it stays fast at any size; ranks and `total_players` are
    as of the snapshot (`stale_seconds`), clicks and order are live.
    """

    def __init__(self, snapshot: BoardSnapshot) -> None:
        self.snapshot = snapshot

    @property
    def stale_seconds(self) -> float:
        """How old the snapshot's ranks are."""
        return max(0.0, (timezone.now() - self.snapshot.taken_at).total_seconds())

    def _rank(self, clicks: int) -> int:
        return snapshot_rank(clicks)

    def _total(self) -> int:
        return self.snapshot.players


# KEYS: board, ready flag, active players. ARGV: the player's member, top size, start of the
# activity window.
# Returns nil when the board is not ready (Redis lost its data or was never built), else
# {card, active, top[, score, position, neighbours, neighbour ranks]}.
_VIEW_LUA = """
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local card = redis.call('ZCARD', KEYS[1])
local active = redis.call('ZCOUNT', KEYS[3], ARGV[3], '+inf')
local top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return {card, active, top} end
local pos = redis.call('ZREVRANK', KEYS[1], ARGV[1])
local first = pos - 1
if first < 0 then first = 0 end
local near = redis.call('ZREVRANGE', KEYS[1], first, pos + 1, 'WITHSCORES')
local ranks = {}
for i = 2, #near, 2 do
  ranks[#ranks + 1] = redis.call('ZCOUNT', KEYS[1], '(' .. near[i], '+inf') + 1
end
return {card, active, top, score, pos, near, ranks}
"""


def _pairs(flat: list[Any]) -> list[tuple[int, int]]:
    """[member, score, member, score, ...] -> [(player_id, clicks), ...]."""
    return [(live.player_id_of(flat[i]), int(float(flat[i + 1]))) for i in range(0, len(flat), 2)]


class RedisBoard:
    """The board in the Redis sorted set `live.BOARD_KEY`: one read-only script call per answer.

    The board holds every visible player, with 0 clicks too: a player arrives by their first
    sync (`live.board_set_total`) or by the keeper's next pass (`leaderboard.keeper`). Nothing
    here writes to Redis or the database.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self._view_script = client.register_script(_VIEW_LUA)

    def view(self, *, player_id: int) -> BoardView:
        result = self._view_script(
            keys=[live.BOARD_KEY, live.BOARD_READY_KEY, live.ACTIVE_PLAYERS_KEY],
            args=[
                live.member_for(player_id),
                TOP_SIZE,
                time.time() - live.ACTIVE_WINDOW_SECONDS,
            ],
        )
        if result is None:
            raise BoardNotReady
        if len(result) == 3:
            if not Player.objects.visible().filter(pk=player_id).exists():
                raise _not_on_board(player_id)
            raise NotOnLiveBoard(f"player {player_id} is not on the live board yet")
        card, active, top_flat, _score, position, near_flat, near_ranks = result
        top = ranked_top(_pairs(top_flat))
        neighbours = [
            Ranked(player_id=pid, clicks=c, rank=int(r))
            for (pid, c), r in zip(_pairs(near_flat), near_ranks, strict=True)
        ]
        me = next(entry for entry in neighbours if entry.player_id == player_id)
        if any(entry.player_id == player_id for entry in top):
            return BoardView(int(card), top, me, None, None, int(active))
        above = neighbours[0] if position > 0 else None
        below = neighbours[-1] if neighbours[-1].player_id != player_id else None
        return BoardView(int(card), top, me, above, below, int(active))

    def ranks(self, *, player_ids: list[int]) -> dict[int, Ranked]:
        """Ranks from the board; players not on it yet are ranked by the fallback board."""
        if not self.client.exists(live.BOARD_READY_KEY):
            raise BoardNotReady
        members = [live.member_for(pk) for pk in player_ids]
        scores = self.client.zmscore(live.BOARD_KEY, members) if members else []
        on_board = [
            (pk, int(float(score)))
            for pk, score in zip(player_ids, scores, strict=True)
            if score is not None
        ]
        pipe = self.client.pipeline(transaction=False)
        for _pk, clicks in on_board:
            pipe.zcount(live.BOARD_KEY, f"({clicks}", "+inf")
        above_counts = pipe.execute() if on_board else []
        ranked = {
            pk: Ranked(pk, clicks, int(above) + 1)
            for (pk, clicks), above in zip(on_board, above_counts, strict=True)
        }
        missing = [pk for pk in player_ids if pk not in ranked]
        if missing:
            ranked.update(fallback_board().ranks(player_ids=missing))
        return ranked


def fallback_board() -> SqlBoard:
    """The board that answers when the live one cannot: the snapshot at scale, else the table."""
    snapshot = usable_snapshot()
    return SqlBoard() if snapshot is None else SnapshotBoard(snapshot)


def board_backend() -> Board:
    """The configured backend: Redis when REDIS_URL is set, else the fallback board."""
    client = live.redis_client()
    return fallback_board() if client is None else RedisBoard(client)
