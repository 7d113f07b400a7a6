"""`manage.py compress_godot_build`: gzip siblings for the Godot build, once per change."""

import gzip
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def run(*args: str) -> str:
    out = StringIO()
    call_command("compress_godot_build", *args, stdout=out)
    return out.getvalue()


def test_writes_gzip_siblings_that_decompress_to_the_originals(godot_build: Path) -> None:
    output = run()
    for name in ("index.html", "index.js", "index.wasm", "index.pck"):
        original = (godot_build / name).read_bytes()
        assert gzip.decompress((godot_build / f"{name}.gz").read_bytes()) == original, name
    assert not (godot_build / "index.png.gz").exists()
    assert "Compressed 4 file(s), 0 already up to date." in output


def test_compressed_bytes_do_not_depend_on_when_they_were_written(godot_build: Path) -> None:
    run()
    first = (godot_build / "index.js.gz").read_bytes()
    run("--force")
    assert (godot_build / "index.js.gz").read_bytes() == first


def test_up_to_date_siblings_are_left_alone_and_changed_files_redone(godot_build: Path) -> None:
    run()
    wasm_gz = godot_build / "index.wasm.gz"
    before = wasm_gz.stat().st_mtime_ns
    js = godot_build / "index.js"
    js.write_bytes(b"console.log('new export');")
    later = (godot_build / "index.js.gz").stat().st_mtime_ns + 10**9
    os.utime(js, ns=(later, later))
    output = run()
    assert "Compressed 1 file(s), 3 already up to date." in output
    assert gzip.decompress((godot_build / "index.js.gz").read_bytes()) == js.read_bytes()
    assert wasm_gz.stat().st_mtime_ns == before


def test_unservable_files_are_not_compressed(godot_build: Path) -> None:
    (godot_build / ".secret.js").write_text("x")
    (godot_build / "notes.md").write_text("x")
    run()
    assert not (godot_build / ".secret.js.gz").exists()
    assert not (godot_build / "notes.md.gz").exists()
    assert not [p.name for p in godot_build.iterdir() if p.name.startswith(".index")]


def test_fails_clearly_without_a_build_directory(settings, tmp_path: Path) -> None:
    settings.GODOT_BUILD_DIR = str(tmp_path / "missing")
    with pytest.raises(CommandError, match="No Godot web build"):
        run()
