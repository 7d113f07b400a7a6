"""Throwaway services for `make chaos`: its own PostgreSQL, Redis, gunicorns, keeper and nginx.

Everything lives in one temporary folder and listens on 127.0.0.1 ports of its own; the
machine's shared PostgreSQL and Redis are never touched. Every process started here is
remembered by pid and only those are signalled; `Stack.close()` stops them and removes the folder.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# Debian's server binaries (initdb, pg_ctl) of the newest installed PostgreSQL.
PG_BIN = Path(
    os.environ.get("CHAOS_PG_BIN")
    or max(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        default=Path("/usr/lib/postgresql/15/bin"),
    )
)
BOT_TOKEN = "777000:chaos-test-bot-token"


def _as_postgres() -> list[str]:
    # initdb and postgres refuse to run as root: as root, run them as the `postgres` OS user.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_for_port(port: int, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not port_is_free(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {seconds:g} s")


def run(command: list[str], **kwargs: object) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return str(done.stdout)


class Postgres:
    """A PostgreSQL cluster initialised in the temporary folder, on its own port."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.home = folder / "postgres"
        self.data = self.home / "data"
        self.home.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        run([*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"])  # fmt: skip
        self.start()
        run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc",
             "CREATE DATABASE clickgame"])  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/clickgame"

    def _ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        run([*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
             str(self.home / "postgres.log"), "-o", options, "-w", "-t", "60", *args])  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        """Stop; `immediate` is a crash (no checkpoint, clients cut off), `fast` a clean stop."""
        self._ctl("stop", "-m", mode)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


class Redis:
    """A redis-server without persistence: a restart comes back empty, as after a crash."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.folder = folder / "redis"
        self.folder.mkdir()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, seconds=10, what="redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def flushdb(self) -> None:
        run(["redis-cli", "-p", str(self.port), "FLUSHDB"])


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py on a loopback port; its workers can be killed."""

    def __init__(self, folder: Path, port: int, env: dict[str, str], name: str) -> None:
        self.port, self.name = port, name
        self.env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder / f"metrics-{name}")}
        self.log = folder / f"gunicorn-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(VENV_BIN / "gunicorn"),
                    "-c",
                    "deploy/gunicorn.conf.py",
                    "-b",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, seconds=60, what=f"gunicorn {self.name}")

    def workers(self) -> list[int]:
        """The pids of the master's current worker processes."""
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def kill_a_worker(self) -> int | None:
        """SIGKILL one worker chosen at random; its pid (the master forks a new one)."""
        workers = self.workers()
        if not workers:
            return None
        victim = random.choice(workers)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return victim

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class ManagedProcess:
    """A long-running manage.py command (the board keeper), restarted if it exits."""

    def __init__(self, folder: Path, env: dict[str, str], *command: str) -> None:
        self.env, self.command = env, command
        self.log = folder / f"{command[0]}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "python"), "manage.py", *self.command],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def keep_running(self) -> None:
        """Start it again if it exited (as a container's restart policy would)."""
        if self.process is not None and self.process.poll() is not None:
            self.restarts += 1
            self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


class Nginx:
    """deploy/nginx.conf, rendered as the image does, in front of an upstream of gunicorns."""

    def __init__(self, folder: Path, port: int, upstream_ports: list[int]) -> None:
        self.port = port
        self.home = folder / "nginx"
        self.home.mkdir()
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        # The project's server block with the image's variables filled in; the upstream is a
        # group of loopback gunicorns (what `--scale web=2` gives behind Docker's DNS).
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        for name, value in {
            "NGINX_PORT": f"127.0.0.1:{port}",
            "NGINX_RESOLVER": "127.0.0.1",
            "WEB_UPSTREAM": "clickgame_web_group",
            "ADMIN_PATH": "/admin/",
            # As the edge (no TLS proxy in front): nginx's own scheme.
            "CLICKGAME_PROTO_FROM": "$scheme",
        }.items():
            site = site.replace("${" + name + "}", value)
        unfilled = [
            line for line in site.splitlines() if "${" in line and not line.lstrip().startswith("#")
        ]
        if unfilled:
            raise RuntimeError(f"deploy/nginx.conf has variables chaos does not fill: {unfilled}")
        site = site.replace("root /srv/clickgame;", f"root {self.home};")
        servers = "".join(f"server 127.0.0.1:{p};\n" for p in upstream_ports)
        temp = "".join(
            f"{kind}_temp_path {self.home / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.home / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {self.home / 'nginx.pid'};\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\ninclude /etc/nginx/mime.types;\naccess_log off;\n{temp}"
            f"upstream clickgame_web_group {{\n{servers}keepalive 32;\n}}\n{site}\n}}\n"
        )
        self.base = [binary, "-p", str(self.home), "-e", str(self.home / "error.log"), "-c",
                     str(self.home / "nginx.conf")]  # fmt: skip
        run([*self.base, "-t"])
        run(self.base)
        wait_for_port(port, seconds=10, what="nginx")

    def stop(self) -> None:
        subprocess.run([*self.base, "-s", "stop"], capture_output=True, timeout=30)


class Stack:
    """The folder, the ports and every process of one chaos run."""

    def __init__(self, first_port: int = 18410, last_port: int = 18499) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="clickgame-chaos-"))
        self.folder.chmod(0o755)
        self._ports = iter(p for p in range(first_port, last_port + 1) if port_is_free(p))
        self.postgres: Postgres | None = None
        self.redis: Redis | None = None
        self.gunicorns: list[Gunicorn] = []
        self.keeper: ManagedProcess | None = None
        self.nginx: Nginx | None = None

    def port(self) -> int:
        return next(self._ports)

    def django_env(self) -> dict[str, str]:
        """Production settings (DEBUG off) pointing at this stack's PostgreSQL and Redis."""
        assert self.postgres is not None and self.redis is not None
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
        return {
            **{k: v for k, v in os.environ.items() if k in keep},
            "DEBUG": "False",
            "SECRET_KEY": "chaos-" + "s" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "SECURE_SSL_REDIRECT": "False",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            # Players here sync about twice a second; the production default would answer 429s.
            "CLICK_SYNC_RATE": "600/m",
        }

    def close(self) -> None:
        for stop in (
            self.nginx.stop if self.nginx else None,
            self.keeper.stop if self.keeper else None,
            *(g.stop for g in self.gunicorns),
            self.redis.stop if self.redis else None,
            (lambda: self.postgres.stop("fast"))
            if self.postgres and self.postgres.running()
            else None,
        ):
            if stop is None:
                continue
            try:
                stop()
            except Exception as exc:  # cleanup goes on whatever one step did
                print(f"cleanup: {exc}")
        shutil.rmtree(self.folder, ignore_errors=True)
