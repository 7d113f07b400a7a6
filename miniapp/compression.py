"""Precompression of the Godot web build: gzip siblings written once, served on every request.

Brotli siblings (`.br`) made by other tools (the `brotli` CLI in a deploy step) are served too;
this module writes gzip only, which the standard library does well enough for `.wasm`.
"""

import gzip
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from miniapp.godot import COMPRESSIBLE_SUFFIXES, SERVABLE_NAME


@dataclass(frozen=True)
class Compressed:
    name: str
    original_bytes: int
    compressed_bytes: int


@dataclass
class CompressionReport:
    written: list[Compressed] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)


def _is_fresh(source: Path, target: Path) -> bool:
    return target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns


def gzip_file(source: Path, target: Path) -> int:
    """Write `target` as the gzip of `source` atomically; return its size in bytes.

    The gzip header carries no timestamp, so the same input always gives the same bytes.
    """
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            source.open("rb") as original,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as packed,
        ):
            shutil.copyfileobj(original, packed, length=1024 * 1024)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target.stat().st_size


def compress_build(*, root: Path, force: bool = False) -> CompressionReport:
    """Gzip every servable, compressible file of the build whose `.gz` is missing or older."""
    report = CompressionReport()
    for source in sorted(root.iterdir()):
        if not source.is_file() or source.is_symlink() or not SERVABLE_NAME.match(source.name):
            continue
        if source.suffix.lower() not in COMPRESSIBLE_SUFFIXES:
            continue
        target = source.with_name(f"{source.name}.gz")
        if not force and _is_fresh(source, target):
            report.up_to_date.append(source.name)
            continue
        size = gzip_file(source, target)
        report.written.append(
            Compressed(
                name=source.name, original_bytes=source.stat().st_size, compressed_bytes=size
            )
        )
    return report
