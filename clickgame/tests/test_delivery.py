"""Containers and delivery: compose, images' scripts, nginx, workflows, secrets, backups.

Nothing here needs a Docker engine. Tools that Debian or PyPI provide are used when installed
(`docker-compose`/`docker compose`, `nginx`, `shellcheck`, `actionlint`, `pg_dump`); a test that
needs a missing one skips with the command that installs it.
"""

import gzip
import http.server
import importlib.util
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from clickgame.tests.test_settings import documented_variables, settings_env_reads

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
WORKFLOWS = ROOT / ".github" / "workflows"
VENV_BIN = Path(sys.executable).parent
REQUIRED_COMPOSE_VARIABLES = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "TELEGRAM_BOT_TOKEN",
    "POSTGRES_PASSWORD",
)
COMPLETE_ENV = {
    "SECRET_KEY": "compose-test-" + "k" * 40,
    "ALLOWED_HOSTS": "game.example.com",
    "TELEGRAM_BOT_TOKEN": "42:compose-test-token",
    "POSTGRES_PASSWORD": "s3cretpassw0rd",
}


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


# --- docker-compose.yml -------------------------------------------------------------------------


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


def test_compose_file_validates_against_the_compose_specification(tmp_path: Path) -> None:
    checker = VENV_BIN / "check-jsonschema"
    args = [str(checker), "--builtin-schema", "vendor.compose-spec"]
    valid = run([*args, str(COMPOSE_FILE)])
    assert valid.returncode == 0, valid.stdout + valid.stderr

    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE_FILE.read_text().replace("    restart: unless-stopped", "    restrt: x")
    )
    refused = run([*args, str(broken)])
    assert refused.returncode != 0, "the schema check accepted a misspelled service key"


def test_compose_config_resolves_the_stack_from_env(tmp_path: Path) -> None:
    result = compose_config(tmp_path, env_text(COMPLETE_ENV))
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    web = services["web"]["environment"]
    assert web["DEBUG"] == "False"
    assert web["DATABASE_URL"] == "postgres://clickgame:s3cretpassw0rd@db:5432/clickgame"
    assert web["REDIS_URL"] == "redis://redis:6379/0"
    assert web["SECRET_KEY"] == COMPLETE_ENV["SECRET_KEY"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "s3cretpassw0rd"
    assert "SECRET_KEY" not in services["db"]["environment"], "db must not get the app's secrets"


@pytest.mark.parametrize("missing", REQUIRED_COMPOSE_VARIABLES)
def test_compose_refuses_to_start_without_a_required_variable(tmp_path: Path, missing: str) -> None:
    env = {key: value for key, value in COMPLETE_ENV.items() if key != missing}
    result = compose_config(tmp_path, env_text(env))
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


def test_compose_runs_every_service_with_health_gated_dependencies() -> None:
    services = compose_data()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "bot", "client", "https"}

    db, redis = services["db"], services["redis"]
    assert db["image"] == "postgres:16"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in db["healthcheck"]["test"][1]
    assert redis["image"] == "redis:7"
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert "redisdata:/data" in redis["volumes"]
    assert "ping" in redis["healthcheck"]["test"][1]

    web = services["web"]
    assert web["command"] == ["gunicorn", "--config", "deploy/gunicorn.conf.py", "clickgame.wsgi"]
    assert web["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "migrate --noinput" in services["migrate"]["command"][-1]
    assert services["migrate"]["restart"] == "no"
    assert services["bot"]["command"] == ["deploy/run-bot.sh"]
    assert services["client"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["client"]["build"]["dockerfile"] == "deploy/client.Dockerfile"
    assert services["https"]["profiles"] == ["https"]

    for name in ("db", "redis", "web", "bot", "client", "https"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("migrate", "web", "bot"):
        assert services[name]["env_file"] == ".env", name
    declared = set(compose_data()["volumes"])
    for name, service in services.items():
        for target in service.get("depends_on", {}):
            assert target in services, f"{name} depends on unknown service {target}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in declared, f"{name} mounts undeclared volume {source}"


def test_web_drains_before_docker_kills_it() -> None:
    gunicorn = load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_grace")
    grace = compose_data()["services"]["web"]["stop_grace_period"]
    assert int(grace.rstrip("s")) > gunicorn.graceful_timeout


# --- documented variables -----------------------------------------------------------------------


def compose_variables() -> set[str]:
    """Every ${VAR} Compose interpolates ($${VAR} is an escape for the container's shell)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))


def gunicorn_variables() -> set[str]:
    text = (DEPLOY / "gunicorn.conf.py").read_text()
    return set(re.findall(r'(?:_env_int|os\.environ\.get)\("([A-Z][A-Z0-9_]*)"', text))


def test_every_compose_variable_is_documented_in_env_example() -> None:
    used = compose_variables()
    assert {"POSTGRES_PASSWORD", "SECRET_KEY", "CLIENT_PORT"} <= used, "the scan misses uses"
    missing = sorted(used - set(documented_variables()))
    assert missing == [], f"add these to .env.example with a comment: {missing}"


def test_every_settings_and_gunicorn_variable_is_documented_in_env_example() -> None:
    used = settings_env_reads() | gunicorn_variables()
    assert {"DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS"} <= used, "the scan misses uses"
    missing = sorted(used - set(documented_variables()))
    assert missing == [], f"add these to .env.example with a comment: {missing}"


# --- gunicorn -----------------------------------------------------------------------------------


def test_gunicorn_config_takes_workers_from_the_cpu_count(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_default")
    assert config.workers == 2 * config.usable_cpus() + 1
    assert config.usable_cpus() == len(os.sched_getaffinity(0)) or config.cpu_quota() is not None
    assert config.max_requests == 1000
    assert 0 < config.max_requests_jitter < config.max_requests
    assert config.timeout == 30
    assert config.accesslog == "-"
    assert config.errorlog == "-"

    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")
    assert config.cpu_quota(quota) == 2
    assert config.usable_cpus(quota) == min(2, len(os.sched_getaffinity(0)))
    quota.write_text("max 100000\n")
    assert config.cpu_quota(quota) is None
    assert config.cpu_quota(tmp_path / "absent") is None
    assert config.default_workers(4) == 9


def test_gunicorn_config_obeys_web_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "500")
    config = load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_env")
    assert config.workers == 3
    assert config.max_requests == 500
    assert config.max_requests_jitter == 50

    monkeypatch.setenv("WEB_CONCURRENCY", "0")
    with pytest.raises(ValueError, match="WEB_CONCURRENCY must be a positive integer"):
        load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_bad")


def test_gunicorn_serves_ready_and_drains_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ready.sqlite3'}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    probe_env = {**env, "HEALTHCHECK_ADDRESS": f"127.0.0.1:{port}", "ALLOWED_HOSTS": ""}
    try:
        deadline = time.monotonic() + 30
        probe = run([sys.executable, "deploy/healthcheck.py"], cwd=ROOT, env=probe_env)
        while probe.returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.3)
            probe = run([sys.executable, "deploy/healthcheck.py"], cwd=ROOT, env=probe_env)
        assert probe.returncode == 0, probe.stdout
        assert '"status": "ok"' in probe.stdout
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=40)
    assert server.returncode == 0, output
    assert "Booting worker" in output
    assert "Shutting down" in output or "Handling signal: term" in output


# --- healthcheck --------------------------------------------------------------------------------


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


@pytest.fixture
def upstream() -> Iterator[tuple[http.server.ThreadingHTTPServer, type[RecordingHandler]]]:
    """A stand-in for gunicorn on a free loopback port, recording requests."""
    handler = type("Handler", (RecordingHandler,), {"received": [], "status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


def test_healthcheck_asks_ready_with_an_allowed_host(upstream: Any) -> None:
    server, handler = upstream
    healthcheck = load_module(DEPLOY / "healthcheck.py", "healthcheck_mod")
    address = f"127.0.0.1:{server.server_address[1]}"

    ready, summary = healthcheck.check(address=address, allowed_hosts=".example.com, game.example")
    assert ready, summary
    assert handler.received[-1]["path"] == "/ready"
    assert handler.received[-1]["headers"]["Host"] == "example.com"

    handler.status = 503
    ready, summary = healthcheck.check(address=address, allowed_hosts="*")
    assert not ready
    assert "503" in summary
    assert handler.received[-1]["headers"]["Host"] == "localhost"


def test_healthcheck_fails_when_nothing_listens() -> None:
    healthcheck = load_module(DEPLOY / "healthcheck.py", "healthcheck_down")
    ready, summary = healthcheck.check(address=f"127.0.0.1:{free_port()}", allowed_hosts="a.b")
    assert not ready
    assert "unreachable" in summary


# --- the client image: fingerprinting, admin path, nginx ----------------------------------------


def fake_export(directory: Path) -> dict[str, bytes]:
    """A Godot web export's file set with recognisable contents."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "index.html": b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        b'<script src="index.js"></script>\n</head>\n<body><header>game</header></body>\n</html>\n',
        "index.js": b"var Engine = function () {};\n" * 80,
        "index.wasm": b"\0asm\x01\0\0\0" + bytes(range(256)) * 40,
        "index.pck": b"GDPC" + b"\x07" * 3000,
        "index.audio.worklet.js": b"class Worklet {}\n",
        "index.icon.png": b"\x89PNG fake",
    }
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return files


def fingerprint(directory: Path) -> subprocess.CompletedProcess[str]:
    return run(["sh", str(DEPLOY / "fingerprint-export.sh"), str(directory)])


def assets_dir(directory: Path) -> Path:
    (hashed,) = (directory / "v").iterdir()
    return hashed


def test_fingerprint_moves_assets_under_a_content_hash(tmp_path: Path) -> None:
    files = fake_export(tmp_path / "export")
    result = fingerprint(tmp_path / "export")
    assert result.returncode == 0, result.stderr
    hashed = assets_dir(tmp_path / "export")
    assert re.fullmatch(r"[0-9a-f]{16}", hashed.name)
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == [
        "index.html",
        "index.html.gz",
        "v",
    ]
    for name, content in files.items():
        if name != "index.html":
            assert (hashed / name).read_bytes() == content
    index = (tmp_path / "export" / "index.html").read_text()
    assert f'<head><base href="/v/{hashed.name}/">' in index
    assert "<header>game</header>" in index, "a <header> element must not get a <base>"
    for name in ("index.js", "index.wasm", "index.pck"):
        assert gzip.decompress((hashed / f"{name}.gz").read_bytes()) == files[name]
    assert not (hashed / "index.icon.png.gz").exists()

    fake_export(tmp_path / "same")
    fingerprint(tmp_path / "same")
    assert assets_dir(tmp_path / "same").name == hashed.name
    fake_export(tmp_path / "changed")
    (tmp_path / "changed" / "index.pck").write_bytes(b"GDPC another release")
    fingerprint(tmp_path / "changed")
    assert assets_dir(tmp_path / "changed").name != hashed.name


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: (d / "index.html").unlink(), "no index.html"),
        (
            lambda d: (d / "index.html").write_text('<head><base href="/x/"></head>'),
            "already has a <base>",
        ),
        (lambda d: (d / "index.html").write_text("<html><body>no head</body></html>"), "no <head>"),
    ],
)
def test_fingerprint_refuses_an_export_it_cannot_rewrite(
    tmp_path: Path, setup: Any, message: str
) -> None:
    fake_export(tmp_path)
    setup(tmp_path)
    result = fingerprint(tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def admin_path(admin_url: str | None) -> str:
    env = {"PATH": os.environ["PATH"]}
    if admin_url is not None:
        env["ADMIN_URL"] = admin_url
    script = f'. "{DEPLOY / "nginx-admin-path.envsh"}"; printf %s "$ADMIN_PATH"'
    return run(["sh", "-c", script], env=env).stdout


@pytest.mark.parametrize(
    ("admin_url", "expected"),
    [
        (None, "/admin/"),
        ("", "/admin/"),
        ("admin/", "/admin/"),
        ("/staff", "/staff/"),
        ("ops/desk/", "/ops/desk/"),
    ],
)
def test_nginx_admin_location_follows_django_admin_url(
    admin_url: str | None, expected: str
) -> None:
    assert admin_path(admin_url) == expected


def render_nginx_template(values: dict[str, str]) -> str:
    """What the nginx image's envsubst step makes of deploy/nginx.conf with these variables."""
    text = (DEPLOY / "nginx.conf").read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Response:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Response(
                answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
            )
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@pytest.fixture
def nginx_site(tmp_path: Path, upstream: Any) -> Iterator[dict[str, Any]]:
    """nginx running deploy/nginx.conf over a fingerprinted fake export, proxying to `upstream`."""
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    mime_types = Path("/etc/nginx/mime.types")
    if not nginx or not mime_types.exists():
        pytest.skip("nginx is not installed: apt-get install nginx-light")
    server, handler = upstream
    site = tmp_path / "site"
    files = fake_export(site)
    assert fingerprint(site).returncode == 0
    port = free_port()
    server_block = render_nginx_template(
        {
            "NGINX_PORT": f"127.0.0.1:{port}",
            "NGINX_RESOLVER": "127.0.0.1",
            "WEB_UPSTREAM": f"127.0.0.1:{server.server_address[1]}",
            "ADMIN_PATH": admin_path("staff/"),
        }
    ).replace("root /srv/clickgame;", f"root {site};")
    assert "${" not in server_block
    (tmp_path / "default.conf").write_text(server_block)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"{kind}_temp_path {tmp_path / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'} warn;\nevents {{ worker_connections 64; }}\n"
        f"http {{\ninclude {mime_types};\ndefault_type application/octet-stream;\n"
        f"access_log off;\n{temp}include {tmp_path / 'default.conf'};\n}}\n"
    )
    base = [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c"]
    tested = run([*base, str(tmp_path / "nginx.conf"), "-t"])
    assert tested.returncode == 0, tested.stderr
    started = run([*base, str(tmp_path / "nginx.conf")])
    assert started.returncode == 0, started.stderr
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield {"url": url, "files": files, "hashed": assets_dir(site).name, "handler": handler}
    finally:
        run([*base, str(tmp_path / "nginx.conf"), "-s", "stop"])


def test_nginx_serves_the_entry_page_uncached_and_frameable_by_telegram(nginx_site: Any) -> None:
    page = fetch(nginx_site["url"] + "/")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org" in csp
    assert "x-frame-options" not in page.headers
    assert f'<base href="/v/{nginx_site["hashed"]}/">'.encode() in page.body
    assert nginx_site["handler"].received == [], "the entry page must not reach Django"


def test_nginx_serves_fingerprinted_assets_precompressed_and_immutable(nginx_site: Any) -> None:
    assets = f"{nginx_site['url']}/v/{nginx_site['hashed']}"
    wasm = fetch(f"{assets}/index.wasm", {"Accept-Encoding": "gzip"})
    assert wasm.status == 200
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.headers["content-encoding"] == "gzip"
    assert "immutable" in wasm.headers["cache-control"]
    assert "max-age=31536000" in wasm.headers["cache-control"]
    assert gzip.decompress(wasm.body) == nginx_site["files"]["index.wasm"]

    plain = fetch(f"{assets}/index.wasm")
    assert "content-encoding" not in plain.headers
    assert plain.body == nginx_site["files"]["index.wasm"]
    pck = fetch(f"{assets}/index.pck")
    assert pck.headers["content-type"] == "application/octet-stream"
    script = fetch(f"{assets}/index.js")
    assert "javascript" in script.headers["content-type"]
    assert fetch(f"{assets}/missing.js").status == 404
    assert nginx_site["handler"].received == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/me",
        "/api",
        "/staff/players/",
        "/static/admin/css/base.css",
        "/docs",
        "/redoc",
        "/health",
        "/ready",
        "/play/web/",
        "/dev/signin",
    ],
)
def test_nginx_proxies_django_routes_to_web(nginx_site: Any, path: str) -> None:
    answer = fetch(nginx_site["url"] + path, {"Host": "game.example.com"})
    assert answer.status == 200
    (request,) = nginx_site["handler"].received
    assert request["path"] == path
    assert request["headers"]["Host"] == "game.example.com"
    assert request["headers"]["X-Forwarded-Proto"] == "http"
    assert request["headers"]["X-Forwarded-For"] == "127.0.0.1"


def test_nginx_passes_the_webhook_and_keeps_the_tls_proxy_scheme(nginx_site: Any) -> None:
    update = json.dumps({"update_id": 1}).encode()
    headers = {
        "X-Telegram-Bot-Api-Secret-Token": "s3cret",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
        "Content-Type": "application/json",
    }
    answer = fetch(nginx_site["url"] + "/telegram/webhook", headers, data=update)
    assert answer.status == 200
    (request,) = nginx_site["handler"].received
    assert request["method"] == "POST"
    assert request["body"] == update
    assert request["headers"]["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
    assert request["headers"]["X-Forwarded-Proto"] == "https"
    assert request["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"


def test_nginx_answers_503_json_while_web_is_down(nginx_site: Any, upstream: Any) -> None:
    server, _ = upstream
    server.shutdown()
    server.server_close()
    answer = fetch(nginx_site["url"] + "/api/clicks", data=b"{}")
    assert answer.status == 503
    assert answer.headers["retry-after"] == "5"
    assert json.loads(answer.body)["error"] == "unavailable"


# --- the bot container --------------------------------------------------------------------------


def stub_bin(directory: Path, calls: Path, name: str, exit_code: int = 0) -> None:
    """A fake executable that appends its name and arguments to `calls` and exits."""
    script = directory / name
    script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit {exit_code}\n')
    script.chmod(0o755)


@pytest.mark.parametrize(
    ("mode", "python_exit", "expected_calls", "expected_exit"),
    [
        ("polling", 0, ["python manage.py runbot"], 0),
        ("webhook", 0, ["python manage.py runbot", "sleep infinity"], 0),
        ("webhook", 1, ["python manage.py runbot"], 1),
    ],
)
def test_bot_container_polls_or_registers_the_webhook_then_idles(
    tmp_path: Path, mode: str, python_exit: int, expected_calls: list[str], expected_exit: int
) -> None:
    calls = tmp_path / "calls"
    stub_bin(tmp_path, calls, "python", python_exit)
    stub_bin(tmp_path, calls, "sleep")
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "TELEGRAM_BOT_MODE": mode}
    result = run(["sh", str(DEPLOY / "run-bot.sh")], env=env, timeout=30)
    assert result.returncode == expected_exit
    assert calls.read_text().splitlines() == expected_calls


# --- shell scripts ------------------------------------------------------------------------------


def test_deploy_shell_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("ShellCheck is not installed: apt-get install shellcheck")
    scripts = sorted(DEPLOY.glob("*.sh"))
    assert len(scripts) >= 4
    result = run([shellcheck, *map(str, scripts)])
    assert result.returncode == 0, result.stdout
    envsh = run([shellcheck, "--shell=sh", str(DEPLOY / "nginx-admin-path.envsh")])
    assert envsh.returncode == 0, envsh.stdout


# --- the server's .env (deploy/render_env.py) ----------------------------------------------------

DEPLOY_INPUTS = {
    "SECRET_KEY": "x" * 50,
    "POSTGRES_PASSWORD": "abc123",
    "TELEGRAM_BOT_TOKEN": "42:token-for-tests",
    "TELEGRAM_WEBHOOK_SECRET": "hook_secret-1",
    "PUBLIC_HOST": "game.example.com",
    "TELEGRAM_BOT_USERNAME": "clickgame_bot",
}


def render_env(
    tmp_path: Path, inputs: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path / "server.env"
    env = {"PATH": os.environ["PATH"], **inputs}
    result = run([sys.executable, str(DEPLOY / "render_env.py"), "--output", str(output)], env=env)
    return result, output


def parse_env(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert value.startswith("'") and value.endswith("'"), line
            pairs[key] = value[1:-1]
    return pairs


def test_render_env_writes_a_private_env_with_derived_settings(tmp_path: Path) -> None:
    inputs = {**DEPLOY_INPUTS, "EXTRA_ENV": "# comment\nNAME_MODERATION=pre\n\nWEB_CONCURRENCY=5"}
    result, output = render_env(tmp_path, inputs)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    values = parse_env(output)
    assert values["ALLOWED_HOSTS"] == "game.example.com"
    assert values["CSRF_TRUSTED_ORIGINS"] == "https://game.example.com"
    assert values["MINI_APP_URL"] == "https://game.example.com/"
    assert values["TELEGRAM_WEBHOOK_URL"] == "https://game.example.com/telegram/webhook"
    assert values["TELEGRAM_BOT_MODE"] == "webhook"
    assert values["CLIENT_PORT"] == "80"
    assert values["TRUSTED_PROXY_COUNT"] == "1"
    assert values["NAME_MODERATION"] == "pre"
    assert values["WEB_CONCURRENCY"] == "5"
    assert values["SECRET_KEY"] == "x" * 50
    assert "COMPOSE_PROFILES" not in values


def test_render_env_puts_nginx_behind_caddy_with_the_https_profile(tmp_path: Path) -> None:
    result, output = render_env(tmp_path, {**DEPLOY_INPUTS, "COMPOSE_PROFILES": "https"})
    assert result.returncode == 0, result.stderr
    values = parse_env(output)
    assert values["CLIENT_PORT"] == "127.0.0.1:8080"
    assert values["TRUSTED_PROXY_COUNT"] == "2"
    assert values["COMPOSE_PROFILES"] == "https"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"SECRET_KEY": ""}, "secret SECRET_KEY is empty"),
        ({"POSTGRES_PASSWORD": " "}, "secret POSTGRES_PASSWORD is empty"),
        ({"PUBLIC_HOST": "https://game.example.com/"}, "PUBLIC_HOST must be a bare host name"),
        ({"TELEGRAM_WEBHOOK_SECRET": ""}, "TELEGRAM_WEBHOOK_SECRET must be 1-256"),
        ({"TELEGRAM_BOT_MODE": "push"}, "TELEGRAM_BOT_MODE must be polling or webhook"),
        ({"POSTGRES_PASSWORD": "it's"}, "POSTGRES_PASSWORD holds a quote"),
        ({"EXTRA_ENV": "lowercase=1"}, "EXTRA_ENV line 1 is not KEY=value"),
        ({"EXTRA_ENV": "SECRET_KEY=other"}, "EXTRA_ENV line 1 sets SECRET_KEY a second time"),
    ],
)
def test_render_env_refuses_unusable_inputs_and_writes_nothing(
    tmp_path: Path, change: dict[str, str], problem: str
) -> None:
    result, output = render_env(tmp_path, {**DEPLOY_INPUTS, **change})
    assert result.returncode == 1
    assert problem in result.stderr
    assert not output.exists()


def test_polling_mode_needs_no_webhook_secret(tmp_path: Path) -> None:
    inputs = {**DEPLOY_INPUTS, "TELEGRAM_BOT_MODE": "polling", "TELEGRAM_WEBHOOK_SECRET": ""}
    result, output = render_env(tmp_path, inputs)
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_WEBHOOK_SECRET" not in parse_env(output)


def test_rendered_env_resolves_in_compose_with_literal_values(tmp_path: Path) -> None:
    inputs = {**DEPLOY_INPUTS, "SECRET_KEY": "with$dollar-and #hash" + "k" * 30}
    result, output = render_env(tmp_path, inputs)
    assert result.returncode == 0, result.stderr
    resolved = compose_config(tmp_path / "stack", output.read_text())
    assert resolved.returncode == 0, resolved.stderr
    web = yaml.safe_load(resolved.stdout)["services"]["web"]["environment"]
    # `config` prints a compose file again, where a literal `$` is written `$$`.
    assert web["SECRET_KEY"].replace("$$", "$") == inputs["SECRET_KEY"]
    assert web["DATABASE_URL"] == "postgres://clickgame:abc123@db:5432/clickgame"
    assert web["TELEGRAM_WEBHOOK_URL"] == "https://game.example.com/telegram/webhook"


# --- release bundle and the server-side deploy script --------------------------------------------


def dockerfile_copy_sources(path: Path) -> set[str]:
    """Build-context paths a Dockerfile COPYs (COPY --from=stage copies from a stage, not files)."""
    sources: set[str] = set()
    for line in path.read_text().splitlines():
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        sources.update(w.rstrip("/") for w in words[1:-1] if not w.startswith("--"))
    return sources


def test_bundle_holds_what_the_images_need_and_no_more(tmp_path: Path) -> None:
    if run(["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT).returncode != 0:
        pytest.skip("not a git checkout: the bundle is made from committed files")
    result = run(["sh", str(DEPLOY / "bundle.sh"), str(tmp_path / "release.tar.gz")], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    with tarfile.open(tmp_path / "release.tar.gz") as bundle:
        names = {name.rstrip("/") for name in bundle.getnames()}
    needed = dockerfile_copy_sources(ROOT / "Dockerfile")
    needed |= dockerfile_copy_sources(DEPLOY / "client.Dockerfile")
    needed -= {"."}
    needed |= {
        "docker-compose.yml",
        ".dockerignore",
        "manage.py",
        "deploy/run-bot.sh",
        "deploy/healthcheck.py",
        "deploy/gunicorn.conf.py",
        "deploy/remote-deploy.sh",
        "clickgame/settings.py",
        "players/models.py",
    }
    assert needed <= names, f"missing from the bundle: {sorted(needed - names)}"
    unwanted = [
        name
        for name in names
        if name.startswith((".github", "docs", ".ci", "e2e"))
        or "/tests/" in f"/{name}/"
        or name.endswith(".md")
        or Path(name).name.startswith(".env")
        or name == "requirements/dev.txt"
    ]
    assert unwanted == []


FAKE_DOCKER = """#!/bin/sh
echo "docker $*" >> "$FAKE_DOCKER_LOG"
case "$*" in
  "compose version") exit 0 ;;
  "compose up"*) exit "${FAKE_UP_EXIT:-0}" ;;
  "compose exec"*)
    count=$(($(cat "$FAKE_READY_COUNT" 2>/dev/null || echo 0) + 1))
    echo "$count" > "$FAKE_READY_COUNT"
    if [ "$count" -ge "${FAKE_READY_AFTER:-1}" ]; then echo '{"status": "ok"}'; exit 0; fi
    echo "wget: server returned error: HTTP/1.1 502 Bad Gateway"; exit 1 ;;
  "compose ps"*) echo "NAME STATUS"; exit 0 ;;
  "compose logs"*) echo "web-1 | Traceback: boom"; exit 0 ;;
  *) exit 0 ;;
esac
"""


@pytest.fixture
def server_dir(tmp_path: Path) -> dict[str, Any]:
    """A DEPLOY_PATH with an incoming release and a `docker` stand-in on PATH."""
    deploy_path = tmp_path / "srv"
    incoming = deploy_path / "incoming"
    incoming.mkdir(parents=True)
    source = tmp_path / "source"
    source.mkdir()
    (source / "docker-compose.yml").write_text("services: {}\n")
    with tarfile.open(incoming / "r1.tar.gz", "w:gz") as bundle:
        bundle.add(source / "docker-compose.yml", arcname="docker-compose.yml")
    (incoming / "r1.env").write_text("ALLOWED_HOSTS='game.example.com'\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_DOCKER_LOG": str(tmp_path / "docker.log"),
        "FAKE_READY_COUNT": str(tmp_path / "ready.count"),
        "READY_INTERVAL": "0",
        "READY_ATTEMPTS": "4",
    }
    return {"path": deploy_path, "env": env, "log": tmp_path / "docker.log"}


def remote_deploy(server: dict[str, Any], **extra: str) -> subprocess.CompletedProcess[str]:
    script = str(DEPLOY / "remote-deploy.sh")
    return run(["bash", script, str(server["path"]), "r1"], env={**server["env"], **extra})


def test_remote_deploy_unpacks_starts_and_waits_for_ready(server_dir: dict[str, Any]) -> None:
    result = remote_deploy(server_dir, FAKE_READY_AFTER="3")
    assert result.returncode == 0, result.stderr
    current = server_dir["path"] / "current"
    assert current.is_symlink()
    assert os.readlink(current) == "releases/r1"
    assert (current / "docker-compose.yml").exists()
    assert stat.S_IMODE((current / ".env").stat().st_mode) == 0o600
    assert list((server_dir["path"] / "incoming").iterdir()) == []
    calls = server_dir["log"].read_text().splitlines()
    assert "docker compose up --detach --build --remove-orphans" in calls
    ready_calls = [c for c in calls if c.startswith("docker compose exec")]
    assert len(ready_calls) == 3
    assert "Host: game.example.com" in ready_calls[0]
    assert "ready after 3 attempt(s)" in result.stdout


def test_remote_deploy_fails_loudly_when_ready_never_answers(server_dir: dict[str, Any]) -> None:
    result = remote_deploy(server_dir, FAKE_READY_AFTER="99")
    assert result.returncode == 1
    calls = server_dir["log"].read_text().splitlines()
    assert len([c for c in calls if c.startswith("docker compose exec")]) == 4
    assert any(c.startswith("docker compose logs") for c in calls)
    assert "Traceback: boom" in result.stdout
    assert "/ready did not answer 200 after 4 attempts" in result.stderr


def test_remote_deploy_fails_loudly_when_compose_up_fails(server_dir: dict[str, Any]) -> None:
    result = remote_deploy(server_dir, FAKE_UP_EXIT="1")
    assert result.returncode == 1
    calls = server_dir["log"].read_text().splitlines()
    assert not any(c.startswith("docker compose exec") for c in calls)
    assert any(c.startswith("docker compose ps") for c in calls)
    assert "docker compose up did not bring the stack up" in result.stderr


# --- workflows ----------------------------------------------------------------------------------


def find_actionlint() -> str | None:
    local = VENV_BIN / "actionlint"
    return str(local) if local.exists() else shutil.which("actionlint")


def test_workflows_pass_actionlint() -> None:
    actionlint = find_actionlint()
    if actionlint is None:
        pytest.skip("actionlint is not installed: pip install -r requirements/dev.txt")
    workflows = sorted(map(str, WORKFLOWS.glob("*.yml")))
    assert len(workflows) >= 2
    result = run([actionlint, "-no-color", *workflows], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    actionlint = find_actionlint()
    if actionlint is None:
        pytest.skip("actionlint is not installed: pip install -r requirements/dev.txt")
    broken = tmp_path / "broken.yml"
    broken.write_text(
        (WORKFLOWS / "deploy.yml").read_text().replace("${{ vars.DEPLOY_HOST }}", "${{ var.X }}")
    )
    result = run([actionlint, "-no-color", str(broken)], cwd=tmp_path)
    assert result.returncode != 0


def workflow(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_ci_workflow_lints_and_runs_make_test_on_service_containers() -> None:
    jobs = workflow("ci.yml")["jobs"]
    lint_steps = "\n".join(step.get("run", "") for step in jobs["lint"]["steps"])
    for tool in ("ruff check", "ruff format --check", "gdlint", "gdformat --check"):
        assert tool in lint_steps
    test = jobs["test"]
    assert test["services"]["postgres"]["image"].startswith("postgres:")
    assert test["services"]["redis"]["image"].startswith("redis:")
    (service_run,) = [s for s in test["steps"] if "DATABASE_URL" in s.get("env", {})]
    assert service_run["run"] == "make test"
    assert service_run["env"]["REDIS_URL"].startswith("redis://")


def test_deploy_workflow_triggers_and_waits_on_ready() -> None:
    deploy = workflow("deploy.yml")
    triggers = deploy[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["release"]["types"] == ["published"]
    assert "workflow_dispatch" in triggers
    steps = "\n".join(step.get("run", "") for step in deploy["jobs"]["deploy"]["steps"])
    for needed in ("docker build", "deploy/bundle.sh", "deploy/render_env.py", "scp ", "ssh "):
        assert needed in steps
    assert "git clone" not in steps
    assert "docker compose up --detach --build" in (DEPLOY / "remote-deploy.sh").read_text()


def test_every_deploy_secret_and_variable_is_documented() -> None:
    text = (WORKFLOWS / "deploy.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*(?:secrets|vars)\.([A-Z_][A-Z0-9_]*)", text))
    assert {"SSH_PRIVATE_KEY", "DEPLOY_HOST", "SECRET_KEY", "PUBLIC_HOST"} <= used
    documented = set(
        re.findall(r"^\| `([A-Z_][A-Z0-9_]*)` \|", (ROOT / "docs" / "deploy.md").read_text(), re.M)
    )
    assert sorted(used - documented) == []
    render = load_module(DEPLOY / "render_env.py", "render_env_mod")
    inputs = set(render.SECRETS + render.OPTIONAL_SECRETS) | set(render.VARIABLES) | {"EXTRA_ENV"}
    assert sorted(inputs - used) == [], "render_env reads inputs the workflow never passes"


# --- secrets ------------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Telegram bot token": re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"aws_secret_access_key\s*[=:]\s*\S{20,}", re.I),
}


def secret_findings(text: str, allowed: set[str]) -> list[str]:
    """Names of the secret shapes found in `text`, ignoring the exact strings in `allowed`."""
    found = []
    for name, pattern in SECRET_PATTERNS.items():
        if any(match.group(0) not in allowed for match in pattern.finditer(text)):
            found.append(name)
    return found


def dev_bot_token() -> str:
    match = re.search(
        r'^DEV_BOT_TOKEN = "([^"]+)"', (ROOT / "clickgame" / "settings.py").read_text(), re.M
    )
    assert match, "settings.py no longer defines DEV_BOT_TOKEN"
    return match.group(1)


def test_secret_scan_recognises_each_secret_shape() -> None:
    samples = {
        "private key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3Blbn...\n",
        "Telegram bot token": "TOKEN=" + "1234567890:" + "AAH" + "x" * 32,
        "AWS access key id": "key = AKIA" + "ABCDEFGHIJKLMNOP",
        "AWS secret access key": "aws_secret_access_key = " + "w" * 40,
    }
    for name, sample in samples.items():
        assert secret_findings(sample, set()) == [name]
    token = "1234567890:" + "AAH" + "x" * 32
    assert secret_findings(f"token {token}", {token}) == []


def test_no_secret_is_committed() -> None:
    listed = run(["git", "ls-files", "-z"], cwd=ROOT)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = [name for name in listed.stdout.split("\0") if name]
    assert len(tracked) > 20
    env_files = [
        name for name in tracked if Path(name).name.startswith(".env") and name != ".env.example"
    ]
    assert env_files == [], "never commit .env files"
    allowed = {dev_bot_token()}
    problems = []
    for name in tracked:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        problems += [f"{name}: {finding}" for finding in secret_findings(text, allowed)]
    assert problems == []


def test_images_never_receive_env_files_or_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (".env", ".env.*", ".git", ".venv", "db.sqlite3", "godot_client/.godot"):
        assert entry in ignored, entry


# --- Godot export preset ------------------------------------------------------------------------


def test_client_image_exports_a_preset_that_exists() -> None:
    presets = ROOT / "godot_client" / "export_presets.cfg"
    if not presets.exists():
        pytest.skip("godot_client/export_presets.cfg is not there yet")
    names = re.findall(r'^name="([^"]+)"\s*$', presets.read_text(), re.M)
    platforms = re.findall(r'^platform="([^"]+)"\s*$', presets.read_text(), re.M)
    default = re.search(
        r"ARG GODOT_EXPORT_PRESET=(\S+)", (DEPLOY / "client.Dockerfile").read_text()
    )
    assert default
    assert default.group(1) in names
    assert platforms[names.index(default.group(1))] == "Web"


# --- PostgreSQL backup and restore (the commands in docs/deploy.md) ------------------------------


def documented_backup_commands() -> tuple[str, str]:
    """The pg_dump and pg_restore commands docs/deploy.md runs inside the db container."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    dump = re.search(r"docker compose exec -T db sh -c '(pg_dump [^']+)' >", text)
    restore = re.search(r"docker compose exec -T db sh -c '(pg_restore [^']+)' <", text)
    assert dump and restore, "docs/deploy.md lost its backup or restore command"
    return dump.group(1), restore.group(1)


def database_fingerprint(connection: Any) -> dict[str, Any]:
    """Each public table's row count and content hash, and the schema's indexes and constraints."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        tables = [row[0] for row in cursor.fetchall()]
        contents = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "  # noqa: S608 (names from pg_tables)
                f'FROM "{table}" t'
            )
            contents[table] = cursor.fetchone()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1"
        )
        constraints = cursor.fetchall()
    return {"contents": contents, "indexes": indexes, "constraints": constraints}


@pytest.mark.postgres
def test_documented_pg_dump_and_pg_restore_round_trip_the_database(tmp_path: Path) -> None:
    import psycopg  # only this test talks to PostgreSQL directly
    from psycopg import sql

    url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql"):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if not pg_dump or not pg_restore:
        pytest.skip("pg_dump is not installed: apt-get install postgresql-client")
    server = {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "user": urllib.parse.unquote(url.username or "postgres"),
        "password": urllib.parse.unquote(url.password or ""),
    }
    admin = psycopg.connect(dbname="postgres", autocommit=True, **server)
    version = re.search(r"\(PostgreSQL\) (\d+)", run([pg_dump, "--version"]).stdout)
    assert version, "pg_dump --version printed no version"
    client_major = int(version.group(1))
    server_major = admin.info.server_version // 10000
    if client_major < server_major:
        admin.close()
        pytest.skip(f"pg_dump {client_major} cannot dump a PostgreSQL {server_major} server")

    base_name = url.path.lstrip("/") or "clickgame"
    source, fresh = f"{base_name}_backup_src", f"{base_name}_backup_dst"
    dump_command, restore_command = documented_backup_commands()
    auth = {
        "PGHOST": server["host"],
        "PGPORT": str(server["port"]),
        "PGPASSWORD": server["password"],
    }
    shell_env = {"PATH": os.environ["PATH"], "POSTGRES_USER": server["user"], **auth}

    def recreate(name: str) -> None:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    try:
        recreate(source)
        recreate(fresh)
        source_url = url._replace(path=f"/{source}").geturl()
        django_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        django_env["DATABASE_URL"] = source_url
        for command in (["migrate", "--noinput"], ["seed_players", "--count", "40", "--seed", "7"]):
            done = run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=django_env, timeout=300
            )
            assert done.returncode == 0, done.stdout + done.stderr
        with psycopg.connect(dbname=source, **server) as connection:
            before = database_fingerprint(connection)
        assert before["contents"]["players_player"][0] == 40

        dump_file = tmp_path / "clickgame.dump"
        with dump_file.open("wb") as out:
            dumped = subprocess.run(
                ["sh", "-c", dump_command],
                env={**shell_env, "POSTGRES_DB": source},
                stdout=out,
                stderr=subprocess.PIPE,
                timeout=300,
                check=False,
            )
        assert dumped.returncode == 0, dumped.stderr
        assert dump_file.read_bytes()[:5] == b"PGDMP", "not a custom-format archive"

        with psycopg.connect(dbname=source, autocommit=True, **server) as connection:
            connection.execute("UPDATE players_player SET clicks = clicks + 1")
            connection.execute("DELETE FROM clicks_clickday")
            connection.execute("CREATE TABLE stray (id int)")
            assert database_fingerprint(connection)["contents"] != before["contents"]

        for target in (source, fresh):
            with dump_file.open("rb") as archive:
                restored = subprocess.run(
                    ["sh", "-c", restore_command],
                    env={**shell_env, "POSTGRES_DB": target},
                    stdin=archive,
                    capture_output=True,
                    timeout=300,
                    check=False,
                )
            assert restored.returncode == 0, restored.stderr
            with psycopg.connect(dbname=target, autocommit=True, **server) as connection:
                after = database_fingerprint(connection)
                after["contents"].pop("stray", None)  # --clean drops only what the dump holds
                assert after == before, f"restore into {target} differs from the backup"
                top = connection.execute("SELECT max(id) FROM players_player").fetchone()[0]
                new_id = connection.execute(
                    "SELECT nextval(pg_get_serial_sequence('players_player', 'id'))"
                ).fetchone()[0]
                assert new_id > top, "the id sequence was not restored"
    finally:
        for name in (source, fresh):
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()
