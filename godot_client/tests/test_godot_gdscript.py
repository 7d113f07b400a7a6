"""gdtoolkit over every GDScript file: it parses, `gdlint` is clean, `gdformat --check` is clean.

The same commands run in `make lint`; here they also run in `make test` and name the files.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from godot_project import GODOT_ROOT, game_files

SCRIPTS = game_files(".gd")


def _tool(name: str) -> str:
    beside_python = Path(sys.executable).with_name(name)
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    assert found, f"{name} is missing: install requirements/dev.txt (gdtoolkit)"
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool(command[0]), *command[1:]],
        capture_output=True,
        text=True,
        cwd=GODOT_ROOT,
        check=False,
        timeout=300,
    )


def test_the_client_has_its_scripts() -> None:
    names = {path.relative_to(GODOT_ROOT).as_posix() for path in SCRIPTS}
    assert {
        "autoload/telegram.gd",
        "autoload/api.gd",
        "sync/click_sync.gd",
        "api/api_contract.gd",
    } <= names


@pytest.mark.parametrize(
    "script", SCRIPTS, ids=[p.relative_to(GODOT_ROOT).as_posix() for p in SCRIPTS]
)
def test_script_parses(script: Path) -> None:
    result = _run("gdparse", str(script))
    assert result.returncode == 0, result.stderr or result.stdout


def test_gdlint_is_clean() -> None:
    result = _run("gdlint", *map(str, SCRIPTS))
    assert result.returncode == 0, result.stderr or result.stdout


def test_gdformat_check_is_clean() -> None:
    result = _run("gdformat", "--check", *map(str, SCRIPTS))
    assert result.returncode == 0, result.stderr or result.stdout


def test_gdlint_catches_a_style_error(tmp_path: Path) -> None:
    """The lint test above is live: gdlint fails on a badly named function."""
    bad = tmp_path / "bad.gd"
    bad.write_text("extends Node\n\n\nfunc BadName() -> void:\n\tpass\n", encoding="utf-8")
    assert _run("gdlint", str(bad)).returncode != 0
