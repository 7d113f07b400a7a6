"""The bot's board display (bot/texts.py) against the cases shared with the web and Godot."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from bot import texts

CASES_FILE = Path(__file__).resolve().parents[2] / "leaderboard/tests/board_format_cases.json"
CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["boards"], ids=[c["name"] for c in CASES["boards"]])
def test_board_lines_follow_the_shared_rule(case) -> None:
    lines = texts.board_lines(case["board"])
    assert [line if isinstance(line, str) else asdict(line) for line in lines] == case["lines"]


@pytest.mark.parametrize("case", CASES["shares"], ids=[str(c["share"]) for c in CASES["shares"]])
def test_shares_are_shown_by_the_shared_rule(case) -> None:
    assert texts.share_text(case["share"]) == case["text"]


@pytest.mark.parametrize("case", CASES["clicks"], ids=[str(c["clicks"]) for c in CASES["clicks"]])
def test_click_counts_are_grouped_by_the_shared_rule(case) -> None:
    assert texts.count(case["clicks"]) == case["text"]


def test_the_board_text_draws_every_line_and_escapes_names() -> None:
    case = next(c for c in CASES["boards"] if "exactly as sent" in c["name"])
    assert texts.board_text(case["board"]) == (
        "<b>Leaderboard</b>\n"
        "🥇1. Player #1 — 2 (66.7%)\n"
        '<b>🥈2. &lt;Ann &amp; "Bob"&gt; — 1 (33.3%)</b> ← you'
    )


def test_the_gap_is_its_own_line_in_the_board_text() -> None:
    case = next(c for c in CASES["boards"] if c["name"].startswith("the player far below"))
    text = texts.board_text(case["board"])
    assert "5. Fifth — 500 (0.04%)\n…\n41. Above — 4 (&lt;0.01%)\n" in text
    assert text.endswith("<b>42. Me — 3 (&lt;0.01%)</b> ← you\n43. Below — 2 (&lt;0.01%)")
