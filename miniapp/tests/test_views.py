"""Serving the Mini App: the Godot build when exported (types, compression, caching, safety),
otherwise the light client, framed only by Telegram."""

import json
from pathlib import Path

import pytest
from django.test import override_settings

from miniapp.tests.conftest import EMPTY_WASM, INDEX_HTML, WriteFile, gzipped
from miniapp.views import FRAME_ANCESTORS


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def config_of(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="miniapp-config" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_entry_serves_the_light_client_when_no_godot_build_exists(client, no_godot_build) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["miniapp/light_client.html"]
    html = response.content.decode()
    assert 'id="tap"' in html
    assert response["Cache-Control"] == "no-cache"


def test_light_client_loads_telegram_script_without_waiting_on_it(client, no_godot_build) -> None:
    html = client.get("/").content.decode()
    tag_start = html.index('<script src="https://telegram.org/js/telegram-web-app.js"')
    tag = html[tag_start : html.index("</script>", tag_start)]
    assert html.index("telegram-web-app.js") < html.index("</head>")
    assert " async" in tag
    assert "onerror=" in tag
    assert "onload=" in tag


def test_mini_app_pages_may_be_framed_by_telegram_only(client, godot_build) -> None:
    for path in ("/", "/play/web/", "/index.html"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Security-Policy"] == FRAME_ANCESTORS, path
        assert "X-Frame-Options" not in response, path


def test_other_pages_still_refuse_to_be_framed(client) -> None:
    response = client.get("/dev/signin")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in response


def test_light_client_config_points_at_the_api_and_the_name_rules(client, no_godot_build) -> None:
    config = config_of(client.get("/play/web/"))
    assert config["apiBase"] == "/api/"
    assert (config["nameMinLength"], config["nameMaxLength"]) == (3, 20)
    assert config["debug"] is True
    assert config["devSigninUrl"] == "/dev/signin"
    assert config["botUrl"] == "https://t.me/clickgame_bot"


@override_settings(DEBUG=False)
def test_light_client_offers_no_dev_sign_in_without_debug(client, no_godot_build) -> None:
    config = config_of(client.get("/play/web/"))
    assert config["debug"] is False
    assert config["devSigninUrl"] == ""


def test_entry_serves_the_godot_export_when_present(client, godot_build) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert body(response) == INDEX_HTML
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"


def test_light_client_stays_at_its_fixed_path_beside_a_godot_export(client, godot_build) -> None:
    response = client.get("/play/web/")
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["miniapp/light_client.html"]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.wasm", "application/wasm"),
        ("index.pck", "application/octet-stream"),
        ("index.js", "text/javascript; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("index.png", "image/png"),
    ],
)
def test_build_files_have_their_mime_types(client, godot_build, name, content_type) -> None:
    response = client.get(f"/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert body(response) == (godot_build / name).read_bytes()
    assert "Content-Encoding" not in response


def test_brotli_sibling_is_preferred_when_the_client_accepts_it(
    client, write_build_file: WriteFile
) -> None:
    write_build_file("index.wasm.br", b"brotli-bytes")
    write_build_file("index.wasm.gz", gzipped(EMPTY_WASM))
    response = client.get("/index.wasm", headers={"accept-encoding": "gzip, deflate, br"})
    assert response["Content-Encoding"] == "br"
    assert response["Content-Type"] == "application/wasm"
    assert body(response) == b"brotli-bytes"
    assert "Accept-Encoding" in response["Vary"]


def test_gzip_sibling_is_sent_to_clients_without_brotli(
    client, write_build_file: WriteFile
) -> None:
    write_build_file("index.wasm.br", b"brotli-bytes")
    write_build_file("index.wasm.gz", gzipped(EMPTY_WASM))
    response = client.get("/index.wasm", headers={"accept-encoding": "gzip;q=0.8, br;q=0"})
    assert response["Content-Encoding"] == "gzip"
    assert response["Content-Type"] == "application/wasm"
    assert body(response) == gzipped(EMPTY_WASM)
    assert response["Content-Length"] == str(len(gzipped(EMPTY_WASM)))


def test_clients_that_accept_no_encoding_get_the_original_bytes(
    client, godot_build: Path, write_build_file: WriteFile
) -> None:
    write_build_file("index.pck.gz", gzipped((godot_build / "index.pck").read_bytes()))
    for header in ("", "identity", "gzip;q=0"):
        response = client.get("/index.pck", headers={"accept-encoding": header})
        assert "Content-Encoding" not in response, header
        assert body(response) == (godot_build / "index.pck").read_bytes(), header
        assert "Accept-Encoding" in response["Vary"], header


def test_images_are_never_sent_compressed(client, write_build_file: WriteFile) -> None:
    write_build_file("index.png.gz", gzipped(b"\x89PNG\r\n\x1a\n"))
    response = client.get("/index.png", headers={"accept-encoding": "gzip"})
    assert "Content-Encoding" not in response
    assert "Vary" not in response


def test_compressed_siblings_are_not_served_by_their_own_name(
    client, write_build_file: WriteFile
) -> None:
    write_build_file("index.wasm.gz", gzipped(EMPTY_WASM))
    assert client.get("/index.wasm.gz").status_code == 404


def test_hashed_assets_are_cached_for_a_year_and_unhashed_ones_revalidate(
    client, write_build_file: WriteFile
) -> None:
    write_build_file("index.3f9a2c1d7e.wasm", EMPTY_WASM)
    hashed = client.get("/index.3f9a2c1d7e.wasm")
    assert hashed["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = client.get("/index.wasm")
    assert plain["Cache-Control"] == "public, no-cache"
    assert plain["ETag"]
    assert plain["Last-Modified"]


def test_unchanged_file_answers_304_to_a_conditional_request(client, godot_build) -> None:
    first = client.get("/index.wasm")
    again = client.get("/index.wasm", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, no-cache"


def test_each_encoding_has_its_own_etag(client, write_build_file: WriteFile) -> None:
    write_build_file("index.wasm.gz", gzipped(EMPTY_WASM))
    plain = client.get("/index.wasm")
    packed = client.get("/index.wasm", headers={"accept-encoding": "gzip"})
    assert plain["ETag"] != packed["ETag"]
    stale = client.get(
        "/index.wasm", headers={"if-none-match": plain["ETag"], "accept-encoding": "gzip"}
    )
    assert stale.status_code == 200


def test_head_answers_headers_only(client, godot_build) -> None:
    response = client.head("/index.wasm")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/wasm"
    assert body(response) == b""


def test_build_files_are_read_only(client, godot_build) -> None:
    assert client.post("/index.wasm").status_code == 405
    assert client.post("/").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/..%2Fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5Csecret.txt",
        "/sub/index.js",
        "/.hidden.js",
        "/missing.js",
        "/index.py",
        "/escape.txt",
    ],
)
def test_nothing_outside_the_build_can_be_read(client, godot_build: Path, path: str) -> None:
    (godot_build.parent / "secret.txt").write_text("TOP-SECRET-CONTENT")
    (godot_build / ".hidden.js").write_text("hidden")
    (godot_build / "index.py").write_text("print('source')")
    (godot_build / "sub").mkdir()
    (godot_build / "sub" / "index.js").write_text("nested")
    (godot_build / "escape.txt").symlink_to(godot_build.parent / "secret.txt")
    response = client.get(path)
    assert response.status_code == 404
    assert b"TOP-SECRET-CONTENT" not in body(response)


def test_routes_without_a_file_name_are_not_shadowed(client, godot_build) -> None:
    assert client.get("/health").status_code == 200
    admin = client.get("/admin")
    assert admin.status_code == 301
    assert admin["Location"] == "/admin/"


@override_settings(ROOT_URLCONF="miniapp.tests.urls_game_path")
def test_mini_app_path_moves_the_entry_and_its_files(client, godot_build) -> None:
    assert body(client.get("/game/")) == INDEX_HTML
    assert client.get("/game/index.wasm")["Content-Type"] == "application/wasm"
    assert client.get("/index.wasm").status_code == 404
    assert client.get("/play/web/").status_code == 200
