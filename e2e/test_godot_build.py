"""A Godot web export served by Django, as a real browser loads it: the engine's `.wasm` must
arrive as application/wasm (streaming instantiation refuses anything else), precompressed, and the
light client must stay reachable beside it."""

from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from e2e.browser import element, screenshot, wait_for_screen, wait_until
from e2e.server import GameServer, running_server
from miniapp.compression import compress_build

pytestmark = pytest.mark.e2e

INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Godot export</title></head>
<body><p id="status">loading</p><script src="index.js"></script></body></html>
"""
# What a Godot engine loader does first: stream-compile the engine, then fetch the game pack.
INDEX_JS = """
WebAssembly.instantiateStreaming(fetch("index.wasm")).then(
  () => { document.getElementById("status").textContent = "engine ready"; },
  (error) => { document.getElementById("status").textContent = "engine failed: " + error; }
);
"""
PCK_BYTES = bytes(range(256)) * 256


def _uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _wasm_module(padding: int) -> bytes:
    """A valid WebAssembly module whose custom section makes it big and very compressible."""
    name = b"pad"
    section = _uleb128(len(name)) + name + bytes(padding)
    return b"\x00asm\x01\x00\x00\x00" + b"\x00" + _uleb128(len(section)) + section


@pytest.fixture(scope="module")
def godot_server(
    chromium: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GameServer]:
    workdir = tmp_path_factory.mktemp("server-godot")
    build = workdir / "build"
    build.mkdir()
    (build / "index.html").write_text(INDEX_HTML)
    (build / "index.js").write_text(INDEX_JS)
    (build / "index.wasm").write_bytes(_wasm_module(256 * 1024))
    (build / "index.pck").write_bytes(PCK_BYTES)
    report = compress_build(root=build)
    assert {item.name for item in report.written} == {
        "index.html", "index.js", "index.wasm", "index.pck",
    }  # fmt: skip
    with running_server(workdir, name="godot", godot_build_dir=build) as server:
        yield server


def _resource(driver: WebDriver, name: str) -> dict[str, int]:
    return driver.execute_script(
        """
        const entry = performance.getEntriesByType("resource")
          .find((e) => e.name.endsWith("/" + arguments[0]));
        return entry && { encoded: entry.encodedBodySize, decoded: entry.decodedBodySize };
        """,
        name,
    )


def test_the_engine_streams_compressed_as_application_wasm(
    godot_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_browser()
    driver.get(f"{godot_server.base_url}/")
    wait_until(
        driver,
        lambda d: element(d, "status").text != "loading",
        "the engine to compile",
    )
    assert element(driver, "status").text == "engine ready"
    wasm = _resource(driver, "index.wasm")
    assert wasm["decoded"] == len(_wasm_module(256 * 1024))
    assert wasm["encoded"] < wasm["decoded"] // 20
    screenshot(driver, "godot-01-engine-loaded")


def test_the_game_pack_arrives_intact_as_octet_stream(
    godot_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_browser()
    driver.get(f"{godot_server.base_url}/")
    pack = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch("index.pck").then(async (response) => {
          const bytes = new Uint8Array(await response.arrayBuffer());
          done({
            type: response.headers.get("Content-Type"),
            cache: response.headers.get("Cache-Control"),
            length: bytes.length,
            sum: bytes.reduce((total, byte) => (total + byte) % 1000003, 0),
          });
        }, (error) => done({ error: String(error) }));
        """
    )
    assert pack == {
        "type": "application/octet-stream",
        "cache": "public, no-cache",
        "length": len(PCK_BYTES),
        "sum": sum(PCK_BYTES) % 1000003,
    }
    assert _resource(driver, "index.pck")["encoded"] < len(PCK_BYTES)


def test_the_light_client_stays_reachable_beside_the_export(
    godot_server: GameServer, open_browser: Callable[..., WebDriver]
) -> None:
    driver = open_browser()
    driver.get(f"{godot_server.base_url}/play/web/")
    wait_for_screen(driver, "error")
    assert element(driver, "screen-error").get_attribute("data-code") == "missing"
    screenshot(driver, "godot-02-light-client-beside-export")
