"""Pack the Godot project into a `.pck` the web runtime loads, without the Godot editor.

The format is Godot's pack version 3 (`core/io/file_access_pack.cpp`, 4.4+), the one the 4.6 web
runtime reads:

- header: `GDPC`, u32 pack version 3, u32 engine major/minor/patch, u32 flags (2: file offsets
  are relative to the file base), u64 file base, u64 directory offset, 16 reserved u32, padded to
  0x70;
- file data from the file base, each file 16-byte aligned;
- the directory at the end: u32 count, then per file a u32 path length, the path without `res://`
  NUL-padded to a multiple of 4, u64 offset, u64 size, the 16-byte MD5 of the data, u32 flags 0.

Text resources load as they are (`project.godot`, `.gd`, `.tscn`, `.tres`, `.json`); what the
editor would add is `.godot/global_script_class_cache.cfg`, the list of `class_name` scripts,
without which every script that names a custom class fails to parse. It is written here.
"""

import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"GDPC"
PACK_VERSION = 3
# The engine version written into the header; the runtime loads packs of its own major version.
ENGINE_VERSION = (4, 5, 0)
FLAG_RELATIVE_FILE_BASE = 2
HEADER_SIZE = 0x70
ALIGNMENT = 16
CLASS_CACHE_PATH = ".godot/global_script_class_cache.cfg"

# Not part of the game: the editor cache, exports, the web shell (the export's HTML, not a
# resource) and anything under a directory holding a `.gdignore`.
SKIPPED_DIRS = frozenset({".godot", "build"})
SKIPPED_TOP_DIRS = frozenset({"web"})
# What the runtime loads without the editor's import step: text resources, and the SVG project
# icon (read as an image at start).
PACKED_SUFFIXES = frozenset({".godot", ".gd", ".tscn", ".tres", ".json", ".cfg", ".txt", ".svg"})
SKIPPED_NAMES = frozenset({"export_presets.cfg"})

_CLASS_NAME = re.compile(r"^class_name\s+(\w+)", re.MULTILINE)
_EXTENDS = re.compile(r"^extends\s+(\w+)", re.MULTILINE)


@dataclass(frozen=True)
class PackedFile:
    """One file of a pack, as the directory at its end describes it."""

    path: str
    offset: int
    size: int
    md5: bytes


def _ignored(relative: Path, root: Path) -> bool:
    parts = relative.parts
    if SKIPPED_DIRS.intersection(parts[:-1]) or (len(parts) > 1 and parts[0] in SKIPPED_TOP_DIRS):
        return True
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        if (folder / ".gdignore").exists():
            return True
    return False


def project_files(root: Path) -> dict[str, bytes]:
    """The game's files under `root` by their path without `res://`, in a stable order."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or _ignored(relative, root):
            continue
        if path.suffix not in PACKED_SUFFIXES or path.name in SKIPPED_NAMES:
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def class_cache(scripts: dict[str, bytes]) -> bytes:
    """`global_script_class_cache.cfg` for the `class_name` scripts among `scripts`."""
    entries = []
    for path, source in sorted(scripts.items()):
        if not path.endswith(".gd"):
            continue
        text = source.decode()
        named = _CLASS_NAME.search(text)
        if named is None:
            continue
        base = _EXTENDS.search(text)
        entries.append(
            "{\n"
            f'"base": &"{base.group(1) if base else "RefCounted"}",\n'
            f'"class": &"{named.group(1)}",\n'
            '"icon": "",\n'
            '"is_abstract": false,\n'
            '"is_tool": false,\n'
            '"language": &"GDScript",\n'
            f'"path": "res://{path}"\n'
            "}"
        )
    return ("list=[" + ", ".join(entries) + "]\n").encode()


def _aligned(value: int) -> int:
    return (value + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def write_pack(files: dict[str, bytes], destination: Path) -> list[PackedFile]:
    """Write `files` (path without `res://` -> bytes) as a pack; returns its directory."""
    data = bytearray()
    directory: list[PackedFile] = []
    for path, content in files.items():
        offset = _aligned(len(data))
        data.extend(bytes(offset - len(data)))
        data.extend(content)
        directory.append(PackedFile(path, offset, len(content), hashlib.md5(content).digest()))  # noqa: S324 (the format's checksum)
    directory_offset = HEADER_SIZE + _aligned(len(data))
    data.extend(bytes(directory_offset - HEADER_SIZE - len(data)))
    table = bytearray(struct.pack("<I", len(directory)))
    for item in directory:
        name = item.path.encode()
        # Godot pads to a multiple of 4 only when needed (no NUL when the length fits).
        padded = name + bytes(-len(name) % 4)
        table += struct.pack("<I", len(padded)) + padded
        table += struct.pack("<QQ", item.offset, item.size) + item.md5 + struct.pack("<I", 0)
    header = MAGIC + struct.pack(
        "<IIIIIQQ", PACK_VERSION, *ENGINE_VERSION, FLAG_RELATIVE_FILE_BASE, HEADER_SIZE,
        directory_offset,
    )  # fmt: skip
    header += bytes(HEADER_SIZE - len(header))
    destination.write_bytes(header + bytes(data) + bytes(table))
    return directory


def read_pack(source: Path) -> dict[str, bytes]:
    """The files of a pack version 3 (path without `res://` -> bytes), checking every MD5."""
    blob = source.read_bytes()
    if blob[:4] != MAGIC:
        raise ValueError(f"{source} is not a Godot pack")
    version, _major, _minor, _patch, flags, base, directory_offset = struct.unpack_from(
        "<IIIIIQQ", blob, 4
    )
    if version != PACK_VERSION:
        raise ValueError(f"{source} is pack version {version}, not {PACK_VERSION}")
    if not flags & FLAG_RELATIVE_FILE_BASE:
        base = 0
    (count,) = struct.unpack_from("<I", blob, directory_offset)
    cursor = directory_offset + 4
    files: dict[str, bytes] = {}
    for _ in range(count):
        (length,) = struct.unpack_from("<I", blob, cursor)
        path = blob[cursor + 4 : cursor + 4 + length].rstrip(b"\0").decode()
        cursor += 4 + length
        offset, size = struct.unpack_from("<QQ", blob, cursor)
        md5 = blob[cursor + 16 : cursor + 32]
        cursor += 36
        content = blob[base + offset : base + offset + size]
        if hashlib.md5(content).digest() != md5:  # noqa: S324 (the format's checksum)
            raise ValueError(f"{path}: MD5 mismatch in {source}")
        files[path] = content
    return files


def build_project_pack(
    root: Path, destination: Path, *, extra: Iterable[tuple[str, bytes]] = ()
) -> list[PackedFile]:
    """Pack the project at `root` with its class cache (and `extra` files) into `destination`."""
    files = project_files(root)
    files.update(extra)
    files[CLASS_CACHE_PATH] = class_cache(files)
    return write_pack(files, destination)


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("godot_client/build/index.pck")
    written = build_project_pack(Path(__file__).resolve().parent.parent, target)
    print(f"{target}: {len(written)} files")
