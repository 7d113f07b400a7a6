"""`make help` lists every target with the one line that says what it does."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*args: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def phony_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return {name for line in re.findall(r"^\.PHONY:(.*)$", text, re.M) for name in line.split()}


def test_help_lists_every_target_with_a_description() -> None:
    listed = {}
    for line in make("help").splitlines()[1:]:
        name, _, description = line.strip().partition(" ")
        listed[name] = description.strip()
    targets = phony_targets()
    assert {"run", "test", "help", "lint", "clean"} <= targets
    assert sorted(targets - set(listed)) == [], "add a `## description` to these targets"
    assert all(listed.values()), listed


def test_plain_make_shows_the_help() -> None:
    assert make() == make("help")


def test_run_takes_the_port_from_the_environment() -> None:
    # -n prints the commands without running them (nothing is installed or started).
    commands = subprocess.run(
        ["make", "-n", "run"],
        cwd=ROOT,
        env={**os.environ, "PORT": "18799"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "manage.py runserver 127.0.0.1:18799" in commands
