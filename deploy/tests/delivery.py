"""Shared pieces of the delivery tests (test_delivery*.py): paths, a command runner, compose
invocation and an HTTP stand-in for gunicorn."""

import http.server
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
WORKFLOWS = ROOT / ".github" / "workflows"
VENV_BIN = Path(sys.executable).parent


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command with a time limit, capturing text output; never raises on exit status."""
    kwargs.setdefault("timeout", 120)
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def compose_data() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load_module(path: Path, name: str) -> ModuleType:
    """Import a standalone script from deploy/ (not a package) by its path."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def compose_command() -> list[str] | None:
    """`docker compose` (v2) when its plugin is installed, else Debian's `docker-compose` (v1)."""
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"], timeout=30).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def compose_config(directory: Path, env_text: str) -> subprocess.CompletedProcess[str]:
    """`compose config` of a copy of docker-compose.yml in `directory`, next to `env_text` as .env.

    Compose v1 predates the top-level `name` key (valid in the Compose Specification, which v2
    implements); for v1 the copy drops that line so v1 still checks everything else.
    """
    command = compose_command()
    if command is None:
        pytest.skip("no compose CLI: apt-get install docker-compose (or the docker compose plugin)")
    text = COMPOSE_FILE.read_text()
    if command[-1].endswith("docker-compose"):
        text = re.sub(r"(?m)^name: .*\n", "", text)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "docker-compose.yml").write_text(text)
    (directory / ".env").write_text(env_text)
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return run(
        [*command, "--project-directory", str(directory), "config"], cwd=directory, env=clean
    )


def env_text(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with `status` and remembers what it received."""

    status = 200
    received: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.received.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        payload = json.dumps({"path": self.path}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


GunicornStandIn = tuple[http.server.ThreadingHTTPServer, type[RecordingHandler]]


@contextmanager
def gunicorn_stand_in() -> Iterator[GunicornStandIn]:
    """An HTTP server on a free loopback port that records requests, in place of gunicorn."""
    handler = type("Handler", (RecordingHandler,), {"received": [], "status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler
    finally:
        server.shutdown()
        server.server_close()
