"""The light client's board display (static/miniapp/board.js) against the shared cases.

The same cases file is the contract of the bot (bot/tests/test_board_format.py) and the Godot
client; node runs the very file the page loads.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOARD_JS = ROOT / "miniapp/static/miniapp/board.js"
CASES_FILE = ROOT / "leaderboard/tests/board_format_cases.json"
CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))

# Loads board.js as the page does (a plain script that sets ClickgameBoard on the global object)
# and prints what it makes of every case.
RUN_CASES = """
require(process.argv[1]);
const board = globalThis.ClickgameBoard;
const cases = require(process.argv[2]);
const line = (l) =>
  l === board.GAP ? l : { rank: l.rank, name: l.name, clicks: l.clicks, share: l.share, me: l.me };
process.stdout.write(JSON.stringify({
  boards: cases.boards.map((c) => board.boardLines(c.board).map(line)),
  shares: cases.shares.map((c) => board.formatShare(c.share)),
  clicks: cases.clicks.map((c) => board.formatCount(c.clicks)),
}));
"""


@pytest.fixture(scope="module")
def shown() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is needed to test the light client's board display (apt install npm)")
        pytest.skip("node is not installed (apt install nodejs)")
    result = subprocess.run(
        [node, "-e", RUN_CASES, str(BOARD_JS), str(CASES_FILE)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "index", range(len(CASES["boards"])), ids=[c["name"] for c in CASES["boards"]]
)
def test_board_lines_follow_the_shared_rule(shown, index) -> None:
    assert shown["boards"][index] == CASES["boards"][index]["lines"]


def test_shares_are_shown_by_the_shared_rule(shown) -> None:
    assert shown["shares"] == [case["text"] for case in CASES["shares"]]


def test_click_counts_are_grouped_by_the_shared_rule(shown) -> None:
    assert shown["clicks"] == [case["text"] for case in CASES["clicks"]]


def test_the_page_loads_the_display_rule_before_the_app(client) -> None:
    html = client.get("/").content.decode()
    assert html.index("miniapp/board.js") < html.index("miniapp/app.js")
