"""A real clickgame server for end-to-end tests: gunicorn in a subprocess with its own database.

The server is a separate process, so it cannot share pytest-django's test database (that one
lives inside a transaction). It gets a fresh SQLite file, or on PostgreSQL a dedicated database
created here and dropped afterwards, migrated before the server starts.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = BASE_DIR / "test-artifacts" / "e2e"
# The server signs and checks initData with this token; the tests sign with it too.
E2E_BOT_TOKEN = "4242424242:e2e-clickgame-not-a-real-token"  # noqa: S105 (test-only value)
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
MIGRATE_TIMEOUT_SECONDS = 180

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def _admin_conninfo(url: str) -> str:
    """The same server as `url`, but its maintenance database `postgres`."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))


def _recreate_postgres_database(url: str, name: str, *, create: bool) -> None:
    # psycopg is imported here: only PostgreSQL runs need it.
    import psycopg
    from psycopg import sql

    with psycopg.connect(_admin_conninfo(url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def e2e_database(workdir: Path, suffix: str) -> Iterator[str]:
    """A DATABASE_URL for the server: a temp SQLite file, or a dedicated PostgreSQL database.

    On PostgreSQL (DATABASE_URL set to it) the database is `<name>_<suffix>` on the same server,
    dropped afterwards.
    """
    configured = os.environ.get("DATABASE_URL", "")
    if not _is_postgres(configured):
        yield f"sqlite:///{workdir / 'e2e.sqlite3'}"
        return
    parts = urlsplit(configured)
    name = f"{parts.path.lstrip('/') or 'clickgame'}_{suffix}"
    _recreate_postgres_database(configured, name, create=True)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        _recreate_postgres_database(configured, name, create=False)


def flush_redis() -> None:
    """Empty the configured Redis database (as every unit test does) so the board starts empty."""
    url = os.environ.get("REDIS_URL", "")
    if url:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.flushdb()
        finally:
            client.close()


class GameServer:
    """gunicorn serving clickgame on 127.0.0.1; stop() and start() again keep port and data."""

    def __init__(self, *, env: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def migrate(self) -> None:
        """Create the schema in the server's database."""
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=MIGRATE_TIMEOUT_SECONDS,
        )

    def build_live_board(self) -> None:
        """Build the Redis board from the database, as the board keeper does in production
        (none runs here). Until then a server with REDIS_URL answers from the fallback board,
        marked degraded, and asks clients to poll the leaderboard only every 30 s."""
        if not self.env.get("REDIS_URL"):
            return
        subprocess.run(
            [sys.executable, "manage.py", "recalculate_leaderboard"],
            cwd=BASE_DIR,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=MIGRATE_TIMEOUT_SECONDS,
        )

    def start(self) -> None:
        """Start the server and wait (bounded) until /health answers."""
        if self.process is not None:
            raise RuntimeError("The e2e server is already running.")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (fixed argv, no user input)
            [
                sys.executable, "-m", "gunicorn", "clickgame.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", "1", "--threads", "8",
                "--timeout", "30", "--graceful-timeout", "2",
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"The e2e server exited at start:\n{self.log_tail()}")
            if self.healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"The e2e server did not answer in time:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a bounded wait)."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def healthy(self) -> bool:
        """True when /health answers 200 right now."""
        try:
            url = f"{self.base_url}/health"
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (http only)
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def server_env(*, database_url: str, godot_build_dir: Path, **overrides: str) -> dict[str, str]:
    """The server's environment: this one, with the game rules the tests rely on pinned.

    DEBUG stays on (the dev sign-in is part of what is tested); REDIS_URL is inherited, so the
    PostgreSQL + Redis run exercises the live board.
    """
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clickgame.settings",
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "True",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # No real bot token, the e2e token as the dev token (as `make run` does): the dev
            # sign-in signs with it (it refuses while TELEGRAM_BOT_TOKEN is set); the API takes it.
            "TELEGRAM_BOT_TOKEN": "",
            "DEV_BOT_TOKEN": E2E_BOT_TOKEN,
            "DATABASE_URL": database_url,
            "GODOT_BUILD_DIR": str(godot_build_dir),
            "MINI_APP_PATH": "/",
            "NAME_MODERATION": "post",
            "NAME_CHANGE_RATE": "5/h",
            "MAX_CLICKS_PER_SYNC": "1000",
            "MAX_CLICKS_PER_SECOND": "20",
            "CLICK_BURST_SECONDS": "30",
            "CLICK_SYNC_RATE": "120/m",
            "LOG_LEVEL": "WARNING",
            "LOG_JSON": "False",
        }
    )
    env.update(overrides)
    return env


@contextmanager
def running_server(
    workdir: Path, *, name: str, godot_build_dir: Path | None = None, **env: str
) -> Iterator[GameServer]:
    """A migrated, started GameServer with its own database; stopped and cleaned up after.

    `env` overrides settings of the server (e.g. MAX_CLICKS_PER_SYNC="5")."""
    build_dir = godot_build_dir or workdir / "no-godot-build"
    build_dir.mkdir(parents=True, exist_ok=True)
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS_DIR / f"server-{name}.log"
    log_path.write_bytes(b"")
    flush_redis()
    with e2e_database(workdir, suffix=f"e2e_{name}") as database_url:
        server = GameServer(
            env=server_env(database_url=database_url, godot_build_dir=build_dir, **env),
            log_path=log_path,
        )
        server.migrate()
        server.start()
        try:
            yield server
        finally:
            server.stop()
            flush_redis()
