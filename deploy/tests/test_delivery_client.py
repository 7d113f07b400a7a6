"""Delivery: the client image. Fingerprinting of the Godot export, the admin location and nginx
itself (Debian's nginx-light) serving a fake export and proxying to a stand-in gunicorn."""

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from deploy.tests.delivery import (
    DEPLOY,
    GunicornStandIn,
    free_port,
    gunicorn_stand_in,
    run,
)


@pytest.fixture
def upstream() -> Iterator[GunicornStandIn]:
    """A stand-in for gunicorn (see `gunicorn_stand_in`)."""
    with gunicorn_stand_in() as stand_in:
        yield stand_in


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


def proto_source(trusted_proxies: str | None) -> str:
    """CLICKGAME_PROTO_FROM as 16-clickgame-proxy-trust.envsh sets it for TRUSTED_PROXY_COUNT."""
    env = {"PATH": os.environ["PATH"]}
    if trusted_proxies is not None:
        env["TRUSTED_PROXY_COUNT"] = trusted_proxies
    script = f'. "{DEPLOY / "nginx-proxy-trust.envsh"}"; printf %s "$CLICKGAME_PROTO_FROM"'
    return run(["sh", "-c", script], env=env).stdout


@pytest.mark.parametrize(
    ("trusted_proxies", "expected"),
    [
        (None, "$scheme"),
        ("", "$scheme"),
        ("0", "$scheme"),
        ("1", "$scheme"),
        ("junk", "$scheme"),
        ("2", "$http_x_forwarded_proto"),
        ("3", "$http_x_forwarded_proto"),
    ],
)
def test_nginx_believes_forwarded_proto_only_behind_a_trusted_proxy(
    trusted_proxies: str | None, expected: str
) -> None:
    assert proto_source(trusted_proxies) == expected


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
    """nginx behind a TLS proxy (TRUSTED_PROXY_COUNT=2) over a fingerprinted fake export."""
    with running_nginx(tmp_path, upstream, trusted_proxies="2") as site:
        yield site


@pytest.fixture
def edge_nginx_site(tmp_path: Path, upstream: Any) -> Iterator[dict[str, Any]]:
    """nginx as the edge (TRUSTED_PROXY_COUNT=1): clients talk to it directly."""
    with running_nginx(tmp_path, upstream, trusted_proxies="1") as site:
        yield site


@contextmanager
def running_nginx(
    tmp_path: Path, upstream: Any, *, trusted_proxies: str
) -> Iterator[dict[str, Any]]:
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
            "CLICKGAME_PROTO_FROM": proto_source(trusted_proxies),
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


def test_nginx_as_the_edge_ignores_a_client_supplied_forwarded_proto(
    edge_nginx_site: Any,
) -> None:
    forged = {"X-Forwarded-Proto": "https", "Host": "game.example.com"}
    answer = fetch(edge_nginx_site["url"] + "/api/me", forged)
    assert answer.status == 200
    (request,) = edge_nginx_site["handler"].received
    assert request["headers"]["X-Forwarded-Proto"] == "http"


def test_nginx_answers_503_json_while_web_is_down(nginx_site: Any, upstream: Any) -> None:
    server, _ = upstream
    server.shutdown()
    server.server_close()
    answer = fetch(nginx_site["url"] + "/api/clicks", data=b"{}")
    assert answer.status == 503
    assert answer.headers["retry-after"] == "5"
    assert json.loads(answer.body)["error"] == "unavailable"
