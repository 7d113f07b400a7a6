"""What the benchmarks share: production-like settings, manage.py, psql, gunicorn on loopback."""

import http.client
import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def production_env(*, database: str, redis_url: str, bot_token: str) -> dict[str, str]:
    """Settings with DEBUG off pointing at a benchmark database (and Redis, unless empty)."""
    return {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": "bench-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "TELEGRAM_BOT_TOKEN": bot_token,
        "SECURE_SSL_REDIRECT": "False",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": redis_url,
    }


def run_manage(env: dict[str, str], *command: str) -> str:
    """Run a management command with `env`; its output."""
    return subprocess.run(
        [PYTHON, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=True,
    ).stdout


def psql(database: str, query: str) -> str:
    """One psql statement on a benchmark database (the name comes from our own arguments)."""
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAqc", query],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout.strip()


class Gunicorn:
    """`gunicorn clickgame.wsgi` on 127.0.0.1:`port` for the duration of a `with` block.

    `options` are extra gunicorn flags (worker class, workers, backlog...); the block starts once
    `/health` answers 200 (within 30 s) and ends with SIGTERM and a wait for the workers.
    """

    def __init__(self, *, port: int, env: dict[str, str], options: list[str]) -> None:
        self.port, self.env, self.options = port, env, options
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The gunicorn command line (reports print it)."""
        return [GUNICORN, "clickgame.wsgi", "--bind", f"127.0.0.1:{self.port}", *self.options]

    def __enter__(self) -> "Gunicorn":
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)
