"""Leaderboard benchmark: GET /api/leaderboard through gunicorn, SQL and Redis backends.

    .venv/bin/python benchmarks/leaderboard.py [--sql-players 100000] [--redis-players 1000000]

Needs PostgreSQL and Redis on loopback. Steps (each bounded, nothing leaves 127.0.0.1):
1. create the database `<--database>_sql` if missing, migrate, seed `--sql-players` players
   with `seed_players` (bulk insert, realistic clicks);
2. SQL backend: gunicorn without REDIS_URL, with `run_board_keeper` beside it (as the compose
   `board` service runs), so boards of 50,000+ players read ranks from the rank snapshot it
   refreshes every `--keeper-interval` s (`--no-keeper`: exact counting per request);
   `--requests` signed GETs, p50/p95/p99;
3. in `--database`, seed up to `--redis-players` and time `recalculate_leaderboard` (full
   rebuild from PostgreSQL);
4. Redis backend: gunicorn with REDIS_URL, the same load, p50/p95/p99.
Half of the requests ask for the caller's view, half for `?user_id=` of a random player.
Results are printed as Markdown for docs/benchmarks.md.
"""

import argparse
import http.client
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import Gunicorn, production_env, psql, run_manage  # noqa: E402
from telegram_auth.initdata import build_init_data  # noqa: E402

BOT_TOKEN = "123456789:BENCH-clickgame-loopback-only"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Nothing listens on port 1: a Redis that is configured but down (connections refused).
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


def service_env(args: argparse.Namespace, *, redis: bool) -> dict[str, str]:
    """Production-like settings (DEBUG off) pointing at the benchmark database."""
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}" if redis else ""
    if not redis and getattr(args, "redis_down", False):
        redis_url = DEAD_REDIS_URL
    return production_env(database=args.database, redis_url=redis_url, bot_token=BOT_TOKEN)


def manage(args: argparse.Namespace, *command: str, redis: bool = True) -> str:
    """Run a management command against the benchmark database; its output."""
    return run_manage(service_env(args, redis=redis), *command)


def sql(args: argparse.Namespace, query: str) -> str:
    """One psql query on the benchmark database."""
    return psql(args.database, query)


def ensure_database(args: argparse.Namespace) -> None:
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    if args.database not in exists:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database],
            timeout=60,
            check=True,
        )
    manage(args, "migrate", "--noinput", redis=False)


def seed_up_to(args: argparse.Namespace, players: int, *, redis: bool) -> float:
    """Seed players until there are `players`; seconds spent (0 when none were needed)."""
    have = int(sql(args, "SELECT count(*) FROM players_player"))
    if have >= players:
        return 0.0
    started = time.monotonic()
    print(f"seeding {players - have} players ...", flush=True)
    manage(args, "seed_players", "--count", str(players - have), "--days", "1", redis=redis)
    sql(args, "VACUUM ANALYZE players_player")
    return time.monotonic() - started


class Keeper:
    """`run_board_keeper` beside the server for the duration of a `with` block."""

    def __init__(self, args: argparse.Namespace, *, redis: bool) -> None:
        self.args, self.redis = args, redis
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Keeper":
        taken_before = self._taken_at()
        self.process = subprocess.Popen(
            [
                PYTHON,
                "manage.py",
                "run_board_keeper",
                "--interval",
                str(self.args.keeper_interval),
            ],
            cwd=ROOT,
            env=service_env(self.args, redis=self.redis),
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self._taken_at() not in ("", taken_before):
                return self
            time.sleep(0.5)
        raise RuntimeError("run_board_keeper took no snapshot within 300 s")

    def _taken_at(self) -> str:
        return sql(self.args, "SELECT taken_at FROM leaderboard_boardsnapshot")

    def snapshot(self) -> str:
        """Players, distinct click counts and refresh seconds of the latest snapshot."""
        return sql(
            self.args,
            "SELECT players, (SELECT count(*) FROM leaderboard_boardsnapshotrank), "
            "round(seconds::numeric, 2) FROM leaderboard_boardsnapshot",
        )

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()  # SIGTERM: the keeper finishes its pass and exits
        self.process.wait(timeout=60)


def gunicorn_for(args: argparse.Namespace, *, redis: bool) -> Gunicorn:
    """The server under test, with or without Redis."""
    options = ["--workers", str(args.workers), "--log-level", "warning"]
    return Gunicorn(port=args.port, env=service_env(args, redis=redis), options=options)


def sample_players(args: argparse.Namespace, count: int) -> list[tuple[int, int]]:
    """(player id, telegram id) of random visible players."""
    rows = sql(
        args,
        f"SELECT id, telegram_id FROM players_player WHERE NOT is_banned "  # noqa: S608
        f"ORDER BY random() LIMIT {int(count)}",
    )
    return [tuple(map(int, line.split("|"))) for line in rows.splitlines()]  # type: ignore[misc]


def load(args: argparse.Namespace, players: list[tuple[int, int]]) -> dict[str, Any]:
    """`--requests` GETs from `--concurrency` keep-alive clients; latency percentiles in ms."""
    headers = [
        {"Authorization": "tma " + build_init_data({"id": tg, "first_name": "Bench"}, BOT_TOKEN)}
        for _pk, tg in players
    ]
    latencies: list[float] = []
    errors: list[int] = []
    from_snapshot: list[int] = []
    lock = threading.Lock()
    per_client = args.requests // args.concurrency

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        mine: list[float] = []
        bad: list[int] = []
        snapshot_answers = 0
        for n in range(args.warmup + per_client):
            caller = rng.randrange(len(players))
            path = "/api/leaderboard"
            if n % 2:
                path += "?user_id=" + quote(str(players[rng.randrange(len(players))][0]))
            started = time.perf_counter()
            connection.request("GET", path, headers=headers[caller])
            response = connection.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if n >= args.warmup:
                mine.append(elapsed)
                if response.status != 200:
                    bad.append(response.status)
                snapshot_answers += b'"source":"snapshot"' in body
        with lock:
            latencies.extend(mine)
            errors.extend(bad)
            from_snapshot.append(snapshot_answers)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "from_snapshot": sum(from_snapshot),
        "rps": len(latencies) / wall,
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "max": max(latencies),
    }


def row(name: str, players: int, result: dict[str, Any]) -> str:
    return (
        f"| {name} | {players:,} | {result['requests']} | {result['errors']} | "
        f"{result['rps']:.0f} | {result['p50']:.1f} | {result['p95']:.1f} | "
        f"{result['p99']:.1f} | {result['max']:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="clickgame_lb_bench")
    parser.add_argument("--redis-db", type=int, default=2)
    parser.add_argument("--sql-players", type=int, default=100_000)
    parser.add_argument("--redis-players", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=50, help="Unmeasured requests per client.")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18743)
    parser.add_argument(
        "--callers",
        type=int,
        default=100,
        help="Distinct signed-in players (each sign-in writes last_seen_at once a minute).",
    )
    parser.add_argument("--phase", choices=["all", "sql", "redis"], default="all")
    parser.add_argument(
        "--keeper-interval", type=float, default=5.0, help="run_board_keeper's pass interval."
    )
    parser.add_argument(
        "--redis-down",
        action="store_true",
        help=f"SQL phase with REDIS_URL={DEAD_REDIS_URL} (configured, refusing connections).",
    )
    parser.add_argument(
        "--no-keeper",
        action="store_true",
        help="SQL phase without run_board_keeper (no snapshot: ranks counted per request).",
    )
    args = parser.parse_args()

    lines = [
        "| backend | players | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    if args.phase in ("all", "sql"):
        # A database of its own, so the SQL board has exactly --sql-players players.
        sql_args = argparse.Namespace(**{**vars(args), "database": f"{args.database}_sql"})
        ensure_database(sql_args)
        seeded = seed_up_to(sql_args, args.sql_players, redis=False)
        print(f"seeded for SQL in {seeded:.1f}s", flush=True)
        players_now = int(sql(sql_args, "SELECT count(*) FROM players_player"))
        if args.no_keeper:
            sql(sql_args, "DELETE FROM leaderboard_boardsnapshot")
            with gunicorn_for(sql_args, redis=False):
                sql_result = load(sql_args, sample_players(sql_args, args.callers))
            name = "SQL, exact counts"
        else:
            with Keeper(sql_args, redis=False) as keeper:
                print(f"first snapshot (players|click counts|seconds): {keeper.snapshot()}")
                with gunicorn_for(sql_args, redis=False):
                    sql_result = load(sql_args, sample_players(sql_args, args.callers))
                print(f"latest snapshot (players|click counts|seconds): {keeper.snapshot()}")
            name = "SQL + snapshot" + (", Redis down" if args.redis_down else "")
        lines.append(row(name, players_now, sql_result))
        print(lines[-1], flush=True)
        print(f"answers marked source=snapshot: {sql_result['from_snapshot']}", flush=True)
        if args.phase == "sql":
            print("\n".join(lines))
            return

    ensure_database(args)
    seeded = seed_up_to(args, args.redis_players, redis=True)
    print(f"seeded for Redis in {seeded:.1f}s", flush=True)
    players_now = int(sql(args, "SELECT count(*) FROM players_player"))
    started = time.monotonic()
    output = manage(args, "recalculate_leaderboard", redis=True)
    rebuild_seconds = time.monotonic() - started
    summary = [line for line in output.splitlines() if line.startswith("backend=")]
    print(f"recalculate_leaderboard: {rebuild_seconds:.1f}s wall; {summary}", flush=True)
    with gunicorn_for(args, redis=True):
        redis_result = load(args, sample_players(args, args.callers))
    lines.append(row("Redis", players_now, redis_result))
    print()
    print("\n".join(lines))
    print()
    print(
        f"recalculate_leaderboard with {players_now:,} players: {rebuild_seconds:.1f} s "
        f"(command wall time, process start included); {summary[0] if summary else ''}"
    )


if __name__ == "__main__":
    main()
