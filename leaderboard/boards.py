"""The two leaderboard backends: the same questions answered from SQL or from the Redis board.

Order (both backends): clicks descending, then player id ascending. Equal clicks share a rank:
rank = 1 + the number of visible players with strictly more clicks (1, 2, 2, 4).
"""

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import QuerySet

from core.errors import NotFound
from leaderboard import live
from leaderboard.rebuild import board_rebuild_when_lost
from players.models import Player

logger = logging.getLogger(__name__)

TOP_SIZE = 5
# New players added to the Redis board per round by a reader, and rounds per request.
JOIN_BATCH = 1000
JOIN_ROUNDS = 10


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
    they are left out (None) when `me` is in the top.
    """

    total_players: int
    top: list[Ranked]
    me: Ranked
    above: Ranked | None
    below: Ranked | None


class Board(Protocol):
    """What the selectors ask of a backend."""

    def view(self, *, player_id: int) -> BoardView:
        """The board around a visible player; NotFound for unknown or banned players."""
        ...

    def ranks(self, *, player_ids: list[int]) -> dict[int, Ranked]:
        """The places of the visible players among `player_ids` (others are left out)."""
        ...

    def forget(self, *, player_ids: list[int]) -> None:
        """Drop players the database says are gone or banned (a stale live entry)."""
        ...


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
    """The board read straight from the players table (index `player_board_idx`)."""

    def _visible(self) -> QuerySet[Player]:
        return Player.objects.visible()

    def _rank(self, clicks: int) -> int:
        return self._visible().filter(clicks__gt=clicks).count() + 1

    def view(self, *, player_id: int) -> BoardView:
        visible = self._visible()
        clicks = visible.filter(pk=player_id).values_list("clicks", flat=True).first()
        if clicks is None:
            raise _not_on_board(player_id)
        top_rows = visible.order_by("-clicks", "pk").values_list("pk", "clicks")[:TOP_SIZE]
        top = ranked_top(list(top_rows))
        rank = self._rank(clicks)
        me = Ranked(player_id, clicks, rank)
        if any(entry.player_id == player_id for entry in top):
            return BoardView(visible.count(), top, me, None, None)
        # Two cheap index probes per side: a tie neighbour first, else the nearest other score.
        fields = ("pk", "clicks")
        above_row = (
            visible.filter(clicks=clicks, pk__lt=player_id).order_by("-pk").values_list(*fields)
        ).first() or (
            visible.filter(clicks__gt=clicks).order_by("clicks", "-pk").values_list(*fields)
        ).first()
        below_row = (
            visible.filter(clicks=clicks, pk__gt=player_id).order_by("pk").values_list(*fields)
        ).first() or (
            visible.filter(clicks__lt=clicks).order_by("-clicks", "pk").values_list(*fields)
        ).first()
        return BoardView(
            visible.count(),
            top,
            me,
            self._neighbour(above_row, me),
            self._neighbour(below_row, me),
        )

    def _neighbour(self, row: tuple[int, int] | None, me: Ranked) -> Ranked | None:
        if row is None:
            return None
        player_id, clicks = row
        rank = me.rank if clicks == me.clicks else self._rank(clicks)
        return Ranked(player_id, clicks, rank)

    def ranks(self, *, player_ids: list[int]) -> dict[int, Ranked]:
        rows = self._visible().filter(pk__in=player_ids).values_list("pk", "clicks")
        rank_of: dict[int, int] = {}
        result = {}
        for player_id, clicks in rows:
            if clicks not in rank_of:
                rank_of[clicks] = self._rank(clicks)
            result[player_id] = Ranked(player_id, clicks, rank_of[clicks])
        return result

    def forget(self, *, player_ids: list[int]) -> None:
        """Nothing to drop: the table is the truth."""


# KEYS: board, ready flag, known max id. ARGV: the player's member, top size.
# Returns nil when the board is not ready (Redis lost its data or was never built), else
# {card, top, known_max_id[, score, position, neighbours, neighbour ranks]}.
_VIEW_LUA = """
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local card = redis.call('ZCARD', KEYS[1])
local top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
local known = redis.call('GET', KEYS[3]) or '0'
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return {card, top, known} end
local pos = redis.call('ZREVRANK', KEYS[1], ARGV[1])
local first = pos - 1
if first < 0 then first = 0 end
local near = redis.call('ZREVRANGE', KEYS[1], first, pos + 1, 'WITHSCORES')
local ranks = {}
for i = 2, #near, 2 do
  ranks[#ranks + 1] = redis.call('ZCOUNT', KEYS[1], '(' .. near[i], '+inf') + 1
end
return {card, top, known, score, pos, near, ranks}
"""

# KEYS: known max id. ARGV: a player id now on the board. Only ever raises the mark.
_RAISE_KNOWN_LUA = """
local known = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > known then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


class BoardNotReady(Exception):
    """The Redis board cannot answer right now (lost or being built); ask SQL instead."""


def _pairs(flat: list[Any]) -> list[tuple[int, int]]:
    """[member, score, member, score, ...] -> [(player_id, clicks), ...]."""
    return [(live.player_id_of(flat[i]), int(float(flat[i + 1]))) for i in range(0, len(flat), 2)]


class RedisBoard:
    """The board in the Redis sorted set `live.BOARD_KEY`: one script call per answer.

    The board holds every visible player, with 0 clicks too. Click syncs create members by their
    first increment; readers add players newer than `KNOWN_MAX_ID_KEY` (and the asking player if
    missing) with ZADD NX 0, which can never count a click twice: it only creates an absent member
    at 0, and any increment, earlier or later, adds on top.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self._view_script = client.register_script(_VIEW_LUA)
        self._raise_known = client.register_script(_RAISE_KNOWN_LUA)

    def _run_view(self, player_id: int) -> list[Any]:
        result = self._view_script(
            keys=[live.BOARD_KEY, live.BOARD_READY_KEY, live.KNOWN_MAX_ID_KEY],
            args=[live.member_for(player_id), TOP_SIZE],
        )
        if result is None:
            board_rebuild_when_lost(client=self.client)
            raise BoardNotReady
        return result

    def _join_new_players(self, known_max_id: int) -> bool:
        """Put visible players newer than the board's mark on it; True if any were new.

        Only players with 0 clicks are added (ZADD NX 0); one with clicks is created on the board
        by its own first increment.
        """
        joined = False
        for _ in range(JOIN_ROUNDS):
            new_rows = list(
                Player.objects.visible()
                .filter(pk__gt=known_max_id)
                .order_by("pk")
                .values_list("pk", "clicks")[:JOIN_BATCH]
            )
            if not new_rows:
                break
            idle = {live.member_for(pk): 0 for pk, clicks in new_rows if not clicks}
            if idle:
                self.client.zadd(live.BOARD_KEY, idle, nx=True)
            known_max_id = new_rows[-1][0]
            self._raise_known(keys=[live.KNOWN_MAX_ID_KEY], args=[known_max_id])
            joined = True
        return joined

    def _add_missing(self, player_id: int) -> None:
        """Put a visible player absent from the board on it; NotFound for others.

        Only a player with 0 clicks is added here (ZADD NX 0). One with clicks whose first
        increment has not landed yet is answered from SQL this time.
        """
        clicks = Player.objects.visible().filter(pk=player_id).values_list("clicks", flat=True)
        found = clicks.first()
        if found is None:
            raise _not_on_board(player_id)
        if found:
            logger.warning("player %s has clicks but no board entry yet", player_id)
            raise BoardNotReady
        self.client.zadd(live.BOARD_KEY, {live.member_for(player_id): 0}, nx=True)

    def view(self, *, player_id: int) -> BoardView:
        result = self._run_view(player_id)
        if self._join_new_players(int(result[2])):
            result = self._run_view(player_id)
        if len(result) == 3:
            self._add_missing(player_id)
            result = self._run_view(player_id)
            if len(result) == 3:
                raise BoardNotReady
        card, top_flat, _known, _score, position, near_flat, near_ranks = result
        top = ranked_top(_pairs(top_flat))
        neighbours = [
            Ranked(player_id=pid, clicks=c, rank=int(r))
            for (pid, c), r in zip(_pairs(near_flat), near_ranks, strict=True)
        ]
        me = next(entry for entry in neighbours if entry.player_id == player_id)
        if any(entry.player_id == player_id for entry in top):
            return BoardView(int(card), top, me, None, None)
        above = neighbours[0] if position > 0 else None
        below = neighbours[-1] if neighbours[-1].player_id != player_id else None
        return BoardView(int(card), top, me, above, below)

    def ranks(self, *, player_ids: list[int]) -> dict[int, Ranked]:
        ready, known_max_id = self.client.mget(live.BOARD_READY_KEY, live.KNOWN_MAX_ID_KEY)
        if ready is None:
            board_rebuild_when_lost(client=self.client)
            raise BoardNotReady
        self._join_new_players(int(known_max_id or 0))
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
        return {
            pk: Ranked(pk, clicks, int(above) + 1)
            for (pk, clicks), above in zip(on_board, above_counts, strict=True)
        }

    def forget(self, *, player_ids: list[int]) -> None:
        if player_ids:
            self.client.zrem(live.BOARD_KEY, *[live.member_for(pk) for pk in player_ids])


def board_backend() -> Board:
    """The configured backend: Redis when REDIS_URL is set, SQL otherwise."""
    client = live.redis_client()
    return SqlBoard() if client is None else RedisBoard(client)
