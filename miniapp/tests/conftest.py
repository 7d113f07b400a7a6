"""A Godot web export on disk for the serving tests, with GODOT_BUILD_DIR pointing at it."""

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

# The smallest valid WebAssembly module: magic number and version.
EMPTY_WASM = b"\x00asm\x01\x00\x00\x00"
INDEX_HTML = b"<!doctype html><title>Godot export</title><script src='index.js'></script>"

WriteFile = Callable[[str, bytes], Path]


@pytest.fixture
def no_godot_build(settings, tmp_path: Path) -> Path:
    """GODOT_BUILD_DIR points at an empty directory: no export yet."""
    empty = tmp_path / "empty-build"
    empty.mkdir()
    settings.GODOT_BUILD_DIR = str(empty)
    return empty


@pytest.fixture
def godot_build(settings, tmp_path: Path) -> Path:
    """A small export (index.html, .js, .wasm, .pck) in GODOT_BUILD_DIR."""
    build = tmp_path / "build"
    build.mkdir()
    (build / "index.html").write_bytes(INDEX_HTML)
    (build / "index.js").write_bytes(b"console.log('engine');\n" * 50)
    (build / "index.wasm").write_bytes(EMPTY_WASM)
    (build / "index.pck").write_bytes(b"GDPC" + bytes(range(256)) * 4)
    (build / "index.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    settings.GODOT_BUILD_DIR = str(build)
    return build


@pytest.fixture
def write_build_file(godot_build: Path) -> WriteFile:
    """Add a file to the build: `write_build_file("index.wasm.gz", gzip_bytes)`."""

    def write(name: str, content: bytes) -> Path:
        path = godot_build / name
        path.write_bytes(content)
        return path

    return write


def gzipped(content: bytes) -> bytes:
    return gzip.compress(content, mtime=0)
