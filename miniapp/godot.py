"""The Godot web export on disk: which files may be served, and with which type, cache and encoding.

A Godot web export is one flat directory (`index.html`, `index.js`, `index.wasm`, `index.pck`,
audio worklets, icons). Only flat file names with a known extension are served, so nothing outside
the directory (or a dotfile inside it) can ever be reached. Precompressed siblings (`index.wasm.br`,
`index.wasm.gz`, written by `manage.py compress_godot_build` or a deploy step) are sent to clients
that accept them.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ENTRY_FILE = "index.html"

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".pck": "application/octet-stream",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# Types worth compressing; images are compressed already.
COMPRESSIBLE_SUFFIXES = frozenset(
    {".html", ".js", ".mjs", ".wasm", ".pck", ".css", ".json", ".webmanifest", ".svg", ".txt"}
)
# Content codings in the order the server prefers them, with the sibling file's suffix.
ENCODINGS: tuple[tuple[str, str], ...] = (("br", ".br"), ("gzip", ".gz"))

# A flat name: no slash, no leading dot, a known-looking extension.
SERVABLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.[A-Za-z0-9]+$")
# A content hash in the name (`index.3f9a2c1d.wasm`, `game-3f9a2c1d0b.pck`) makes a file immutable.
HASHED_NAME = re.compile(r"[.-][0-9a-f]{8,}\.[A-Za-z0-9]+$")

CACHE_ENTRY = "no-cache"
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
# Unhashed assets (index.wasm, index.pck) change with every export: cache, but revalidate.
CACHE_REVALIDATE = "public, no-cache"


@dataclass(frozen=True)
class BuildFile:
    """A file of the build chosen for one request: what to read and how to label it."""

    name: str
    path: Path
    content_type: str
    encoding: str | None
    cache_control: str
    # The response depends on Accept-Encoding (a compressed sibling may be chosen).
    compressible: bool


def build_dir() -> Path:
    """The configured export directory (`GODOT_BUILD_DIR`, relative paths from the project)."""
    configured = Path(settings.GODOT_BUILD_DIR)
    return configured if configured.is_absolute() else Path(settings.BASE_DIR) / configured


def has_build() -> bool:
    """True when a Godot web export (its `index.html`) is present."""
    return (build_dir() / ENTRY_FILE).is_file()


def cache_control_for(name: str) -> str:
    """`no-cache` for HTML, a year for content-hashed names, revalidation for the rest."""
    if name.endswith(".html"):
        return CACHE_ENTRY
    if HASHED_NAME.search(name):
        return CACHE_IMMUTABLE
    return CACHE_REVALIDATE


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The content codings an `Accept-Encoding` header allows (q > 0), `*` expanded."""
    allowed: set[str] = set()
    refused: set[str] = set()
    wildcard = False
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding == "*":
            wildcard = quality > 0
        elif quality > 0:
            allowed.add(coding)
        else:
            refused.add(coding)
    if wildcard:
        allowed |= {coding for coding, _ in ENCODINGS} - refused
    return allowed


def _inside(root: Path, candidate: Path) -> bool:
    try:
        return candidate.resolve().parent == root
    except OSError:
        return False


def find_build_file(*, name: str, accept_encoding: str = "") -> BuildFile | None:
    """The build file for a request of `name`, precompressed when the client accepts it.

    None when the name is not servable (not flat, unknown extension, dotfile) or not in the build.
    """
    if not SERVABLE_NAME.match(name):
        return None
    suffix = Path(name).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix)
    if content_type is None:
        return None
    root = build_dir().resolve()
    original = root / name
    if not _inside(root, original) or not original.is_file():
        return None
    chosen, encoding = original, None
    if suffix in COMPRESSIBLE_SUFFIXES:
        allowed = accepted_encodings(accept_encoding)
        for coding, sibling_suffix in ENCODINGS:
            sibling = root / f"{name}{sibling_suffix}"
            if coding in allowed and _inside(root, sibling) and sibling.is_file():
                chosen, encoding = sibling, coding
                break
    return BuildFile(
        name=name,
        path=chosen,
        content_type=content_type,
        encoding=encoding,
        cache_control=cache_control_for(name),
        compressible=suffix in COMPRESSIBLE_SUFFIXES,
    )
