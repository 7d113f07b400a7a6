"""Test data for the leaderboard: players with clicks, consistent shards, and a reference board.

`reference_board` is an independent, obviously-correct model of the specification (sort in
Python, count for ranks) that both backends are compared against.
"""

import itertools
from typing import Any

from django.db.models import F

from leaderboard import live
from leaderboard.keeper import BoardKeeper, KeeperPass
from leaderboard.models import ClickTotalShard, shard_for
from leaderboard.rebuild import board_rebuild
from leaderboard.selectors import BOARD_POLL_MIN_MS
from players.models import NameStatus, Player, public_game_name
from players.tests.factories import PlayerFactory

_telegram_ids = itertools.count(7_000_000)


def make_player(
    *,
    clicks: int = 0,
    is_banned: bool = False,
    game_name: str | None = "",
    name_status: str = NameStatus.APPROVED,
) -> Player:
    """A player with `clicks`; the shards follow (call `shards_match_players` after bulk edits)."""
    player = PlayerFactory(
        telegram_id=next(_telegram_ids),
        clicks=clicks,
        is_banned=is_banned,
        name_status=name_status,
        **({} if game_name == "" else {"game_name": game_name}),
    )
    shards_match_players()
    return player


def shards_match_players(*, extra: int = 0) -> None:
    """Set every shard to the clicks of its players (banned ones too), plus `extra` on shard 0.

    `extra` stands for clicks of players deleted since: the total may exceed the players' sum.
    """
    per_shard: dict[int, int] = {}
    for pk, clicks in Player.objects.values_list("pk", "clicks"):
        per_shard[shard_for(pk)] = per_shard.get(shard_for(pk), 0) + clicks
    per_shard[0] = per_shard.get(0, 0) + extra
    shards = list(ClickTotalShard.objects.all())
    for shard in shards:
        shard.clicks = per_shard.get(shard.shard, 0)
    ClickTotalShard.objects.bulk_update(shards, ["clicks"])


def add_clicks(player_id: int, clicks: int, *, client: Any = None) -> None:
    """What a click sync does: the row and the shard in the database, then the board increment.

    Without a live board (`client`) the sync writes the SQL board's order too, as the sync does
    when the live board does not track it.
    """
    order = {} if client is not None else {"board_clicks": F("clicks") + clicks}
    Player.objects.filter(pk=player_id).update(clicks=F("clicks") + clicks, **order)
    ClickTotalShard.objects.filter(shard=shard_for(player_id)).update(clicks=F("clicks") + clicks)
    if client is not None:
        pipe = client.pipeline(transaction=False)
        live.board_add_clicks(pipe, player_id=player_id, clicks=clicks)
        pipe.execute()


def build_board(client: Any) -> None:
    """Rebuild the live board from the database right away (no traffic to settle)."""
    board_rebuild(client=client, settle_seconds=0)


def keeper_pass(**options: Any) -> KeeperPass:
    """One pass of the board keeper, as `run_board_keeper` runs it (no traffic to settle)."""
    return BoardKeeper(settle_seconds=0, **options).run_pass()


def redis_dump(client: Any) -> dict[bytes, Any]:
    """Every key of the Redis db with its type, value and whether it expires: to compare."""
    dump: dict[bytes, Any] = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"zset":
            value: Any = client.zrange(key, 0, -1, withscores=True)
        elif kind == b"set":
            value = sorted(client.smembers(key))
        elif kind == b"hash":
            value = client.hgetall(key)
        elif kind == b"list":
            value = client.lrange(key, 0, -1)
        else:
            value = client.get(key)
        dump[key] = (kind, value, client.ttl(key) >= 0)
    return dump


DEGRADED_FIELDS = ("source", "stale_seconds")


def without_degraded_fields(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as a board that is not degraded would give it (to compare with the reference):
    without the snapshot's fields, at the shortest poll interval (tests check the degraded one)."""
    kept = {key: value for key, value in answer.items() if key not in DEGRADED_FIELDS}
    return {**kept, "poll_interval_ms": BOARD_POLL_MIN_MS}


def board_scores(client: Any) -> dict[int, int]:
    """The live board as {player id: clicks}."""
    return {
        live.player_id_of(member): int(score)
        for member, score in client.zrange(live.BOARD_KEY, 0, -1, withscores=True)
    }


def visible_clicks() -> dict[int, int]:
    """The truth the board must match: {player id: clicks} of visible players."""
    return dict(Player.objects.visible().values_list("pk", "clicks"))


def reference_board(viewer_id: int) -> dict[str, Any] | None:
    """The expected leaderboard JSON for `viewer_id`, or None when the viewer is not visible.

    As answered by a board that is not degraded, with few players active (the shortest poll).
    """
    total = sum(ClickTotalShard.objects.values_list("clicks", flat=True))
    rows = sorted(
        Player.objects.visible().values_list("pk", "clicks", "game_name", "name_status"),
        key=lambda row: (-row[1], row[0]),
    )
    if viewer_id not in [row[0] for row in rows]:
        return None

    def entry(row: tuple[int, int, str | None, str]) -> dict[str, Any]:
        pk, clicks, name, status = row
        return {
            "rank": 1 + sum(1 for other in rows if other[1] > clicks),
            "player_id": pk,
            "game_name": public_game_name(pk, name, status),
            "clicks": clicks,
            "share": clicks * 100 / total if total else 0.0,
        }

    position = [row[0] for row in rows].index(viewer_id)
    near = rows[max(5, position - 1) : position + 2]
    around = [] if position < 5 else [entry(row) for row in near]
    return {
        "total_clicks": total,
        "total_players": len(rows),
        "top": [entry(row) for row in rows[:5]],
        "around": around,
        "me": entry(rows[position]),
        "poll_interval_ms": BOARD_POLL_MIN_MS,
    }
