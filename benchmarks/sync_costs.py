"""Where a click sync's CPU goes, piece by piece, next to the floor's: in-process measurements.

    .venv/bin/python benchmarks/sync_costs.py [--calls 2000] [--rounds 5]

Runs after `benchmarks/clicks_sync.py` (it reuses that benchmark's seeded database
`clickgame_clicks` and Redis db 1, and the same settings: DEBUG off, `benchmarks.settings`).
Everything stays on 127.0.0.1 and every loop is bounded (`--rounds` x `--calls`). The statement
measurements sync in PostgreSQL only, so it rebuilds the live board at the end
(`recalculate_leaderboard`), as a later `clicks_sync.py --keep` checks board == players.

Each line is the CPU time (`time.process_time`, this process only: Python, the kernel's share of
its syscalls) per call, the minimum over `--rounds` rounds, so other work on a shared machine
inflates it as little as possible. The PostgreSQL lines add the CPU of this connection's server
process (`/proc/<backend pid>/stat`, 10 ms ticks, so read them as ±0.01 ms). Whole requests go
through Django's request handler in-process (middleware, URL routing, DRF, the view), without
gunicorn and sockets, which cost both endpoints alike.

The sync statement is measured twice: as a ready live board tracks it (it leaves the SQL board's
order alone: a HOT update) and as it runs while no ready live board tracks it (Redis away, the
board being rebuilt: it writes `board_clicks`, so `player_board_idx` gets a new entry).
"""

import argparse
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.clicks_sync import BOT_TOKEN  # noqa: E402
from benchmarks.clicks_sync import service_env as clicks_env  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_per_call(function: Callable[[int], object], *, calls: int, rounds: int) -> float:
    """Microseconds of this process's CPU per call of `function(i)`, the best of `rounds`."""
    best = float("inf")
    counter = 0
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            counter += 1
            function(counter)
        best = min(best, (time.process_time() - started) / calls)
    return best * 1e6


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="clickgame_clicks")
    parser.add_argument("--redis-db", type=int, default=1)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    env = clicks_env(
        argparse.Namespace(database=args.database, redis_db=args.redis_db, sync_rate="")
    )
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    # Every call below is a new batch of an existing player; the rate window is not measured.
    env["CLICK_SYNC_RATE"] = "1000000/s"
    os.environ.update(env)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from benchmarks.floor import FLOOR_SQL
    from clicks import live, services
    from players.models import Player
    from telegram_auth.initdata import build_init_data, validate

    players = list(
        Player.objects.filter(is_banned=False)
        .order_by("id")
        .values_list("id", "telegram_id", "last_seq")[:3000]
    )
    if len(players) < 3000:
        sys.exit("seed the benchmark database first: .venv/bin/python benchmarks/clicks_sync.py")
    seqs = {player_id: seq for player_id, _, seq in players}
    headers = {
        player_id: "tma " + build_init_data({"id": telegram_id, "first_name": "Bench"}, BOT_TOKEN)
        for player_id, telegram_id, _ in players
    }
    fresh = [
        build_init_data({"id": 10**12 + i, "first_name": "Bench"}, BOT_TOKEN)
        for i in range(args.calls * args.rounds + 1)
    ]
    client = Client(HTTP_HOST="127.0.0.1")

    def player(i: int) -> tuple[int, int, int]:
        return players[i % len(players)]

    def floor_request(i: int) -> None:
        body = json.dumps({"player_id": player(i)[0]})
        response = client.post("/bench/floor", data=body, content_type="application/json")
        assert response.status_code == 200, response.content

    def sync_request(i: int) -> None:
        player_id = player(i)[0]
        seqs[player_id] += 1
        body = json.dumps({"seq": seqs[player_id], "count": 1})
        response = client.post(
            "/api/clicks",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=headers[player_id],
        )
        assert response.status_code == 200, response.content

    def sync_statement(i: int) -> None:
        player_id, telegram_id, _ = player(i)
        seqs[player_id] += 1
        now = time.time()
        outcome = services._apply_postgresql(
            telegram_id=telegram_id, seq=seqs[player_id], count=1, batch=seqs[player_id], now=now
        )
        assert outcome is not None and outcome.applied

    def floor_statement(i: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [player(i)[0]])
            cursor.fetchone()

    def health_check(_: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def redis_call(i: int) -> None:
        player_id = player(i)[0]
        assert live.sync_track(player_id=player_id, clicks=1, now=time.time()) is not None

    redis_socket = socket.create_connection(("127.0.0.1", 6379))

    def bare_round_trip(_: int) -> None:
        redis_socket.sendall(b"PING\r\n")
        redis_socket.recv(64)

    def with_backend(function: Callable[[int], object]) -> tuple[float, float]:
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        before = backend_cpu_seconds(pid)
        client_us = cpu_per_call(function, calls=args.calls, rounds=args.rounds)
        server_us = (backend_cpu_seconds(pid) - before) / (args.calls * args.rounds) * 1e6
        return client_us, server_us

    rows: list[tuple[str, float, float | None]] = []

    def measure(name: str, function: Callable[[int], object], *, backend: bool = False) -> None:
        function(0)  # warm: connections, prepared statements, scripts
        if backend:
            client_us, server_us = with_backend(function)
            rows.append((name, client_us, server_us))
        else:
            rows.append((name, cpu_per_call(function, calls=args.calls, rounds=args.rounds), None))
        print(f"  {name}: done", file=sys.stderr, flush=True)

    measure("whole request, floor (POST /bench/floor)", floor_request)
    measure("whole request, sync (POST /api/clicks), initData seen before", sync_request)
    measure(
        "initData check, a string not seen before",
        lambda i: validate(fresh[i], BOT_TOKEN, max_age=3600),
    )
    measure(
        "initData check, a string seen before",
        lambda i: validate(fresh[i % 100], BOT_TOKEN, max_age=3600),
    )
    measure("sync statement (one round trip), tracked: HOT", sync_statement, backend=True)
    measure("floor statement (one round trip)", floor_statement, backend=True)
    measure("Django's per-request health check (SELECT 1)", health_check, backend=True)
    measure("sync's Redis call (one EVALSHA)", redis_call)
    measure("a bare loopback round trip (PING on a raw socket)", bare_round_trip)
    with mock.patch.object(services, "board_tracks_syncs", return_value=False):
        measure(
            "sync statement writing the board order (no ready live board)",
            sync_statement,
            backend=True,
        )

    # The statement-only measurements synced in PostgreSQL alone; the live board follows them
    # again, so a later `clicks_sync.py --keep` finds the benchmark database consistent.
    from leaderboard.services import leaderboard_recalculate

    leaderboard_recalculate()

    print(f"\nCPU per call, best of {args.rounds} x {args.calls} calls:\n")
    print("| piece | this process µs | PostgreSQL backend µs |")
    print("|---|---|---|")
    for name, client_us, server_us in rows:
        server = "-" if server_us is None else f"{server_us:.0f}"
        print(f"| {name} | {client_us:.0f} | {server} |")


if __name__ == "__main__":
    main()
