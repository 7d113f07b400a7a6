"""The pure-Python pack builder: what it writes, Godot's pack v3 reader layout reads back."""

import hashlib
import struct
from pathlib import Path

import pytest

from godot_client.tools.pck import (
    CLASS_CACHE_PATH,
    HEADER_SIZE,
    build_project_pack,
    class_cache,
    project_files,
    read_pack,
    write_pack,
)

GODOT_ROOT = Path(__file__).resolve().parent.parent


def test_a_written_pack_reads_back_byte_for_byte(tmp_path: Path) -> None:
    files = {"project.godot": b"config_version=5\n", "a/b.gd": b"extends Node\n", "c.json": b"{}"}
    write_pack(files, tmp_path / "game.pck")
    assert read_pack(tmp_path / "game.pck") == files


def test_the_header_and_directory_follow_pack_version_3(tmp_path: Path) -> None:
    files = {"abcd.gd": b"x" * 5, "ab.tscn": b"y" * 20}
    directory = write_pack(files, tmp_path / "game.pck")
    blob = (tmp_path / "game.pck").read_bytes()
    assert blob[:4] == b"GDPC"
    version, major, minor, _patch, flags, base, directory_offset = struct.unpack_from(
        "<IIIIIQQ", blob, 4
    )
    assert (version, major, minor, flags, base) == (3, 4, 5, 2, HEADER_SIZE)
    assert blob[40:HEADER_SIZE] == bytes(HEADER_SIZE - 40)
    # Data 16-byte aligned from the file base; the directory names the files in order.
    assert [(item.path, item.offset, item.size) for item in directory] == [
        ("abcd.gd", 0, 5), ("ab.tscn", 16, 20),
    ]  # fmt: skip
    assert struct.unpack_from("<I", blob, directory_offset) == (2,)
    # A 7-byte path is padded to 8; a path of a multiple of 4 gets no padding.
    cursor = directory_offset + 4
    assert struct.unpack_from("<I", blob, cursor) == (8,)
    assert blob[cursor + 4 : cursor + 12] == b"abcd.gd\0"
    offset, size = struct.unpack_from("<QQ", blob, cursor + 12)
    assert (offset, size) == (0, 5)
    assert blob[cursor + 28 : cursor + 44] == hashlib.md5(b"x" * 5).digest()  # noqa: S324
    assert blob[base + offset : base + offset + size] == b"x" * 5


def test_a_damaged_pack_is_refused(tmp_path: Path) -> None:
    write_pack({"a.gd": b"extends Node\n"}, tmp_path / "game.pck")
    blob = bytearray((tmp_path / "game.pck").read_bytes())
    blob[HEADER_SIZE] ^= 0xFF
    (tmp_path / "game.pck").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="MD5"):
        read_pack(tmp_path / "game.pck")


def test_the_project_pack_holds_the_game_and_its_class_cache(tmp_path: Path) -> None:
    build_project_pack(GODOT_ROOT, tmp_path / "index.pck")
    packed = read_pack(tmp_path / "index.pck")
    assert packed["project.godot"] == (GODOT_ROOT / "project.godot").read_bytes()
    assert "app/app.tscn" in packed and "api/contract.json" in packed
    # Not game files: tests, tools, the export's HTML shell and the preset.
    assert not [path for path in packed if path.startswith(("tests/", "tools/", "web/", "build/"))]
    assert "export_presets.cfg" not in packed
    cache = packed[CLASS_CACHE_PATH].decode()
    assert '"class": &"ClickSync"' in cache
    assert '"path": "res://sync/click_sync.gd"' in cache
    assert '"base": &"Node"' in cache


def test_the_class_cache_lists_every_class_name_script() -> None:
    scripts = {path: data for path, data in project_files(GODOT_ROOT).items()}
    named = sorted(
        path
        for path, data in scripts.items()
        if path.endswith(".gd") and b"\nclass_name " in b"\n" + data
    )
    cache = class_cache(scripts).decode()
    assert [f'"path": "res://{path}"' in cache for path in named] == [True] * len(named)
    assert cache.count('"class": &"') == len(named)


def test_the_export_directory_is_kept_out_of_the_editor_import() -> None:
    """`build/` holds the exported .wasm, .pck and icons; without `.gdignore` the editor would
    import them as project resources (and pack them into the next export)."""
    assert (GODOT_ROOT / "build" / ".gdignore").is_file()
