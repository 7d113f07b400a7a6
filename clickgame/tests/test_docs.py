"""The docs spell every local management command one way: `.venv/bin/python manage.py`."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `python manage.py` is right inside a container (`docker compose exec web python manage.py`).
OTHER_SPELLING = re.compile(r"(?<!\.venv/bin/)(?<!web )\bpython3? manage\.py")


def test_docs_use_one_spelling_of_manage_py() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(documents) > 3
    found = [
        f"{document.name}:{number}: {line.strip()}"
        for document in documents
        for number, line in enumerate(document.read_text().splitlines(), 1)
        if OTHER_SPELLING.search(line)
    ]
    assert found == []
