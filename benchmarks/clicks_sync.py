"""Click sync benchmark: POST /api/clicks through gunicorn on PostgreSQL and Redis, vs a floor.

    .venv/bin/python benchmarks/clicks_sync.py [--players 100000] [--clients 32] [--duration 20]

Needs PostgreSQL and Redis on loopback and `wrk` (Debian package). Nothing leaves 127.0.0.1 and
every step is bounded. Steps:
1. create the database `--database` if missing and migrate; empty the players (and their
   history), zero the total shards, empty Redis db `--redis-db`; `seed_players --count N`;
   build the live board (`recalculate_leaderboard`), as the board keeper keeps it (with
   `--keep`, only when the board is not ready);
2. pick `--active` random seeded players and pre-sign real initData for each (bot token below);
3. start gunicorn (sync workers by default: `-k sync -w 4`, DEBUG off) with
   `benchmarks.settings`, the app's settings plus the floor URL; the same server serves both
   measured runs. (gthread workers keep wrk's connections where they were accepted, so one
   worker process ends up with most of them and is GIL-bound while the other idles; sync
   workers take one connection per request and share the load evenly.)
4. FLOOR: `wrk` POSTs `/bench/floor` (bare DRF view, one `UPDATE ... RETURNING`) for `--duration`;
5. SYNC: `wrk` POSTs `/api/clicks` as the active players, `--clicks` per batch, seq + 1 per
   batch per player (re-read from the database right before the run);
5b. FLOOR again: the sync is compared with the mean of the floor runs before and after it, so
   other work on a shared machine weighs on both sides of the ratio alike;
6. after draining: global total (sum of shards) == sum of players, `recalculate_stats --dry-run`
   finds no drift, the live board holds every player's clicks, and the clicks gained equal
   `--clicks` x the number of 200 answers (no batch is over the allowance by construction).
Both runs start after an unmeasured warm-up of `--warmup` seconds. The rate limit stays on with
the app's CLICK_SYNC_RATE unless `--sync-rate` overrides it through the environment; with the
defaults each active player syncs far below it, so it costs what it costs in production and
never refuses (429s are counted and printed).
Prints Markdown for docs/benchmarks.md.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from benchmarks.common import Gunicorn, production_env, psql, run_manage  # noqa: E402
from telegram_auth.initdata import build_init_data  # noqa: E402

BOT_TOKEN = "123456789:BENCH-clickgame-loopback-only"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
WRK = "wrk"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def service_env(args: argparse.Namespace) -> dict[str, str]:
    """Production-like settings (DEBUG off) pointing at the benchmark database and Redis db."""
    env = production_env(
        database=args.database,
        redis_url=f"redis://127.0.0.1:6379/{args.redis_db}",
        bot_token=BOT_TOKEN,
    )
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    if args.sync_rate:
        env["CLICK_SYNC_RATE"] = args.sync_rate
    return env


def manage(args: argparse.Namespace, *command: str) -> str:
    """Run a management command against the benchmark database; its output."""
    return run_manage(service_env(args), *command)


def sql(args: argparse.Namespace, query: str) -> str:
    """One psql statement on the benchmark database."""
    return psql(args.database, query)


def redis_cli(args: argparse.Namespace, *command: str) -> str:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-n", str(args.redis_db), *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


def prepare(args: argparse.Namespace) -> float:
    """Fresh database state with `--players` seeded players; seconds the seed took."""
    if not _database_exists(args):
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database],
            timeout=60,
            check=True,
        )
    manage(args, "migrate", "--noinput")
    sql(args, "TRUNCATE players_player CASCADE")
    sql(args, "UPDATE leaderboard_clicktotalshard SET clicks = 0")
    redis_cli(args, "FLUSHDB")
    started = time.monotonic()
    manage(args, "seed_players", "--count", str(args.players), "--seed", "1")
    seeded = time.monotonic() - started
    # A ready live board, as the board keeper keeps it in production: syncs it tracks leave the
    # SQL board's order alone (HOT updates).
    manage(args, "recalculate_leaderboard")
    sql(args, "VACUUM ANALYZE")
    return seeded


def _database_exists(args: argparse.Namespace) -> bool:
    names = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    return args.database in names


def pick_players(args: argparse.Namespace) -> list[tuple[int, int]]:
    """(player id, telegram id) of `--active` random players."""
    rows = sql(
        args,
        "SELECT id, telegram_id FROM players_player WHERE NOT is_banned "  # noqa: S608
        f"ORDER BY random() LIMIT {int(args.active)}",
    )
    return [(int(a), int(b)) for a, b in (line.split("|") for line in rows.splitlines())]


def write_player_files(
    args: argparse.Namespace, players: list[tuple[int, int]], directory: Path
) -> tuple[Path, Path]:
    """The wrk inputs: signed initData plus current seq per player, and the player ids."""
    seqs = dict(
        tuple(map(int, line.split("|")))
        for line in sql(
            args,
            "SELECT id, last_seq FROM players_player WHERE id IN ("  # noqa: S608 (our ints)
            + ",".join(str(player_id) for player_id, _ in players)
            + ")",
        ).splitlines()
    )
    syncs = directory / "players.tsv"
    with syncs.open("w") as out:
        for player_id, telegram_id in players:
            init_data = build_init_data({"id": telegram_id, "first_name": "Bench"}, BOT_TOKEN)
            out.write(f"{seqs[player_id]}\ttma {init_data}\n")
    ids = directory / "player_ids.txt"
    ids.write_text("".join(f"{player_id}\n" for player_id, _ in players))
    return syncs, ids


def gunicorn_for(args: argparse.Namespace) -> Gunicorn:
    """The server under test, with the worker settings from the command line."""
    options = [
        "--worker-class", args.worker_class,
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--keep-alive", str(args.keep_alive),
        "--backlog", "2048",
        "--log-level", "warning",
    ]  # fmt: skip
    return Gunicorn(port=args.port, env=service_env(args), options=options)


def _proc_stat(pid: str) -> tuple[str, int, int] | None:
    """(command name, parent pid, CPU ticks) of a process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    return name, int(rest[1]), int(rest[11]) + int(rest[12])


def _ours(pid: str, database: str) -> bool:
    """A PostgreSQL process working for the benchmark: our backends and the shared helpers
    (WAL writer, checkpointer, ...), not other databases' backends."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    is_backend = "127.0.0.1(" in title or "[local]" in title
    return not is_backend or f" {database} " in title


def cpu_snapshot(server_pid: int, database: str) -> dict[str, float]:
    """CPU seconds so far of each process of the server (gunicorn master + workers), PostgreSQL
    and Redis (keys "<group> <pid>"), and of the machine."""
    groups: dict[str, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = _proc_stat(pid)
        if stat is None:
            continue
        name, parent, ticks = stat
        if int(pid) == server_pid or parent == server_pid:
            groups[f"worker {pid}"] = ticks
        elif name == "postgres" and _ours(pid, database):
            groups[f"postgres {pid}"] = ticks
        elif name.startswith("redis-server"):
            groups[f"redis {pid}"] = ticks
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]
    snapshot = {name: ticks / CLK_TCK for name, ticks in groups.items()}
    snapshot["machine"] = busy / CLK_TCK
    return snapshot


@dataclass
class Run:
    """One wrk run: what wrk printed plus CPU use."""

    name: str
    results: dict[str, float] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0
    wrk_cpu: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    # 1-minute load average before and after the run (the machine may be shared).
    load: str = ""
    # Player-row updates during the run, and how many of them were HOT (no index rewritten).
    updates: int = 0
    hot_updates: int = 0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rate(self) -> float:
        return self.ok / (self.results["duration_us"] / 1e6)

    def ms(self, key: str) -> float:
        return self.results[key] / 1000

    @property
    def cpu_ms_per_request(self) -> float:
        """CPU of wrk, gunicorn, PostgreSQL and Redis per answered request, in milliseconds."""
        cores = self.wrk_cpu / self.wall + sum(
            self.cpu[name] for name in ("gunicorn", "postgres", "redis")
        )
        return cores / self.rate * 1000

    @property
    def errors(self) -> int:
        bad = sum(count for status, count in self.statuses.items() if status != 200)
        return bad + int(self.results.get("socket_errors", 0))


def run_wrk(
    args: argparse.Namespace,
    server: Gunicorn,
    *,
    name: str,
    script: str,
    path: str,
    script_args: list[str],
    seconds: int,
) -> Run:
    """Run wrk against the server; parse its RESULT lines; measure its own CPU use."""
    command = [
        WRK,
        f"-t{args.wrk_threads}",
        f"-c{args.clients}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "benchmarks" / script),
        f"http://127.0.0.1:{args.port}{path}",
        "--",
        *script_args,
    ]
    assert server.process is not None
    load_before = Path("/proc/loadavg").read_text().split()[0]
    updates_before = player_updates(args)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = cpu_snapshot(server.process.pid, args.database)
    started = time.monotonic()
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    wall = time.monotonic() - started
    after = cpu_snapshot(server.process.pid, args.database)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = Run(name=name, wall=wall)
    run.load = f"{load_before}-{Path('/proc/loadavg').read_text().split()[0]}"
    time.sleep(0.6)  # statistics reach pg_stat_user_tables within half a second
    updates_after = player_updates(args)
    run.updates = updates_after[0] - updates_before[0]
    run.hot_updates = updates_after[1] - updates_before[1]
    run.wrk_cpu = (after_children.ru_utime - before_children.ru_utime) + (
        after_children.ru_stime - before_children.ru_stime
    )
    # Per process, for the processes alive at the end: one that exited during the run (a
    # short psql session) would otherwise subtract its whole life's CPU.
    run.cpu = {key: (after[key] - before.get(key, 0)) / wall for key in after}
    for group in ("worker", "postgres", "redis"):
        run.cpu[group] = sum(v for key, v in run.cpu.items() if key.startswith(f"{group} "))
    run.cpu["gunicorn"] = run.cpu.pop("worker")
    run.cpu["busiest worker"] = max(
        (value for key, value in run.cpu.items() if key.startswith("worker ")), default=0.0
    )
    for key, value in re.findall(r"^RESULT (\S+)=(\S+)$", output, flags=re.MULTILINE):
        if key.startswith("status_"):
            run.statuses[int(key.removeprefix("status_"))] = int(value)
        else:
            run.results[key] = float(value)
    return run


def player_updates(args: argparse.Namespace) -> tuple[int, int]:
    """(updates, HOT updates) of the players table so far."""
    row = sql(
        args,
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'players_player'",
    )
    updates, hot = row.split("|")
    return int(updates), int(hot)


def totals(args: argparse.Namespace, players: list[tuple[int, int]]) -> tuple[int, int, int]:
    """(sum of the total shards, sum of all players' clicks, sum of the driven players' seqs),
    read in one statement so they belong to the same moment. Each applied batch adds one seq."""
    ids = ",".join(str(player_id) for player_id, _ in players)
    driven = f"SELECT COALESCE(SUM(last_seq), 0) FROM players_player WHERE id IN ({ids})"  # noqa: S608
    query = (
        "SELECT (SELECT COALESCE(SUM(clicks), 0) FROM leaderboard_clicktotalshard), "  # noqa: S608
        f"(SELECT COALESCE(SUM(clicks), 0) FROM players_player), ({driven})"
    )
    shards, clicks, seqs = sql(args, query).split("|")
    return int(shards), int(clicks), int(seqs)


def board_total(args: argparse.Namespace) -> int:
    """Sum of the live board's scores (Redis)."""
    client = Redis(host="127.0.0.1", port=6379, db=args.redis_db)
    total = 0
    for _member, score in client.zscan_iter("lb:board", count=10_000):
        total += int(score)
    return total


def drain(args: argparse.Namespace, players: list[tuple[int, int]]) -> tuple[int, int, int]:
    """Wait until the in-flight syncs have landed (totals steady for a second); the totals."""
    deadline = time.monotonic() + 30
    previous = totals(args, players)
    while time.monotonic() < deadline:
        time.sleep(1)
        current = totals(args, players)
        if current == previous:
            return current
        previous = current
    return previous


@dataclass(frozen=True)
class Floor:
    """The floor a run is compared with: the mean of the floor runs before and after the sync,
    so load that other work puts on a shared machine weighs on both sides alike."""

    rate: float
    p99_ms: float

    @classmethod
    def of(cls, runs: list[Run]) -> "Floor | None":
        if not runs:
            return None
        return cls(
            rate=sum(run.rate for run in runs) / len(runs),
            p99_ms=sum(run.ms("p99_us") for run in runs) / len(runs),
        )


def describe(run: Run, floor: Floor | None) -> str:
    """One Markdown table row: the ratios to the floor first (throughput, p99), then the rest."""
    ratios = (
        f"{run.rate / floor.rate:.0%} | {run.ms('p99_us') / floor.p99_ms:.2f} |"
        if floor
        else "- | - |"
    )
    hot = f"{run.hot_updates / run.updates:.0%}" if run.updates else "-"
    return (
        f"| {run.name} | {ratios} {run.rate:,.0f} | {run.ms('p50_us'):.1f} | "
        f"{run.ms('p95_us'):.1f} | {run.ms('p99_us'):.1f} | {run.ms('max_us'):.0f} | "
        f"{run.ok:,} | {run.errors} | {run.wrk_cpu / run.wall:.2f} | "
        f"{run.cpu['gunicorn']:.2f} ({run.cpu['busiest worker']:.2f}) | "
        f"{run.cpu['postgres']:.2f} | {run.cpu['redis']:.2f} | {run.cpu['machine']:.2f} | "
        f"{run.cpu_ms_per_request:.2f} | {hot} | {run.load} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="clickgame_clicks")
    parser.add_argument("--redis-db", type=int, default=1)
    parser.add_argument("--players", type=int, default=100_000, help="Players to seed.")
    parser.add_argument("--active", type=int, default=5_000, help="Players the clients drive.")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent connections.")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--duration", type=int, default=20, help="Seconds per measured run.")
    parser.add_argument("--warmup", type=int, default=3, help="Unmeasured seconds per run.")
    parser.add_argument("--clicks", type=int, default=5, help="Clicks per sync.")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="> 1 means gthread.")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class.")
    parser.add_argument("--keep-alive", type=int, default=30, help="gunicorn keep-alive s.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--sync-rate", default="", help="Override CLICK_SYNC_RATE (env).")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Reuse the seeded database.")
    args = parser.parse_args()

    seeded = 0.0
    if not args.keep:
        print(f"seeding {args.players:,} players ...", flush=True)
        seeded = prepare(args)
        print(f"seeded in {seeded:.1f}s", flush=True)
    elif redis_cli(args, "EXISTS", "lb:ready") != "1":
        manage(args, "recalculate_leaderboard")
        print("live board was not ready: rebuilt", flush=True)
    players = pick_players(args)
    floors: list[Run] = []
    threads = str(args.wrk_threads)
    with tempfile.TemporaryDirectory() as temp, gunicorn_for(args) as server:
        directory = Path(temp)
        syncs_file, ids_file = write_player_files(args, players, directory)
        floor_run = {
            "script": "floor.lua",
            "path": "/bench/floor",
            "script_args": [str(ids_file), threads],
        }
        if not args.skip_floor:
            run_wrk(args, server, name="warm-up", seconds=args.warmup, **floor_run)
            floors.append(
                run_wrk(args, server, name="floor, before", seconds=args.duration, **floor_run)
            )
            print(describe(floors[0], None), flush=True)
        sync_run = {
            "script": "clicks_sync.lua",
            "path": "/api/clicks",
            "script_args": [str(syncs_file), str(args.clicks), threads],
        }
        run_wrk(args, server, name="warm-up", seconds=args.warmup, **sync_run)
        before = drain(args, players)
        write_player_files(args, players, directory)  # the warm-up moved the seqs on
        sync = run_wrk(args, server, name="POST /api/clicks", seconds=args.duration, **sync_run)
        after = drain(args, players)
        if not args.skip_floor:
            floors.append(
                run_wrk(args, server, name="floor, after", seconds=args.duration, **floor_run)
            )
        floor = Floor.of(floors)
        print(describe(sync, floor), flush=True)
        command = " ".join(server.command()[1:])
    drift = manage(args, "recalculate_stats", "--dry-run")
    board = board_total(args)
    gained = after[1] - before[1]
    applied = after[2] - before[2]
    expected = args.clicks * applied

    def verdict(ok: bool) -> str:
        return "OK" if ok else "MISMATCH"

    socket_errors = int(sync.results.get("socket_errors", 0))
    summary = [line for line in drift.splitlines() if "checked" in line]
    report = [
        "",
        f"Seeded players: {args.players:,} (seed took {seeded:.1f}s); active: {len(players):,}",
        f"gunicorn {command}; wrk -t{threads} -c{args.clients} -d{args.duration}s",
        "",
        "| run | vs floor | p99 / floor p99 | req/s (200) | p50 ms | p95 ms | p99 ms | max ms | "
        "200s | errors | wrk CPU (cores) | gunicorn (busiest worker) | postgres | redis | "
        "machine busy | CPU ms/request | HOT player updates | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(describe(run, floor) for run in floors),
        describe(sync, floor),
        "",
        f"Statuses: {dict(sorted(sync.statuses.items()))}, socket errors: {socket_errors}",
        f"Exact totals after draining: global total (shards) {after[0]:,} vs sum of players "
        f"{after[1]:,}: {verdict(after[0] == after[1])}",
        f"Clicks gained {gained:,} vs {args.clicks} x {applied:,} batches applied = "
        f"{expected:,}: {verdict(gained == expected)}; answered 200: {sync.ok:,} (the rest "
        f"were in flight when wrk stopped, at most {args.clients})",
        f"Live board total {board:,} vs players {after[1]:,}: {verdict(board == after[1])}",
        f"recalculate_stats --dry-run: {summary[-1] if summary else drift.strip()}",
    ]
    print("\n".join(report))


if __name__ == "__main__":
    main()
