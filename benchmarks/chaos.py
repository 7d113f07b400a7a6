"""`make chaos`: play under faults and check that no acknowledged click is lost or doubled.

Starts a throwaway PostgreSQL, Redis, gunicorn (deploy/gunicorn.conf.py) and the board keeper
(benchmarks/chaos_stack.py), then drives concurrent players whose clients resend the same seq
after any error or timeout, while it SIGKILLs gunicorn workers, crashes and restarts PostgreSQL,
flushes Redis, and stops and restarts Redis. Finally two gunicorns run behind the project's
nginx config and the players go through nginx while workers die and one whole web process
restarts. After every fault the players finish their unanswered batches and:

- database == acknowledged: each player's clicks in PostgreSQL equal the sum of `accepted` in
  the answers their client got;
- shards == players: each total shard equals the clicks of the players that fall into it;
- board == SQL ranking: the live board in Redis and `/api/leaderboard` (rank, clicks, top 5,
  total) agree with the ranking computed in SQL, within the keeper's healing time.

Exit status 1 on any violation, with a summary of every phase.
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chaos_stack import (  # after the sys.path line above
    BOT_TOKEN,
    ROOT,
    VENV_BIN,
    Gunicorn,
    ManagedProcess,
    Nginx,
    Postgres,
    Redis,
    Stack,
    run,
)

REQUEST_TIMEOUT = 5.0
RETRY_STATUSES = {429, 502, 503, 504}
BOARD_HEAL_SECONDS = 40.0
QUIESCE_SECONDS = 90.0
# A sample /metrics must show once players have synced through that gunicorn.
SYNCS_METRIC = b'clickgame_responses_total{endpoint="clicks-sync",status="200"}'


@dataclass
class Target:
    """Where players send their requests: one gunicorn, or nginx in front of two."""

    port: int
    name: str


class Player(threading.Thread):
    """One game client: batches of taps numbered by seq, resent unchanged until answered."""

    def __init__(self, telegram_id: int, target: "Targets", play: threading.Event) -> None:
        super().__init__(daemon=True, name=f"player-{telegram_id}")
        from telegram_auth.initdata import build_init_data  # needs Django's settings set up

        self.telegram_id = telegram_id
        self.authorization = "tma " + build_init_data(
            {"id": telegram_id, "first_name": f"Chaos{telegram_id}"}, BOT_TOKEN
        )
        self.targets, self.play = target, play
        self.stopped = threading.Event()
        self.seq = 0
        self.pending: tuple[int, int] | None = None
        self.acknowledged = 0
        self.answers = 0
        self.duplicates = 0
        self.retries = 0
        self.rejected = 0
        self.unexpected: list[str] = []
        self.connection: http.client.HTTPConnection | None = None
        self.connection_port = 0

    @property
    def idle(self) -> bool:
        return self.pending is None and not self.play.is_set()

    def run(self) -> None:
        while not self.stopped.is_set():
            if self.pending is None:
                if not self.play.is_set():
                    self.play.wait(0.2)
                    continue
                self.seq += 1
                # Mostly human tapping; now and then a burst over the anti-cheat cap.
                count = random.randint(100, 400) if random.random() < 0.03 else random.randint(1, 8)
                self.pending = (self.seq, count)
            wait = self.send()
            time.sleep(wait if self.pending is not None else random.uniform(0.2, 0.8))

    def _connection(self) -> http.client.HTTPConnection:
        port = self.targets.current.port
        if self.connection is None or self.connection_port != port:
            if self.connection is not None:
                self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            self.connection_port = port
        return self.connection

    def send(self) -> float:
        """Send the pending batch once; seconds to wait before the next attempt."""
        assert self.pending is not None
        seq, count = self.pending
        body = json.dumps({"seq": seq, "count": count})
        try:
            connection = self._connection()
            connection.request(
                "POST",
                "/api/clicks",
                body=body,
                headers={"Authorization": self.authorization, "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            status, payload = response.status, response.read()
            retry_after = response.getheader("Retry-After")
        except (OSError, http.client.HTTPException):
            # Refused, reset, timed out: the batch may or may not have landed. Same seq again.
            self.retries += 1
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return random.uniform(0.1, 0.5)
        if status == 200:
            answer = json.loads(payload)
            self.acknowledged += int(answer["accepted"])
            self.rejected += int(answer["rejected"])
            self.duplicates += bool(answer["duplicate"])
            self.answers += 1
            if answer["seq"] < seq:
                self.unexpected.append(f"seq {seq} answered with last seq {answer['seq']}")
            self.pending = None
            return 0.0
        if status in RETRY_STATUSES:
            self.retries += 1
            try:
                return min(float(retry_after or 1), 2.0) * random.uniform(0.5, 1.0)
            except ValueError:
                return 1.0
        self.unexpected.append(f"seq {seq}: {status} {payload[:200]!r}")
        self.pending = None
        return 0.5


class Targets:
    """The port every player sends to; switching it moves all players at once."""

    def __init__(self, target: Target) -> None:
        self.current = target


@dataclass
class Phase:
    name: str
    faults: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    syncs: int = 0
    retries: int = 0
    seconds: float = 0.0


class Chaos:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stack = Stack()
        self.phases: list[Phase] = []
        self.players: list[Player] = []
        self.play = threading.Event()
        self.keeper_note = ""

    # --- setting up -------------------------------------------------------------------------

    def start(self) -> None:
        stack = self.stack
        print(f"chaos: services in {stack.folder}")
        stack.postgres = Postgres(stack.folder, stack.port())
        stack.redis = Redis(stack.folder, stack.port())
        env = stack.django_env()
        os.environ.update(env)
        run([str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env)
        stack.gunicorns.append(Gunicorn(stack.folder, stack.port(), env, "a"))
        keeper = ROOT / "leaderboard" / "management" / "commands" / "run_board_keeper.py"
        if keeper.exists():
            self.keeper_metrics_port = stack.port()
            stack.keeper = ManagedProcess(
                stack.folder,
                env,
                *("run_board_keeper", "--interval", "1"),
                *("--metrics-port", str(self.keeper_metrics_port)),
            )
            self.keeper_note = "board keeper running (run_board_keeper --interval 1)"
        else:
            self.keeper_note = "no board keeper: recalculate_leaderboard runs after each fault"
        import django  # settings come from the environment set just above

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clickgame.settings")
        django.setup()
        self.targets = Targets(Target(stack.gunicorns[0].port, "gunicorn a"))
        first = 7_000_000
        self.players = [
            Player(first + n, self.targets, self.play) for n in range(self.args.players)
        ]
        for player in self.players:
            player.start()

    # --- driving ----------------------------------------------------------------------------

    def phase(self, name: str, action: Callable[[Phase], None]) -> None:
        """Play while `action` injects its faults, then settle and check every invariant."""
        phase = Phase(name)
        started = time.monotonic()
        before = self._counts()
        print(f"\n== {name}")
        self.play.set()
        try:
            action(phase)
        except Exception as exc:  # a broken fault step is reported, not fatal
            phase.violations.append(f"fault step failed: {exc!r}")
        self.play.clear()
        self._quiesce(phase)
        if self.stack.keeper is None:
            run(
                [str(VENV_BIN / "python"), "manage.py", "recalculate_leaderboard"],
                cwd=ROOT,
                env=self.stack.django_env(),
            )
        self._check(phase)
        after = self._counts()
        phase.syncs, phase.retries = after[0] - before[0], after[1] - before[1]
        phase.seconds = time.monotonic() - started
        for fault in phase.faults:
            print(f"   fault: {fault}")
        print(f"   {phase.syncs} syncs answered, {phase.retries} retries, {phase.seconds:.0f} s")
        for violation in phase.violations:
            print(f"   VIOLATION: {violation}")
        self.phases.append(phase)

    def _counts(self) -> tuple[int, int]:
        return sum(p.answers for p in self.players), sum(p.retries for p in self.players)

    def _keeper_alive(self) -> None:
        if self.stack.keeper is not None:
            self.stack.keeper.keep_running()

    def _quiesce(self, phase: Phase) -> None:
        """Let every client get an answer for its last batch (retrying as long as it takes)."""
        deadline = time.monotonic() + QUIESCE_SECONDS
        while time.monotonic() < deadline:
            self._keeper_alive()
            if all(p.idle for p in self.players):
                return
            time.sleep(0.2)
        stuck = [p.telegram_id for p in self.players if not p.idle]
        phase.violations.append(f"{len(stuck)} clients got no answer in {QUIESCE_SECONDS:g} s")

    # --- the invariants ---------------------------------------------------------------------

    def _check(self, phase: Phase) -> None:
        from django.db import connections
        from django.db.models import Sum
        from django.db.models.functions import Mod

        from leaderboard.models import TOTAL_CLICK_SHARDS, ClickTotalShard
        from players.models import Player as PlayerRow

        connections.close_all()
        for player in self.players:
            for problem in player.unexpected:
                phase.violations.append(f"player {player.telegram_id}: unexpected answer {problem}")
            player.unexpected.clear()
        rows = dict(
            PlayerRow.objects.filter(
                telegram_id__in=[p.telegram_id for p in self.players]
            ).values_list("telegram_id", "clicks")
        )
        wrong = [
            (p.telegram_id, rows.get(p.telegram_id, 0), p.acknowledged)
            for p in self.players
            if rows.get(p.telegram_id, 0) != p.acknowledged
        ]
        if wrong:
            lost = sum(ack - db for _, db, ack in wrong if ack > db)
            doubled = sum(db - ack for _, db, ack in wrong if db > ack)
            phase.violations.append(
                f"database != acknowledged for {len(wrong)} players ({lost} acknowledged clicks "
                f"missing, {doubled} unacknowledged clicks counted), e.g. {wrong[:3]}"
            )
        shards = dict(ClickTotalShard.objects.values_list("shard", "clicks"))
        expected = dict(
            PlayerRow.objects.annotate(shard_no=Mod("id", TOTAL_CLICK_SHARDS))
            .values("shard_no")
            .annotate(total=Sum("clicks"))
            .values_list("shard_no", "total")
        )
        off = [s for s in range(TOTAL_CLICK_SHARDS) if shards.get(s, 0) != (expected.get(s) or 0)]
        if off:
            phase.violations.append(f"shards != players in {len(off)} shards, e.g. shard {off[0]}")
        problem = self._board_heals(PlayerRow)
        if problem:
            phase.violations.append(problem)

    def _board_heals(self, player_model: Any) -> str | None:
        """None once Redis's board and the API agree with SQL; else the last disagreement."""
        deadline = time.monotonic() + BOARD_HEAL_SECONDS
        problem: str | None = "not checked"
        while time.monotonic() < deadline:
            self._keeper_alive()
            problem = self._board_problem(player_model)
            if problem is None:
                return None
            time.sleep(1.0)
        return f"board != SQL ranking after {BOARD_HEAL_SECONDS:g} s: {problem}"

    def _board_problem(self, player_model: Any) -> str | None:
        from django.db import connections

        from leaderboard import live

        connections.close_all()
        visible = list(
            player_model.objects.visible().order_by("-clicks", "pk").values_list("pk", "clicks")
        )
        client = live.redis_client()
        if client is None:
            return "no Redis configured"
        try:
            board = {
                live.player_id_of(member): int(float(score))
                for member, score in client.zrange(live.BOARD_KEY, 0, -1, withscores=True)
            }
        except Exception as exc:  # Redis may still be coming back
            return f"board unreadable: {exc!r}"
        sql = dict(visible)
        wrong = [pk for pk, clicks in visible if board.get(pk, 0) != clicks]
        extra = [pk for pk in board if pk not in sql]
        if wrong or extra:
            sample = [(pk, board.get(pk), sql[pk]) for pk in wrong[:3]]
            return f"Redis board: {len(wrong)} wrong scores {sample}, {len(extra)} extra members"
        return self._api_problem(visible)

    def _api_problem(self, visible: list[tuple[int, int]]) -> str | None:
        """`/api/leaderboard` through the current target agrees with the SQL ranking."""
        if not visible:
            return None
        total = sum(clicks for _, clicks in visible)
        top = [pk for pk, _ in visible[:5]]
        asker = self.players[0]
        checked = random.sample(visible, min(len(visible), self.args.board_samples))
        connection = http.client.HTTPConnection("127.0.0.1", self.targets.current.port, timeout=10)
        try:
            for pk, clicks in checked:
                connection.request(
                    "GET",
                    f"/api/leaderboard?user_id={pk}",
                    headers={"Authorization": asker.authorization},
                )
                response = connection.getresponse()
                payload = response.read()
                if response.status != 200:
                    return f"/api/leaderboard?user_id={pk}: {response.status} {payload[:120]!r}"
                answer = json.loads(payload)
                rank = 1 + sum(1 for _, other in visible if other > clicks)
                got = (answer["me"]["rank"], answer["me"]["clicks"], answer["total_clicks"])
                if "source" in answer:
                    return f"/api/leaderboard answers from the {answer['source']}, not live"
                if got != (rank, clicks, total):
                    want = (rank, clicks, total)
                    return f"API for player {pk}: (rank, clicks, total) {got} != SQL {want}"
                if [entry["player_id"] for entry in answer["top"]] != top:
                    return f"API top 5 {[e['player_id'] for e in answer['top']]} != SQL {top}"
        except (OSError, http.client.HTTPException) as exc:
            return f"/api/leaderboard unreachable: {exc!r}"
        finally:
            connection.close()
        return None

    # --- the faults -------------------------------------------------------------------------

    def steady(self, phase: Phase) -> None:
        phase.faults.append("none (baseline)")
        time.sleep(self.args.seconds)

    def kill_workers(self, phase: Phase) -> None:
        deadline = time.monotonic() + self.args.seconds * 1.5
        kills = 0
        while time.monotonic() < deadline:
            time.sleep(random.uniform(0.5, 3.0))
            for gunicorn in self.stack.gunicorns:
                if gunicorn.kill_a_worker() is not None:
                    kills += 1
        phase.faults.append(f"{kills} gunicorn workers killed with SIGKILL every 0.5-3 s")

    def restart_postgres(self, phase: Phase) -> None:
        postgres = self.stack.postgres
        assert postgres is not None
        time.sleep(self.args.seconds / 2)
        postgres.stop("immediate")
        down = time.monotonic()
        time.sleep(3)
        postgres.start()
        phase.faults.append(
            f"PostgreSQL crashed (pg_ctl stop -m immediate) and restarted after "
            f"{time.monotonic() - down:.1f} s"
        )
        time.sleep(self.args.seconds / 2)

    def flush_redis(self, phase: Phase) -> None:
        redis = self.stack.redis
        assert redis is not None
        time.sleep(self.args.seconds / 2)
        redis.flushdb()
        phase.faults.append("Redis FLUSHDB (board, rate limits and cache gone at once)")
        time.sleep(self.args.seconds / 2)

    def restart_redis(self, phase: Phase) -> None:
        redis = self.stack.redis
        assert redis is not None
        time.sleep(self.args.seconds / 2)
        redis.stop()
        before = self._counts()[0]
        time.sleep(5)
        during = self._counts()[0] - before
        redis.start()
        phase.faults.append(
            f"Redis killed for 5 s and started empty; {during} syncs answered 200 while it was down"
        )
        if during == 0:
            phase.violations.append("play stopped while Redis was down: no sync answered 200")
        time.sleep(self.args.seconds / 2)

    def behind_nginx(self, phase: Phase) -> None:
        stack = self.stack
        env = stack.django_env()
        stack.gunicorns.append(Gunicorn(stack.folder, stack.port(), env, "b"))
        stack.nginx = Nginx(stack.folder, stack.port(), [g.port for g in stack.gunicorns])
        self.targets.current = Target(stack.nginx.port, "nginx")
        phase.faults.append(
            f"two gunicorns ({', '.join(str(g.port) for g in stack.gunicorns)}) behind nginx "
            f"on {stack.nginx.port}; players moved to nginx"
        )
        self._metrics_not_public(phase)
        self._keeper_metrics(phase)
        self.kill_workers(phase)
        second = stack.gunicorns[1]
        second.stop()
        time.sleep(3)
        second.start()
        phase.faults.append("web process b stopped for 3 s and started again (SIGTERM drain)")
        time.sleep(self.args.seconds / 2)

    def _metrics_not_public(self, phase: Phase) -> None:
        """/metrics answers on a gunicorn's loopback port, and is a 404 through nginx."""
        assert self.stack.nginx is not None
        for port, want in ((self.stack.gunicorns[0].port, 200), (self.stack.nginx.port, 404)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", "/metrics")
                response = connection.getresponse()
                body = response.read()
            finally:
                connection.close()
            if response.status != want:
                phase.violations.append(f"/metrics on port {port}: {response.status}, not {want}")
            elif want == 200 and SYNCS_METRIC not in body:
                phase.violations.append(f"/metrics lacks {SYNCS_METRIC.decode()} after play")

    def _keeper_metrics(self, phase: Phase) -> None:
        """After the Redis faults the keeper's own metrics show its rebuilds and a ready board."""
        if self.stack.keeper is None:
            return
        connection = http.client.HTTPConnection("127.0.0.1", self.keeper_metrics_port, timeout=10)
        try:
            connection.request("GET", "/metrics")
            lines = connection.getresponse().read().decode().splitlines()
        except (OSError, http.client.HTTPException) as exc:
            phase.violations.append(f"keeper metrics unreachable: {exc!r}")
            return
        finally:
            connection.close()
        values = dict(line.rsplit(" ", 1) for line in lines if line and not line.startswith("#"))
        rebuilds = float(values.get('clickgame_board_rebuilds_total{result="done"}', 0))
        ready = float(values.get("clickgame_board_ready", 0))
        phase.faults.append(f"keeper metrics: {rebuilds:g} rebuilds done, board_ready {ready:g}")
        if rebuilds < 1:
            phase.violations.append("keeper metrics do not show the rebuild after the Redis faults")

    # --- the whole run ----------------------------------------------------------------------

    def run(self) -> int:
        try:
            self.start()
            self.phase("baseline: players on one gunicorn", self.steady)
            self.phase("gunicorn workers killed", self.kill_workers)
            self.phase("PostgreSQL crash and restart", self.restart_postgres)
            self.phase("Redis FLUSHDB", self.flush_redis)
            self.phase("Redis down, then back empty", self.restart_redis)
            self.phase("two web processes behind nginx", self.behind_nginx)
        finally:
            for player in self.players:
                player.stopped.set()
            self.play.set()
            self.stack.close()
        return self.summary()

    def summary(self) -> int:
        players = self.players
        print("\n== chaos summary")
        print(f"   {len(players)} players, {self.keeper_note}")
        if self.stack.keeper is not None and self.stack.keeper.restarts:
            print(f"   the keeper exited and was restarted {self.stack.keeper.restarts} times")
        print(
            f"   {sum(p.answers for p in players)} syncs answered "
            f"({sum(p.duplicates for p in players)} as duplicates of a lost answer), "
            f"{sum(p.retries for p in players)} retries, "
            f"{sum(p.acknowledged for p in players)} clicks acknowledged, "
            f"{sum(p.rejected for p in players)} rejected by the cap"
        )
        failed = [phase for phase in self.phases if phase.violations]
        for phase in self.phases:
            mark = "FAIL" if phase.violations else "ok  "
            print(f"   {mark} {phase.name}: {phase.syncs} syncs, {phase.seconds:.0f} s")
        if failed or len(self.phases) < 6:
            print(f"chaos: FAILED ({len(failed)} phases with violations)")
            return 1
        print("chaos: passed: database == acknowledged, shards == players, board == SQL ranking")
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100, help="concurrent clients (100)")
    parser.add_argument("--seconds", type=float, default=12.0, help="play per phase (12)")
    parser.add_argument(
        "--board-samples", type=int, default=25, help="players whose /api/leaderboard is checked"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.exit(Chaos(args).run())


if __name__ == "__main__":
    main()
