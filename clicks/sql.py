"""The PostgreSQL click sync: one statement, one round trip, everything applied or nothing.

Data-modifying CTEs run in one statement, so the player's increment, the day aggregate and the
total shard commit together. Every SET expression reads the OLD values of the player's row after
PostgreSQL has locked it: a concurrent sync of the same player waits for the lock and then
re-evaluates the WHERE clause and the SET expressions against the row it just committed
(READ COMMITTED's re-check). So the allowance cannot be spent twice and one `seq` applies once.

The formulas are those of `clicks.rules.apply_cap` and `clicks.rules.sync_window`, in double
precision like Python's. The per-player sync rate lives in the same row, so the limit costs no
round trip and needs no Redis; a sync over it changes nothing (like a duplicate) and its row
says how long to wait. The row also keeps the last batch's answer (`last_sync_accepted`,
`last_sync_rejected`), so a resend of that seq is answered what the first answer said, and the
client's id of that batch (`last_sync_batch`), so the answer can say whether a resend of that
seq is the very batch applied (`same_batch`) or another one that came too late for the seq.
Table names come from the models; every value is a bound parameter.

No column the sync changes is indexed, so its UPDATE is a HOT update (no index entry rewritten):
the SQL board's order (`board_clicks`, the only indexed click column) is set to itself, an
unchanged value, unless `board_write` asks for it (no ready live board tracks this sync; see
`clicks.live.board_tracks_syncs`) or this is the player's first applied sync (`last_seq` 0: a
new player is on the SQL board with their first clicks before the keeper's next copy).

The statement runs as a server-side prepared statement on Django's own connection, so PostgreSQL
plans it once per connection instead of on every sync (planning cost as much as executing), and
without Django's per-request health check query: the sync is exactly one round trip. A dead
connection fails the sync with a database error (503, the client retries) and Django replaces it
at the end of the request. (Behind PgBouncer in transaction mode, prepared statements need
PgBouncer 1.21+ with max_prepared_statements.)

Django opens psycopg connections with `prepare_threshold=None`, which turns preparing off for
every query, even one executed with `prepare=True`. The sync sets the threshold of its connection
to a count no query reaches instead: still nothing is prepared automatically, and the sync
statement is prepared because it asks to be.
"""

from collections.abc import Mapping
from typing import Any

import psycopg
from django.db import connection
from psycopg.types.numeric import Int8

from clicks.models import ClickDay
from leaderboard.models import TOTAL_CLICK_SHARDS, ClickTotalShard
from players.models import Player

# rules.refilled_allowance, on the locked row.
_REFILLED = (
    "LEAST(%(burst)s, p.click_allowance"
    " + %(rate)s * GREATEST(0::float8, %(now)s - p.click_allowance_at))"
)
# rules.apply_cap's accepted = min(count, max(0, floor(refilled + tolerance))).
_ACCEPTED = f"LEAST(%(count)s, GREATEST(0::float8, FLOOR({_REFILLED} + %(tolerance)s))::bigint)"
# rules.sync_window: the player's rate window is still open at `now`.
_WINDOW_OPEN = "(%(now)s - p.sync_window_at < %(rate_period)s)"
# rules.sync_window's retry_after for a refused sync (0 when the window has room).
_RETRY_AFTER = (
    f"CASE WHEN {_WINDOW_OPEN} AND p.sync_window_syncs >= %(rate_limit)s"
    f" THEN LEAST(%(rate_period)s,"
    f" p.sync_window_at + %(rate_period)s - %(now)s)"
    f" ELSE 0::float8 END"
)


def _sync_statement() -> str:
    player = Player._meta.db_table
    day = ClickDay._meta.db_table
    shard = ClickTotalShard._meta.db_table
    # `%%` is a literal percent sign: the statement goes through the driver's parameter syntax.
    # Only model table names and constants are formatted in; values are bound parameters.
    return f"""
WITH synced AS (
    UPDATE {player} AS p SET
        clicks = p.clicks + {_ACCEPTED},
        board_clicks = CASE WHEN %(board_write)s OR p.last_seq = 0
            THEN p.clicks + {_ACCEPTED} ELSE p.board_clicks END,
        last_sync_accepted = {_ACCEPTED},
        last_sync_rejected = %(count)s - {_ACCEPTED},
        click_allowance = {_REFILLED} - {_ACCEPTED},
        click_allowance_at = GREATEST(p.click_allowance_at, %(now)s),
        rejected_clicks = p.rejected_clicks + (%(count)s - {_ACCEPTED}),
        last_rejected_at = CASE WHEN {_ACCEPTED} < %(count)s
            THEN %(now_at)s ELSE p.last_rejected_at END,
        last_seq = %(seq)s,
        last_sync_batch = %(batch)s,
        last_seen_at = %(now_at)s,
        sync_window_at = CASE WHEN {_WINDOW_OPEN} THEN p.sync_window_at ELSE %(now)s END,
        sync_window_syncs = CASE WHEN {_WINDOW_OPEN} THEN p.sync_window_syncs + 1 ELSE 1 END
    WHERE p.telegram_id = %(telegram_id)s
        AND NOT p.is_banned
        AND p.last_seq < %(seq)s
        AND (NOT {_WINDOW_OPEN} OR p.sync_window_syncs < %(rate_limit)s)
    RETURNING p.id, p.clicks, p.last_seq, p.last_sync_accepted, p.last_sync_rejected
),
day AS (
    INSERT INTO {day} AS d (player_id, day, clicks, rejected, syncs)
    SELECT s.id, %(day)s, s.last_sync_accepted, s.last_sync_rejected, 1
    FROM synced AS s
    ON CONFLICT (player_id, day) DO UPDATE SET
        clicks = d.clicks + EXCLUDED.clicks,
        rejected = d.rejected + EXCLUDED.rejected,
        syncs = d.syncs + 1
),
shard AS (
    UPDATE {shard} AS t SET clicks = t.clicks + s.last_sync_accepted
    FROM synced AS s
    WHERE t.shard = s.id %% {TOTAL_CLICK_SHARDS} AND s.last_sync_accepted > 0
)
SELECT s.id, s.clicks, s.last_seq, s.last_sync_accepted, s.last_sync_rejected, FALSE, TRUE,
    (SELECT COALESCE(SUM(clicks), 0)::bigint FROM {shard}) + s.last_sync_accepted, 0::float8,
    FALSE
FROM synced AS s
UNION ALL
SELECT p.id, p.clicks, p.last_seq,
    CASE WHEN p.last_seq = %(seq)s THEN p.last_sync_accepted ELSE 0 END,
    CASE WHEN p.last_seq = %(seq)s THEN p.last_sync_rejected ELSE 0 END,
    p.is_banned, FALSE,
    (SELECT COALESCE(SUM(clicks), 0)::bigint FROM {shard}),
    CASE WHEN p.last_seq < %(seq)s THEN {_RETRY_AFTER} ELSE 0::float8 END,
    p.last_seq = %(seq)s AND %(batch)s <> 0 AND p.last_sync_batch = %(batch)s
FROM {player} AS p
WHERE p.telegram_id = %(telegram_id)s AND NOT EXISTS (SELECT 1 FROM synced)
"""  # noqa: S608


# Sent as bytes, whitespace collapsed: psycopg converts a query's `%(name)s` placeholders on
# every execute and caches the conversion only for queries of at most 4 KB
# (`psycopg._queries.MAX_CACHED_STATEMENT_LENGTH`); converting this one cost more CPU than
# the rest of the sync's Python. Its placeholders carry no casts for the same reason: each
# parameter's type is the one it is bound with (`_FLOAT_PARAMETERS`, ints as int8).
SYNC_STATEMENT = " ".join(_sync_statement().split()).encode()
# Parameters bound as float8, even when given as ints; every other int is bound as int8.
_FLOAT_PARAMETERS = frozenset({"now", "rate", "burst", "tolerance", "rate_period"})
# Executions after which psycopg would prepare a query by itself: never, in practice.
_NO_AUTOMATIC_PREPARE = 2**62


def _bound(key: str, value: Any) -> Any:
    if key in _FLOAT_PARAMETERS:
        return float(value)
    return Int8(value) if type(value) is int else value


def sync_statement_run(params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Run the sync statement; its one row, or None when the player does not exist.

    Every parameter is bound with one fixed type (int8, float8, boolean, date, timestamptz),
    so every call matches the same prepared statement.
    """
    bound = {key: _bound(key, value) for key, value in params.items()}
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _NO_AUTOMATIC_PREPARE
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(SYNC_STATEMENT, bound, prepare=True)
        return cursor.fetchone()
