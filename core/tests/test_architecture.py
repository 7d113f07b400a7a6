"""The import rule of docs/architecture.md, checked on every module of the project.

An AST scan (no import runs) of every .py file of the project's packages outside migrations/ and
tests/. The layers, bottom to top:

- `core`: shared leaf code; imports no app.
- the domain apps, importing downward only: `players` <- `leaderboard` <- `clicks`.
- `telegram_auth`: the doors' sign-in kit (initData check, DRF auth class, request -> player);
  imports core and the domain, never a door.
- the doors: each app's `apis.py` (with its `urls.py`), every management command, `admin.py`
  modules, and the `bot`, `backoffice` and `miniapp` apps. A door imports anything below it, and
  nothing of another door.
- `clickgame`: configuration only (settings, root URLs, wsgi/asgi); imports core and nothing else
  of the project (apps are routed by dotted strings), and nothing imports it.

A function-local import carries a comment saying why (on its line or the line above; a bare
`noqa` is not a reason).
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CORE = "core"
KIT = "telegram_auth"
PROJECT = "clickgame"
# Domain apps, lowest first: each may import the ones before it.
DOMAIN = ("players", "leaderboard", "clicks")
DOOR_APPS = ("bot", "backoffice", "miniapp")
PACKAGES = (CORE, *DOMAIN, KIT, *DOOR_APPS, PROJECT)
# Top-level packages that are not part of the site (their imports are not layered).
NOT_THE_SITE = {
    "benchmarks": "benchmark drivers, run beside the site",
    "deploy": "delivery tests",
    "e2e": "end-to-end tests",
    "godot_client": "the Godot project and its test tools",
}
DOOR_MODULES = ("apis", "urls", "admin")


@dataclass(frozen=True)
class Place:
    """Where a module sits: its layer and, for doors, which door it belongs to."""

    layer: str  # "core", "domain", "kit", "door" or "project"
    unit: str  # the app, or the door's name


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def place_of(module: str) -> Place:
    """The layer and unit of a dotted module name of one of PACKAGES."""
    parts = module.split(".")
    app = parts[0]
    if app == CORE:
        return Place("core", CORE)
    if app == PROJECT:
        return Place("project", PROJECT)
    if app == KIT:
        return Place("kit", KIT)
    if app in DOOR_APPS:
        return Place("door", app)
    if parts[1:3] == ["management", "commands"] and len(parts) > 3:
        return Place("door", module)
    if len(parts) > 1 and parts[1] in DOOR_MODULES:
        return Place("door", f"{app}.{'admin' if parts[1] == 'admin' else 'api'}")
    return Place("domain", app)


def _allowed(source: Place, target: Place) -> str | None:
    """None when `source` may import `target`, else why not."""
    if target.layer == "project" and source.layer != "project":
        return "only the project package imports clickgame (use django.conf.settings)"
    if source.layer == "core":
        return None if target.layer == "core" else "core imports no app"
    if source.layer == "project":
        return None if target.layer in ("core", "project") else "clickgame only configures"
    if source.layer == "domain":
        if target.layer == "door":
            return "domain code never imports a door"
        if target.layer == "kit":
            return "domain code never imports telegram_auth (the doors' sign-in kit)"
        if target.layer == "domain" and DOMAIN.index(target.unit) > DOMAIN.index(source.unit):
            return f"{source.unit} sits below {target.unit} ({' <- '.join(DOMAIN)})"
        return None
    if source.layer == "kit":
        return "telegram_auth never imports a door" if target.layer == "door" else None
    if target.layer == "door" and target.unit != source.unit:
        return f"no door imports another door ({source.unit} -> {target.unit})"
    return None


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement reaches (a submodule when it names one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    # `from x import y` reaches the submodule x.y when there is one, else x itself (`_known`).
    return [f"{base}.{alias.name}" for alias in node.names]


def _known(name: str, modules: set[str]) -> str | None:
    """The longest scanned module that `name` is or lies in, if it belongs to the project."""
    parts = name.split(".")
    if parts[0] not in PACKAGES:
        return None
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return parts[0]


def _has_reason(lines: list[str], lineno: int) -> bool:
    """True when the import's line, or a comment right above it or its block, says why."""

    def said(comment: str) -> bool:
        text = comment.split("#", 1)[1].strip()
        return bool(text) and not text.lower().startswith("noqa")

    if "#" in lines[lineno - 1] and said(lines[lineno - 1]):
        return True
    # A comment above a block of imports speaks for the whole block.
    above = lineno - 2
    while above >= 0:
        line = lines[above].strip()
        if line.startswith("#"):
            if said(line):
                return True
        elif not line.startswith(("from ", "import ")):
            return False
        above -= 1
    return False


def source_files(root: Path) -> list[Path]:
    """Every .py of the site's packages, outside migrations/ and tests/."""
    return sorted(
        path
        for package in PACKAGES
        if (root / package).is_dir()
        for path in (root / package).rglob("*.py")
        if not {"migrations", "tests"} & set(path.relative_to(root).parts)
    )


def violations(root: Path) -> list[Violation]:
    """Every import that breaks the rule, and every function-local import without a reason."""
    files = source_files(root)
    modules = {_module_name(root, path) for path in files}
    found: list[Violation] = []
    for path in files:
        module = _module_name(root, path)
        source = place_of(module)
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text, filename=str(path))
        local = {
            id(node)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(function)
            if isinstance(node, ast.Import | ast.ImportFrom)
        }
        where = str(path.relative_to(root))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if id(node) in local and not _has_reason(lines, node.lineno):
                found.append(Violation(where, node.lineno, "function-local import needs a reason"))
            seen: set[str] = set()
            for name in _targets(node, module, path.name == "__init__.py"):
                target = _known(name, modules)
                if target is None or target in seen:
                    continue
                seen.add(target)
                reason = _allowed(source, place_of(target))
                if reason is not None:
                    found.append(Violation(where, node.lineno, f"imports {target}: {reason}"))
    return found


def test_the_project_follows_the_import_rule() -> None:
    found = violations(ROOT)
    assert not found, "\n".join(str(violation) for violation in found)


def test_every_top_level_package_has_a_place_in_the_rule() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    unplaced = packages - set(PACKAGES) - set(NOT_THE_SITE)
    assert not unplaced, f"add {sorted(unplaced)} to PACKAGES (and the docs) or NOT_THE_SITE"


def test_the_scan_covers_the_site() -> None:
    scanned = {str(path.relative_to(ROOT)) for path in source_files(ROOT)}
    assert {"clicks/services.py", "bot/handlers.py", "clickgame/urls.py"} <= scanned
    assert not [name for name in scanned if "/migrations/" in name or "/tests/" in name]


# --- the checker itself, on a synthetic project ---

SYNTHETIC = {
    "core/errors.py": "import players.models\n",
    "players/models.py": "from clicks import services\n",
    "players/services.py": "from players.apis import request_player\n",
    "players/selectors.py": "import telegram_auth.signin\n",
    "players/apis.py": "from players.services import player_sign_in\n",
    "leaderboard/apis.py": "from players.apis import request_player\n",
    "clicks/services.py": (
        "from leaderboard.selectors import total_clicks\n"
        "from players.models import Player\n"
        "\n"
        "def sync():\n"
        "    from players import services\n"
        "    # Imported here: the cache backend exists only with REDIS_URL.\n"
        "    import leaderboard.live\n"
        "    synced = 1\n"
        "    from clicks import rules  # noqa: F401\n"
    ),
    "clicks/rules.py": "from . import services\nfrom ..core import errors\n",
    "clicks/management/commands/recalculate_stats.py": "from bot.texts import count\n",
    "telegram_auth/signin.py": "from players.services import player_sign_in\n",
    "telegram_auth/schema.py": "from miniapp import views\n",
    "bot/handlers.py": "from leaderboard.selectors import leaderboard_for\nfrom bot import texts\n",
    "bot/texts.py": "from backoffice.display import isolate\n",
    "backoffice/admin.py": "from clickgame.settings import DEBUG\n",
    "miniapp/views.py": "from players import rules\n",
    "clickgame/urls.py": "from core import health\nfrom leaderboard.apis import LeaderboardApi\n",
    "clickgame/settings.py": "",
    "backoffice/display.py": "",
}


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    for name, text in SYNTHETIC.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    (tmp_path / "players/tests").mkdir()
    (tmp_path / "players/tests/test_x.py").write_text("import bot.handlers\n", encoding="utf-8")
    (tmp_path / "clicks/migrations").mkdir()
    (tmp_path / "clicks/migrations/0001.py").write_text("import bot\n", encoding="utf-8")
    return tmp_path


def test_the_checker_reports_each_kind_of_violation(synthetic: Path) -> None:
    found = {(v.path, v.line, v.message.split(":")[0]) for v in violations(synthetic)}

    assert found == {
        ("core/errors.py", 1, "imports players.models"),
        ("players/models.py", 1, "imports clicks.services"),
        ("players/services.py", 1, "imports players.apis"),
        ("players/selectors.py", 1, "imports telegram_auth.signin"),
        ("leaderboard/apis.py", 1, "imports players.apis"),
        ("clicks/services.py", 5, "function-local import needs a reason"),
        ("clicks/services.py", 9, "function-local import needs a reason"),
        ("clicks/management/commands/recalculate_stats.py", 1, "imports bot.texts"),
        ("telegram_auth/schema.py", 1, "imports miniapp.views"),
        ("bot/texts.py", 1, "imports backoffice.display"),
        ("backoffice/admin.py", 1, "imports clickgame.settings"),
        ("clickgame/urls.py", 2, "imports leaderboard.apis"),
    }


def test_the_checker_resolves_relative_imports(synthetic: Path) -> None:
    (synthetic / "players/rules.py").write_text("from ..clicks import services\n", "utf-8")

    found = [str(v) for v in violations(synthetic) if v.path == "players/rules.py"]

    assert found == [
        "players/rules.py:1: imports clicks.services: players sits below clicks "
        "(players <- leaderboard <- clicks)"
    ]


def test_the_checker_passes_a_tree_that_follows_the_rule(synthetic: Path) -> None:
    for name, text in SYNTHETIC.items():
        allowed = "\n".join(
            line
            for line in text.splitlines()
            if line.startswith(("from core", "def ", "    #")) or "leaderboard.live" in line
        )
        (synthetic / name).write_text(allowed + "\n", encoding="utf-8")

    assert violations(synthetic) == []
