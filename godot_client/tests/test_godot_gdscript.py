"""gdtoolkit over every GDScript file: it parses, `gdlint` is clean, `gdformat --check` is clean.

The same commands run in `make lint`; here they also run in `make test` and name the files.
"""

import re
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


def test_every_javascript_callback_is_kept_referenced() -> None:
    """JavaScript keeps a Godot callback alive only while Godot references it: each
    `create_callback` result must go into a member array right away."""
    found = 0
    problems = []
    for script in SCRIPTS:
        lines = script.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "JavaScriptBridge.create_callback(" not in line:
                continue
            found += 1
            assigned = re.match(r"\s*var (\w+)\b.*= JavaScriptBridge\.create_callback\(", line)
            kept = assigned and any(
                re.fullmatch(rf"\s*_\w+\.append\({assigned[1]}\)", following)
                for following in lines[number + 1 : number + 3]
            )
            if not kept:
                problems.append(f"{script.relative_to(GODOT_ROOT)}:{number + 1}")
    assert found >= 2, "the Telegram bridge and the browser fetch create callbacks"
    assert problems == []


def test_telegram_bridge_prepares_the_mini_app_and_listens_to_its_events() -> None:
    bridge = (GODOT_ROOT / "autoload" / "telegram.gd").read_text(encoding="utf-8")
    for call in ('_web_app.call("ready")', '_web_app.call("expand")'):
        assert call in bridge
    # disableVerticalSwipes exists from Bot API 7.7 on; older clients would throw.
    guarded = (
        r"if is_version_at_least\(VERTICAL_SWIPES_VERSION\):\s*\n.*\n"
        r'\s*_web_app\.call\("disableVerticalSwipes"\)'
    )
    assert re.search(guarded, bridge)
    assert 'VERTICAL_SWIPES_VERSION := "7.7"' in bridge
    listened = set(re.findall(r'_listen\("(\w+)"', bridge))
    assert listened == {
        "themeChanged",
        "safeAreaChanged",
        "contentSafeAreaChanged",
        "activated",
        "deactivated",
        "backButtonClicked",
    }
    assert '"addEventListener", "visibilitychange"' in bridge
