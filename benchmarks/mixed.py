"""Mixed-traffic benchmark: players who sync at the server's pace and poll the leaderboard.

    .venv/bin/python benchmarks/mixed.py [--players 1000000] [--steps 1000,2500,5000,...]

Needs PostgreSQL and Redis on loopback. Nothing leaves 127.0.0.1 and every step is bounded
(`--step-seconds` of load per step, each request times out after 10 s). What one run does:

1. (unless `--keep`) empties the players, seeds `--players` with `seed_players` and rebuilds the
   live board with `recalculate_leaderboard` (with `--keep`, only if the board is not ready);
2. starts gunicorn (DEBUG off, the app's own settings, `-k sync -w 4`: two workers per core, as
   `make bench-clicks`);
3. for each step N (active players, nested: step N drives the first N of one random list):
   - notes the N players as active in the last minute (the `clicks:active` sorted set the sync
     keeps), as if they had been playing for a minute already, so the server's
     `sync_interval_ms` is right from the first request instead of after a one-minute ramp;
   - every player syncs `POST /api/clicks` at the `sync_interval_ms` its last answer gave it
     (first sync at a random point of the first interval; 429 waits Retry-After), tapping
     `--taps-per-second`; one player in five also polls `GET /api/leaderboard` every
     `--board-seconds`, or at the longer `poll_interval_ms` its last answer asked for (as the
     clients do; the first poll at a random point of the interval the server asks at that load);
   - requests are open-loop: each has a scheduled time, latency counts from that time (so a
     server that falls behind shows it, rather than the generator slowing down);
   - it stops at the first step that misses the budget (sync p99 or board p99 >= `--budget-ms`,
     or any error) and then runs one step at twice the largest N held (graceful degradation);
4. checks exactness after draining: the driven players' clicks grew by exactly the clicks their
   200 answers accepted; global total (shards) == sum of players; live board == players.

Prints Markdown for docs/benchmarks.md.
"""

import argparse
import asyncio
import json
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402

from benchmarks.common import Gunicorn, production_env, psql, run_manage  # noqa: E402
from clicks.rules import sync_interval_ms  # noqa: E402
from telegram_auth.initdata import build_init_data  # noqa: E402

BOT_TOKEN = "123456789:BENCH-clickgame-loopback-only"
REQUEST_TIMEOUT = 10.0
# Requests in flight at most; more wait for a slot (their latency counts the wait).
MAX_IN_FLIGHT = 512


def service_env(args: argparse.Namespace) -> dict[str, str]:
    """Production-like settings (DEBUG off) on the benchmark database and Redis db."""
    return production_env(
        database=args.database,
        redis_url=f"redis://127.0.0.1:6379/{args.redis_db}",
        bot_token=BOT_TOKEN,
    )


def prepare(args: argparse.Namespace) -> None:
    """A fresh database with `--players` seeded players and a rebuilt live board."""
    names = psql("postgres", "SELECT datname FROM pg_database").split()
    if args.database not in names:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], timeout=60, check=True
        )
    env = service_env(args)
    run_manage(env, "migrate", "--noinput")
    psql(args.database, "TRUNCATE players_player CASCADE")
    psql(args.database, "UPDATE leaderboard_clicktotalshard SET clicks = 0")
    Redis(host="127.0.0.1", port=6379, db=args.redis_db).flushdb()
    started = time.monotonic()
    run_manage(env, "seed_players", "--count", str(args.players), "--seed", "1", "--days", "1")
    print(f"seeded {args.players:,} players in {time.monotonic() - started:.1f}s", flush=True)
    psql(args.database, "VACUUM ANALYZE")
    started = time.monotonic()
    run_manage(env, "recalculate_leaderboard")
    print(f"board rebuilt in {time.monotonic() - started:.1f}s", flush=True)


async def http(
    method: str, path: str, *, port: int, body: bytes = b"", authorization: str = ""
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a new connection (gunicorn's sync workers close after each)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        if authorization:
            head.append(f"Authorization: {authorization}")
        if body:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload


@dataclass
class Endpoint:
    """Latencies (ms, from each request's scheduled time) and outcomes of one endpoint."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def record(self, status: int | None, latency_ms: float) -> None:
        if status is None:
            self.errors += 1
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency_ms)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def failures(self) -> int:
        """Socket errors and timeouts plus answers other than 200 and 429."""
        bad = sum(count for status, count in self.statuses.items() if status not in (200, 429))
        return self.errors + bad


@dataclass
class Step:
    """One load level: N active players for `seconds`."""

    players: int
    seconds: float
    sync: Endpoint = field(default_factory=Endpoint)
    board: Endpoint = field(default_factory=Endpoint)
    intervals: list[int] = field(default_factory=list)
    board_intervals: list[int] = field(default_factory=list)
    load: str = ""

    def held(self, budget_ms: float) -> bool:
        return (
            self.sync.percentile(99) < budget_ms
            and self.board.percentile(99) < budget_ms
            and self.sync.failures == 0
            and self.board.failures == 0
        )


@dataclass
class Player:
    player_id: int
    authorization: str
    accepted: int = 0
    seq: int = 0

    def next_seq(self) -> int:
        # Milliseconds since the epoch, kept increasing: a player never syncs twice in one ms.
        self.seq = max(self.seq + 1, int(time.time() * 1000))
        return self.seq


class Load:
    """The open-loop load generator for one step."""

    def __init__(self, args: argparse.Namespace, step: Step, players: list[Player]) -> None:
        self.args = args
        self.step = step
        self.players = players
        self.slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.measure_from = 0.0
        self.stop_at = 0.0

    async def send(
        self, endpoint: Endpoint, scheduled: float, method: str, path: str, **kwargs: object
    ) -> tuple[int | None, bytes]:
        loop = asyncio.get_running_loop()

        async def attempt() -> tuple[int, bytes]:
            async with self.slots:
                return await http(method, path, port=self.args.port, **kwargs)  # type: ignore[arg-type]

        try:
            # The timeout covers the wait for a slot too: a step far over budget ends in bounded
            # time, its late requests counted as errors.
            status, payload = await asyncio.wait_for(attempt(), REQUEST_TIMEOUT)
        except (OSError, TimeoutError, ValueError, IndexError):
            status, payload = None, b""
        if scheduled >= self.measure_from:
            endpoint.record(status, (loop.time() - scheduled) * 1000)
        return status, payload

    async def syncing(self, player: Player, interval: float) -> None:
        loop = asyncio.get_running_loop()
        scheduled = loop.time() + random.uniform(0, interval)
        while scheduled < self.stop_at:
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            count = min(1000, round(self.args.taps_per_second * interval))
            body = json.dumps({"seq": player.next_seq(), "count": count}).encode()
            status, payload = await self.send(
                self.step.sync,
                scheduled,
                "POST",
                "/api/clicks",
                body=body,
                authorization=player.authorization,
            )
            if status == 200:
                answer = json.loads(payload)
                player.accepted += answer["accepted"]
                interval = answer["sync_interval_ms"] / 1000
                if scheduled >= self.measure_from:
                    self.step.intervals.append(answer["sync_interval_ms"])
            elif status == 429:
                interval = max(interval, 1.0)
            scheduled += interval

    async def polling(self, player: Player, first_period: float) -> None:
        loop = asyncio.get_running_loop()
        period = max(self.args.board_seconds, first_period)
        scheduled = loop.time() + random.uniform(0, period)
        while scheduled < self.stop_at:
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            status, payload = await self.send(
                self.step.board,
                scheduled,
                "GET",
                "/api/leaderboard",
                authorization=player.authorization,
            )
            if status == 200:
                # As the clients do: the next poll when the answer asks (never sooner than the
                # client's own period).
                asked = json.loads(payload)["poll_interval_ms"]
                period = max(self.args.board_seconds, asked / 1000)
                if scheduled >= self.measure_from:
                    self.step.board_intervals.append(asked)
            scheduled += period

    async def run(self, first_interval: float) -> None:
        loop = asyncio.get_running_loop()
        self.measure_from = loop.time() + self.args.warmup
        self.stop_at = self.measure_from + self.step.seconds
        tasks = [self.syncing(player, first_interval) for player in self.players]
        # As after a minute of play: the board's first poll at a random point of the interval
        # the server asks at this load (at least the sync interval), not all in the first 5 s.
        tasks += [
            self.polling(player, first_interval)
            for player in self.players[:: self.args.board_every]
        ]
        await asyncio.gather(*tasks)


def mark_active(args: argparse.Namespace, players: list[Player]) -> int:
    """Note the players as synced just now (what a minute of play leaves); the interval the
    server will give for that many active players."""
    client = Redis(host="127.0.0.1", port=6379, db=args.redis_db)
    client.delete("clicks:active")  # players of an earlier, larger step are not playing now
    now = time.time()
    for start in range(0, len(players), 10_000):
        batch = players[start : start + 10_000]
        client.zadd("clicks:active", {str(player.player_id): now for player in batch})
    active = client.zcount("clicks:active", now - 60, "+inf")
    budget = int(service_env(args).get("SYNC_BUDGET_RPS", "500"))  # the app's default
    return sync_interval_ms(active_players=active, budget_rps=budget)


def pick_players(args: argparse.Namespace, count: int) -> list[Player]:
    rows = psql(
        args.database,
        "SELECT id, telegram_id FROM players_player WHERE NOT is_banned "  # noqa: S608 (ints)
        f"ORDER BY md5(id::text) LIMIT {int(count)}",
    )
    players = []
    for line in rows.splitlines():
        player_id, telegram_id = (int(value) for value in line.split("|"))
        init_data = build_init_data({"id": telegram_id, "first_name": "Mixed"}, BOT_TOKEN)
        players.append(Player(player_id, f"tma {init_data}"))
    return players


def clicks_of(args: argparse.Namespace, players: list[Player]) -> int:
    """The players' clicks now, summed (the id list goes through stdin: it is long)."""
    ids = ",".join(str(player.player_id) for player in players)
    query = f"SELECT COALESCE(SUM(clicks), 0) FROM players_player WHERE id IN ({ids});"  # noqa: S608
    return int(
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", args.database, "-tAq"],
            input=query,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
    )


def machine_load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def describe(step: Step, budget_ms: float) -> str:
    sync, board = step.sync, step.board
    intervals = sorted(step.intervals) or [0]
    polls = sorted(step.board_intervals) or [0]
    measured = step.seconds
    return (
        f"| {step.players:,} | {intervals[len(intervals) // 2]:,} "
        f"({intervals[0]:,}-{intervals[-1]:,}) | {sum(sync.statuses.values()) / measured:,.0f} | "
        f"{sync.percentile(50):.1f} | {sync.percentile(99):.1f} | "
        f"{max(sync.latencies or [0]):.0f} | {polls[len(polls) // 2]:,} | "
        f"{sum(board.statuses.values()) / measured:,.0f} | {board.percentile(50):.1f} | "
        f"{board.percentile(99):.1f} | {max(board.latencies or [0]):.0f} | "
        f"{sync.statuses.get(429, 0)} | {sync.failures + board.failures} | {step.load} | "
        f"{'held' if step.held(budget_ms) else 'over budget'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="clickgame_mixed")
    parser.add_argument("--redis-db", type=int, default=4)
    parser.add_argument("--players", type=int, default=1_000_000, help="Players to seed.")
    parser.add_argument(
        "--steps",
        default="250,500,1000,2500,5000,7500,10000,15000",
        help="Active players per step.",
    )
    parser.add_argument("--step-seconds", type=float, default=25, help="Measured s per step.")
    parser.add_argument("--warmup", type=float, default=5, help="Unmeasured s per step.")
    parser.add_argument("--budget-ms", type=float, default=100, help="p99 budget per endpoint.")
    parser.add_argument("--taps-per-second", type=float, default=3.0)
    parser.add_argument("--board-seconds", type=float, default=5.0, help="Board poll period.")
    parser.add_argument("--board-every", type=int, default=5, help="1 in N players polls.")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--keep", action="store_true", help="Reuse the seeded database.")
    args = parser.parse_args()
    steps = [int(value) for value in args.steps.split(",")]
    # A terminated run still stops its gunicorn (the `with` block's exit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    if not args.keep:
        prepare(args)
    elif not Redis(host="127.0.0.1", port=6379, db=args.redis_db).exists("lb:ready"):
        started = time.monotonic()
        run_manage(service_env(args), "recalculate_leaderboard")
        print(f"live board was not ready: rebuilt in {time.monotonic() - started:.1f}s")
    everyone = pick_players(args, max(steps) * 2)
    print(f"{len(everyone):,} players signed; load average {machine_load()}", flush=True)
    before = clicks_of(args, everyone)
    results: list[Step] = []
    header = (
        "| active players | sync_interval_ms median (range) | syncs/s | sync p50 ms | "
        "sync p99 ms | sync max ms | board poll_interval_ms median | board polls/s | "
        "board p50 ms | board p99 ms | board max ms | 429s | errors | load avg | verdict |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )

    def run_step(count: int) -> Step:
        step = Step(players=count, seconds=args.step_seconds, load=machine_load())
        players = everyone[:count]
        interval = mark_active(args, players) / 1000
        asyncio.run(Load(args, step, players).run(interval))
        step.load = f"{step.load}-{machine_load()}"
        results.append(step)
        print(describe(step, args.budget_ms), flush=True)
        return step

    options = ["--worker-class", "sync", "--workers", str(args.workers), "--backlog", "2048"]
    options += ["--log-level", "warning"]
    with Gunicorn(port=args.port, env=service_env(args), options=options) as server:
        held = 0
        for count in steps:
            if not run_step(count).held(args.budget_ms):
                break
            held = count
        if held:
            run_step(2 * held)  # twice what the box held: bounded latency, no errors wanted
        command = " ".join(server.command()[1:])
    time.sleep(1)
    after = clicks_of(args, everyone)
    accepted = sum(player.accepted for player in everyone)
    shards, players_total = (
        int(value)
        for value in psql(
            args.database,
            "SELECT (SELECT SUM(clicks) FROM leaderboard_clicktotalshard), "
            "(SELECT SUM(clicks) FROM players_player)",
        ).split("|")
    )
    client = Redis(host="127.0.0.1", port=6379, db=args.redis_db)
    board = sum(int(score) for _, score in client.zscan_iter("lb:board", count=10_000))
    seeded = int(psql(args.database, "SELECT COUNT(*) FROM players_player"))
    held_steps = [step.players for step in results if step.held(args.budget_ms)]

    def verdict(ok: bool) -> str:
        return "OK" if ok else "MISMATCH"

    print(
        "\n".join(
            [
                "",
                f"Players in the database: {seeded:,}; gunicorn {command}",
                f"Budget: sync p99 and board p99 < {args.budget_ms:.0f} ms, no errors; "
                f"{args.step_seconds:.0f} s measured per step after {args.warmup:.0f} s",
                "",
                header,
                *(describe(step, args.budget_ms) for step in results),
                "",
                f"Largest number of active players held: {max(held_steps, default=0):,}",
                f"Clicks gained by the driven players {after - before:,} vs accepted in 200 "
                f"answers {accepted:,}: {verdict(after - before == accepted)}",
                f"Global total (shards) {shards:,} vs sum of players {players_total:,}: "
                f"{verdict(shards == players_total)}",
                f"Live board total {board:,} vs players {players_total:,}: "
                f"{verdict(board == players_total)}",
            ]
        )
    )


if __name__ == "__main__":
    main()
