"""Helpers both benchmarks share: production-like settings, manage.py and psql on loopback."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


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
