"""Reads for the global stats page, composed from the players, leaderboard and clicks apps."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Sum
from django.utils import timezone

from clicks.models import ClickDay
from clicks.selectors import clicks_per_day, players_active_last_minute
from leaderboard.selectors import global_stats, ranks_for, total_clicks
from players.models import Player

TOP_SIZE = 10
CHART_DAYS = 30


@dataclass(frozen=True)
class TopPlayer:
    """A leaderboard place as staff see it (the real game name, whatever its review state)."""

    rank: int
    player_id: int
    game_name: str | None
    public_name: str
    clicks: int
    share: float


@dataclass(frozen=True)
class Dashboard:
    """The game's numbers on one page. Days are UTC days, like the click history.

    "Active" means synced clicks: in the last minute as the clicks app counts it, today as
    players with a click history row for today. `players_on_board` excludes banned players.
    """

    total_clicks: int
    total_players: int
    players_on_board: int
    banned_players: int
    active_last_minute: int
    active_today: int
    new_players_today: int
    clicks_today: int
    names_to_review: int
    stats_updated: datetime
    top: list[TopPlayer]
    clicks_per_day: list[tuple[date, int]]


def top_players(*, size: int = TOP_SIZE) -> list[TopPlayer]:
    """The first `size` places of the leaderboard, ranks and shares as the leaderboard has them."""
    players = list(Player.objects.visible().order_by("-clicks", "id")[:size])
    ranks = ranks_for(player_ids=[player.pk for player in players])
    top = []
    for player in players:
        ranked = ranks.get(player.pk)
        if ranked is None:
            # Banned between the two reads: it is no longer on the board.
            continue
        top.append(
            TopPlayer(
                rank=ranked[0],
                player_id=player.pk,
                game_name=player.game_name,
                public_name=player.public_name,
                clicks=player.clicks,
                share=ranked[1],
            )
        )
    return top


def dashboard(*, today: date | None = None) -> Dashboard:
    """Everything the global stats page shows."""
    today = timezone.now().date() if today is None else today
    midnight = datetime.combine(today, time.min, tzinfo=UTC)
    stats = global_stats()
    total_players = Player.objects.count()
    clicked_today = ClickDay.objects.filter(day=today)
    return Dashboard(
        total_clicks=total_clicks(),
        total_players=total_players,
        players_on_board=stats.total_users,
        banned_players=Player.objects.filter(is_banned=True).count(),
        active_last_minute=players_active_last_minute(),
        active_today=clicked_today.count(),
        new_players_today=Player.objects.filter(created_at__gte=midnight).count(),
        clicks_today=int(clicked_today.aggregate(total=Sum("clicks"))["total"] or 0),
        names_to_review=Player.objects.names_to_review().count(),
        stats_updated=stats.last_updated,
        top=top_players(),
        clicks_per_day=clicks_per_day(days=CHART_DAYS, today=today),
    )
