"""Choosing the file, encoding and cache policy for a request of the Godot build."""

from pathlib import Path

import pytest

from miniapp import godot
from miniapp.urls import mini_app_route


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", set()),
        ("gzip", {"gzip"}),
        ("gzip, deflate, br, zstd", {"gzip", "deflate", "br", "zstd"}),
        ("br;q=0, gzip;q=0.5", {"gzip"}),
        ("GZIP; Q=1.0", {"gzip"}),
        ("*", {"br", "gzip"}),
        ("*;q=0.1, br;q=0", {"gzip"}),
        ("*;q=0", set()),
        ("gzip;q=abc", set()),
        (" , ;q=1", set()),
    ],
)
def test_accepted_encodings_follow_q_values(header: str, expected: set[str]) -> None:
    assert godot.accepted_encodings(header) == expected


@pytest.mark.parametrize(
    ("name", "policy"),
    [
        ("index.html", godot.CACHE_ENTRY),
        ("index.offline.html", godot.CACHE_ENTRY),
        ("index.wasm", godot.CACHE_REVALIDATE),
        ("index.audio.worklet.js", godot.CACHE_REVALIDATE),
        ("index.3f9a2c1d.wasm", godot.CACHE_IMMUTABLE),
        ("game-0123456789abcdef.pck", godot.CACHE_IMMUTABLE),
        ("index.1234.js", godot.CACHE_REVALIDATE),
    ],
)
def test_cache_policy_by_name(name: str, policy: str) -> None:
    assert godot.cache_control_for(name) == policy


def test_relative_build_dir_is_taken_from_the_project(settings) -> None:
    settings.GODOT_BUILD_DIR = "godot_client/build"
    assert godot.build_dir() == Path(settings.BASE_DIR) / "godot_client" / "build"


def test_has_build_needs_an_index_html(godot_build: Path) -> None:
    assert godot.has_build()
    (godot_build / "index.html").unlink()
    assert not godot.has_build()


def test_find_build_file_describes_the_chosen_file(godot_build: Path) -> None:
    (godot_build / "index.js.gz").write_bytes(b"gz")
    found = godot.find_build_file(name="index.js", accept_encoding="gzip")
    assert found == godot.BuildFile(
        name="index.js",
        path=(godot_build / "index.js.gz").resolve(),
        content_type="text/javascript; charset=utf-8",
        encoding="gzip",
        cache_control=godot.CACHE_REVALIDATE,
        compressible=True,
    )


@pytest.mark.parametrize("name", ["../index.html", "sub/index.js", ".env", "index", "index.exe"])
def test_find_build_file_refuses_unservable_names(godot_build: Path, name: str) -> None:
    (godot_build / ".env").write_text("SECRET_KEY=x")
    (godot_build / "index.exe").write_bytes(b"MZ")
    assert godot.find_build_file(name=name) is None


def test_find_build_file_ignores_a_sibling_that_is_a_symlink_out(
    godot_build: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.gz"
    outside.write_bytes(b"not from the build")
    (godot_build / "index.js.gz").symlink_to(outside)
    found = godot.find_build_file(name="index.js", accept_encoding="gzip")
    assert found is not None
    assert (found.encoding, found.path) == (None, (godot_build / "index.js").resolve())


@pytest.mark.parametrize(
    ("mini_app_path", "route"),
    [("/", ""), ("", ""), ("/game", "game/"), ("/game/", "game/"), ("/a/b/", "a/b/")],
)
def test_mini_app_route_is_a_directory(mini_app_path: str, route: str) -> None:
    assert mini_app_route(mini_app_path) == route
