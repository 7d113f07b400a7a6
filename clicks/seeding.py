"""The seed_players use case: many plausible players, fast, with history that adds up.

Each seeded player gets an approved unique game name, a long-tail (Pareto) click total spread
over ClickDay rows of the last weeks, matching `last_seq`, and the total shards and the live
board grow by exactly what was inserted. PostgreSQL gets COPY; other databases `bulk_create`.
Chunks commit one by one, so an interrupted seed leaves fewer players, never inconsistent ones.
"""

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max

from clicks.live import board_add_new_players
from clicks.models import ClickDay
from leaderboard.models import ClickTotalShard, shard_for
from players.models import NameStatus, Player
from players.rules import name_skeleton

# Seeded players get Telegram ids from here up: far above real ones, still valid in initData.
SEED_TELEGRAM_BASE = 7_000_000_000_000
SEED_CHUNK = 20_000
# Long tail: alpha near 1.16 is the 80/20 rule; most players have tens of clicks, a few millions.
PARETO_ALPHA = 1.16
PARETO_SCALE = 25
MAX_SEEDED_CLICKS = 5_000_000
IDLE_SHARE = 0.08
REJECTING_SHARE = 0.03
CLICKS_PER_SEEDED_SYNC = 60

ADJECTIVES = (
    "Swift", "Brave", "Lucky", "Quiet", "Sunny", "Clever", "Mighty", "Happy", "Rapid", "Cosmic",
    "Golden", "Silver", "Bold", "Calm", "Fuzzy", "Jolly", "Noble", "Witty", "Zesty", "Frosty",
    "Nimble", "Shiny", "Stormy", "Tiny", "Grand", "Mellow", "Sly", "Eager", "Gentle", "Wild",
)  # fmt: skip
NOUNS = (
    "Fox", "Otter", "Tiger", "Falcon", "Panda", "Koala", "Lynx", "Raven", "Badger", "Comet",
    "Pixel", "Rocket", "Maple", "Cedar", "River", "Meteor", "Wombat", "Gecko", "Bison", "Heron",
    "Walrus", "Yak", "Beetle", "Turtle", "Dragon", "Spark", "Ember", "Tapper", "Clicker", "Moose",
)  # fmt: skip
FIRST_NAMES = (
    "Alex", "Maria", "Ivan", "Olga", "John", "Emma", "Li", "Ana", "Omar", "Sara", "Yuki", "Noah",
    "Mia", "Lucas", "Elif", "Arjun", "Chloe", "Mateo", "Zoe", "Nikolai",
)  # fmt: skip
LANGUAGES = ("en", "en", "en", "ru", "ru", "es", "de", "pt", "tr", "uk", "id", "fa", "")


@dataclass
class SeedReport:
    """What `players_seed` inserted."""

    players: int = 0
    clicks: int = 0
    click_days: int = 0
    unnamed: int = 0
    first_telegram_id: int = 0
    last_telegram_id: int = 0
    board_ok: bool = True


@dataclass
class _SeedPlayer:
    telegram_id: int
    game_name: str | None
    clicks: int
    rejected: int
    days: list[tuple[date, int, int, int]]  # (day, clicks, rejected, syncs)
    created_at: datetime
    last_seen_at: datetime | None
    first_name: str
    language_code: str

    @property
    def last_seq(self) -> int:
        return sum(syncs for _, _, _, syncs in self.days)

    @property
    def last_rejected_at(self) -> datetime | None:
        """The start of the last day with rejected clicks, within created_at..last_seen_at."""
        rejecting = [day for day, _, rejected, _ in self.days if rejected]
        if not rejecting:
            return None
        moment = max(_day_start(max(rejecting)), self.created_at)
        return min(moment, self.last_seen_at) if self.last_seen_at else moment


Progress = Callable[[str], None]


def players_seed(
    *,
    count: int,
    seed: int | None = None,
    history_days: int = 30,
    chunk_size: int = SEED_CHUNK,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Insert `count` seeded players with consistent ClickDay history, shards and live board."""
    if count < 0:
        raise ValueError("count must not be negative")
    if history_days < 1:
        raise ValueError("history_days must be at least 1")
    rng = random.Random(seed)
    now = datetime.now(tz=UTC) if now is None else now
    latest = Player.objects.filter(telegram_id__gte=SEED_TELEGRAM_BASE).aggregate(
        top=Max("telegram_id")
    )["top"]
    next_number = (latest - SEED_TELEGRAM_BASE + 1) if latest else 1
    report = SeedReport(first_telegram_id=SEED_TELEGRAM_BASE + next_number)
    taken_names = _taken_skeletons()
    for start in range(0, count, chunk_size):
        size = min(chunk_size, count - start)
        players = [
            _generate(rng, number=next_number + n, now=now, history_days=history_days)
            for n in range(size)
        ]
        next_number += size
        report.unnamed += _drop_taken_names(players, taken_names)
        board = _insert_chunk(players, report=report)
        report.board_ok = board_add_new_players(board) and report.board_ok
        if progress is not None:
            progress(f"{report.players} / {count} players seeded")
    report.last_telegram_id = SEED_TELEGRAM_BASE + next_number - 1
    return report


def _generate(rng: random.Random, *, number: int, now: datetime, history_days: int) -> _SeedPlayer:
    clicks = 0
    if rng.random() >= IDLE_SHARE:
        clicks = min(MAX_SEEDED_CLICKS, int(PARETO_SCALE * rng.paretovariate(PARETO_ALPHA)))
    today = now.date()
    days: list[tuple[date, int, int, int]] = []
    if clicks:
        active = min(history_days, clicks, 1 + int(math.log2(1 + clicks / 50)))
        offsets = sorted(rng.sample(range(history_days), active), reverse=True)
        cuts = sorted(rng.sample(range(1, clicks), active - 1)) if active > 1 else []
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, clicks], strict=True)]
        rejecting_day = rng.randrange(active) if rng.random() < REJECTING_SHARE else -1
        for index, (offset, part) in enumerate(zip(offsets, parts, strict=True)):
            rejected = rng.randint(1, 300) if index == rejecting_day else 0
            syncs = max(1, math.ceil(part / CLICKS_PER_SEEDED_SYNC))
            days.append((today - timedelta(days=offset), part, rejected, syncs))
    # A possible history: joined on the first active day (never after now), clicked on the
    # ClickDay days, last seen on the last of them, between joining and now.
    first_day = days[0][0] if days else today - timedelta(days=rng.randrange(history_days))
    created_at = min(_day_start(first_day) + timedelta(seconds=rng.randrange(3600)), now)
    last_seen_at = None
    if days:
        earliest = max(_day_start(days[-1][0]), created_at)
        latest = min(_day_start(days[-1][0]) + timedelta(days=1) - timedelta(seconds=1), now)
        last_seen_at = earliest + (latest - earliest) * rng.random()
    name = f"{rng.choice(ADJECTIVES)}{rng.choice(NOUNS)}{number}"
    return _SeedPlayer(
        telegram_id=SEED_TELEGRAM_BASE + number,
        game_name=name,
        clicks=clicks,
        rejected=sum(rejected for _, _, rejected, _ in days),
        days=days,
        created_at=created_at,
        last_seen_at=last_seen_at,
        first_name=rng.choice(FIRST_NAMES),
        language_code=rng.choice(LANGUAGES),
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _taken_skeletons() -> set[str]:
    """Name skeletons (players.rules.name_skeleton) of every player already there."""
    return set(
        Player.objects.filter(game_name_skeleton__isnull=False).values_list(
            "game_name_skeleton", flat=True
        )
    )


def _drop_taken_names(players: list[_SeedPlayer], taken_names: set[str]) -> int:
    """A real player's look-alike name wins over a seed's, and an earlier seed's over a later
    one's (skeletons are unique): that seeded player gets no name."""
    taken = 0
    for player in players:
        if not player.game_name:
            continue
        skeleton = name_skeleton(player.game_name)
        if skeleton in taken_names:
            player.game_name = None
            taken += 1
        else:
            taken_names.add(skeleton)
    return taken


def _player_values(player: _SeedPlayer) -> dict[str, Any]:
    return {
        "telegram_id": player.telegram_id,
        "game_name": player.game_name,
        "game_name_skeleton": name_skeleton(player.game_name) if player.game_name else None,
        "name_status": NameStatus.APPROVED if player.game_name else NameStatus.PENDING,
        "name_changed_at": player.created_at if player.game_name else None,
        "clicks": player.clicks,
        "board_clicks": player.clicks,
        "last_seq": player.last_seq,
        "rejected_clicks": player.rejected,
        "last_rejected_at": player.last_rejected_at,
        "created_at": player.created_at,
        "updated_at": player.last_seen_at or player.created_at,
        "last_seen_at": player.last_seen_at,
        "first_name": player.first_name,
        "language_code": player.language_code,
    }


def _insert_chunk(players: list[_SeedPlayer], *, report: SeedReport) -> list[tuple[int, int]]:
    """Insert one chunk in one transaction; return the live-board increments it needs."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy_players(players)
        else:
            _bulk_create_players(players)
        low, high = players[0].telegram_id, players[-1].telegram_id
        ids = dict(
            Player.objects.filter(telegram_id__gte=low, telegram_id__lte=high).values_list(
                "telegram_id", "id"
            )
        )
        day_rows = [
            (ids[player.telegram_id], day, clicks, rejected, syncs)
            for player in players
            for day, clicks, rejected, syncs in player.days
        ]
        if connection.vendor == "postgresql":
            _copy_rows(ClickDay, ["player_id", "day", "clicks", "rejected", "syncs"], day_rows)
        else:
            ClickDay.objects.bulk_create(
                [
                    ClickDay(player_id=p, day=d, clicks=c, rejected=r, syncs=s)
                    for p, d, c, r, s in day_rows
                ],
                batch_size=2_000,
            )
        per_shard: dict[int, int] = defaultdict(int)
        for player in players:
            per_shard[shard_for(ids[player.telegram_id])] += player.clicks
        for shard, clicks in sorted(per_shard.items()):
            if clicks:
                ClickTotalShard.objects.filter(shard=shard).update(clicks=F("clicks") + clicks)
    report.players += len(players)
    report.clicks += sum(player.clicks for player in players)
    report.click_days += len(day_rows)
    return [(ids[player.telegram_id], player.clicks) for player in players if player.clicks]


def _bulk_create_players(players: list[_SeedPlayer]) -> None:
    """bulk_create with the seeded dates kept.

    `bulk_create` runs each field's `pre_save`, so `auto_now_add`/`auto_now` put the current time
    over the back-dated `created_at`/`updated_at`; `bulk_update` does not, so it writes them back.
    """
    created = Player.objects.bulk_create(
        [Player(**_player_values(player)) for player in players], batch_size=2_000
    )
    for row, player in zip(created, players, strict=True):
        values = _player_values(player)
        row.created_at, row.updated_at = values["created_at"], values["updated_at"]
    ids = dict(
        Player.objects.filter(
            telegram_id__gte=players[0].telegram_id, telegram_id__lte=players[-1].telegram_id
        ).values_list("telegram_id", "id")
    )
    for row in created:
        row.pk = ids[row.telegram_id]
    Player.objects.bulk_update(created, ["created_at", "updated_at"], batch_size=500)


def _copy_players(players: list[_SeedPlayer]) -> None:
    """COPY players in, giving every column the model default unless the seed sets it."""
    fields = [field for field in Player._meta.concrete_fields if not field.primary_key]
    defaults = {field.name: field.get_default() for field in fields}

    def rows() -> Iterator[list[Any]]:
        for player in players:
            values = {**defaults, **_player_values(player)}
            yield [values[field.name] for field in fields]

    _copy_rows(Player, [field.column for field in fields], rows())


def _copy_rows(model: type[Any], columns: list[str], rows: Any) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(column) for column in columns)
    # The psycopg cursor under Django's wrapper streams COPY; table and columns are ours.
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
