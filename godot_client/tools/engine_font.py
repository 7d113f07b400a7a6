"""The font the Godot client draws every label with: the engine's built-in default font.

The project ships no font of its own, so text is drawn with the default theme font compiled into
the engine (Open Sans SemiBold, a WOFF2 file inside `index.wasm`), and the web has no system-font
fallback. This module takes that font out of the wasm's data segments so tests can read its
character map with fontTools.
"""

import io
import struct
from pathlib import Path

from fontTools.ttLib import TTFont

WASM_MAGIC = b"\0asm"
DATA_SECTION = 11
WOFF2_MAGIC = b"wOF2\x00\x01\x00\x00"
DEFAULT_FONT_NAME = "Open Sans SemiBold"


def _uleb(blob: bytes, cursor: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = blob[cursor]
        cursor += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, cursor


def _sleb(blob: bytes, cursor: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = blob[cursor]
        cursor += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return (value - (1 << shift) if byte & 0x40 else value), cursor


def initial_memory(wasm: bytes) -> bytes:
    """The linear memory the wasm's active data segments set up (zero runs filled back in)."""
    if wasm[:4] != WASM_MAGIC:
        raise ValueError("not a WebAssembly module")
    segments: list[tuple[int, bytes]] = []
    cursor = 8
    while cursor < len(wasm):
        section, cursor = wasm[cursor], cursor + 1
        size, cursor = _uleb(wasm, cursor)
        end = cursor + size
        if section == DATA_SECTION:
            count, inner = _uleb(wasm, cursor)
            for _ in range(count):
                flags, inner = _uleb(wasm, inner)
                if flags == 1:  # passive: not part of the initial memory
                    length, inner = _uleb(wasm, inner)
                    inner += length
                    continue
                if flags == 2:
                    _memory_index, inner = _uleb(wasm, inner)
                if wasm[inner] != 0x41:  # i32.const
                    raise ValueError("unsupported data segment offset")
                offset, inner = _sleb(wasm, inner + 1)
                inner += 1  # end
                length, inner = _uleb(wasm, inner)
                segments.append((offset, wasm[inner : inner + length]))
                inner += length
        cursor = end
    memory = bytearray(max(offset + len(data) for offset, data in segments))
    for offset, data in segments:
        memory[offset : offset + len(data)] = data
    return bytes(memory)


def default_font(wasm_path: Path) -> TTFont:
    """The engine's built-in default font, read from its wasm."""
    memory = initial_memory(wasm_path.read_bytes())
    start = memory.find(WOFF2_MAGIC)
    while start >= 0:
        (length,) = struct.unpack_from(">I", memory, start + 8)
        font = TTFont(io.BytesIO(memory[start : start + length]))
        if font["name"].getDebugName(4) == DEFAULT_FONT_NAME:
            return font
        start = memory.find(WOFF2_MAGIC, start + 1)
    raise LookupError(f"{DEFAULT_FONT_NAME} is not in {wasm_path}")
