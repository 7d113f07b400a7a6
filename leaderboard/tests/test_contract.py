"""One contract for both backends: on the same random data they give identical JSON.

Hypothesis draws boards with ties, zeros, bans, refused and missing names, a single player or
none, then changes them while live (bans, unbans, renames, clicks, players joining), and every
player's answer must equal the reference model (SQL) and, with Redis, the SQL answer once the
board keeper has passed (players who joined without a sync reach the live board that way).
"""

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import NotFound
from leaderboard.boards import RedisBoard, SqlBoard
from leaderboard.models import ClickTotalShard
from leaderboard.selectors import leaderboard_for, ranks_for
from leaderboard.services import player_listings
from leaderboard.tests.board_data import (
    add_clicks,
    board_scores,
    build_board,
    keeper_pass,
    make_player,
    reference_board,
    shards_match_players,
    visible_clicks,
)
from players.models import NameStatus, Player
from players.services import player_ban, player_unban

pytestmark = pytest.mark.django_db

NAMES = [
    ("approved", NameStatus.APPROVED),
    ("pending", NameStatus.PENDING),
    ("rejected", NameStatus.REJECTED),
    (None, NameStatus.PENDING),
]
players_strategy = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 4), st.integers(0, 10**9)),  # small values make ties
        st.booleans(),
        st.sampled_from(NAMES),
    ),
    max_size=14,
)
changes_strategy = st.lists(
    st.tuples(
        st.sampled_from(["ban", "unban", "rename", "click", "join"]),
        st.integers(0, 20),
        st.integers(1, 1000),
    ),
    max_size=8,
)
unique_suffix = itertools.count()
hypothesis_settings = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def create_board(players: list[tuple[int, bool, tuple[str | None, str]]]) -> None:
    Player.objects.all().delete()
    ClickTotalShard.objects.update(clicks=0)
    for index, (clicks, banned, (name, status)) in enumerate(players):
        make_player(
            clicks=clicks,
            is_banned=banned,
            game_name=None if name is None else f"{name}{index}",
            name_status=status,
        )
    shards_match_players()


def change_board(changes: list[tuple[str, int, int]], *, client: Any) -> None:
    """Live changes, through the same doors the game uses (services, click increments)."""
    for action, pick, amount in changes:
        ids = list(Player.objects.order_by("pk").values_list("pk", flat=True))
        target = ids[pick % len(ids)] if ids else None
        if action == "join" or target is None:
            joined = make_player(clicks=0, game_name=f"joined{next(unique_suffix)}")
            if action == "click":
                add_clicks(joined.pk, amount, client=client)
        elif action == "ban":
            player_ban(player_id=target, listings=player_listings())
        elif action == "unban":
            player_unban(player_id=target, listings=player_listings())
        elif action == "rename":
            status = NameStatus.REJECTED if amount % 2 else NameStatus.APPROVED
            Player.objects.filter(pk=target).update(
                game_name=f"re{next(unique_suffix)}", name_status=status
            )
        elif not Player.objects.filter(pk=target, is_banned=True).exists():
            add_clicks(target, amount, client=client)


def answer_or_none(player_id: int, board: Any) -> dict | None:
    try:
        return leaderboard_for(player_id=player_id, board=board)
    except NotFound:
        return None


@hypothesis_settings
@given(players=players_strategy, changes=changes_strategy)
def test_sql_board_matches_the_reference_model(players, changes):
    create_board(players)
    change_board(changes, client=None)

    for player_id in [*Player.objects.values_list("pk", flat=True), 10**9]:
        assert answer_or_none(player_id, SqlBoard()) == reference_board(player_id)


@pytest.mark.redis
@hypothesis_settings
@given(players=players_strategy, changes=changes_strategy)
def test_redis_and_sql_give_identical_json(redis_client, players, changes):
    redis_client.flushdb()
    create_board(players)
    build_board(redis_client)
    change_board(changes, client=redis_client)
    # Players who joined without a sync reach the live board by the keeper's next pass.
    keeper_pass()
    redis_board = RedisBoard(redis_client)

    player_ids = [*Player.objects.values_list("pk", flat=True), 10**9]
    for player_id in player_ids:
        expected = reference_board(player_id)
        assert answer_or_none(player_id, SqlBoard()) == expected
        assert answer_or_none(player_id, redis_board) == expected
    assert ranks_for(player_ids=player_ids, board=redis_board) == ranks_for(
        player_ids=player_ids, board=SqlBoard()
    )
    assert board_scores(redis_client) == visible_clicks()
