"""Delivery checks the issue names: the compose file validates and documents its variables,
the workflows pass actionlint, nothing secret is committed.

Nothing here needs a Docker engine. Tools from Debian or PyPI are used when installed
(`docker compose`/`docker-compose`, `actionlint`); a test whose tool is missing skips with the
command that installs it.
"""

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from clickgame.tests.test_settings import documented_variables, settings_env_reads
from deploy.tests.delivery import (
    COMPOSE_FILE,
    DEPLOY,
    ROOT,
    VENV_BIN,
    WORKFLOWS,
    compose_config,
    compose_data,
    env_text,
    load_module,
    run,
)

REQUIRED_COMPOSE_VARIABLES = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "TELEGRAM_BOT_TOKEN",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
)
COMPLETE_ENV = {
    "SECRET_KEY": "compose-test-" + "k" * 40,
    "ALLOWED_HOSTS": "game.example.com",
    "TELEGRAM_BOT_TOKEN": "42:compose-test-token",
    "POSTGRES_PASSWORD": "s3cretpassw0rd",
    "REDIS_PASSWORD": "r3dispassw0rd",
}


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_file_validates_against_the_compose_specification(tmp_path: Path) -> None:
    checker = VENV_BIN / "check-jsonschema"
    args = [str(checker), "--builtin-schema", "vendor.compose-spec"]
    valid = run([*args, str(COMPOSE_FILE)])
    assert valid.returncode == 0, valid.stdout + valid.stderr

    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE_FILE.read_text().replace("    restart: unless-stopped", "    restrt: x")
    )
    refused = run([*args, str(broken)])
    assert refused.returncode != 0, "the schema check accepted a misspelled service key"


def test_compose_config_resolves_the_stack_from_env(tmp_path: Path) -> None:
    result = compose_config(tmp_path, env_text(COMPLETE_ENV))
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    web = services["web"]["environment"]
    assert web["DEBUG"] == "False"
    assert web["DATABASE_URL"] == "postgres://clickgame:s3cretpassw0rd@db:5432/clickgame"
    assert web["REDIS_URL"] == "redis://:r3dispassw0rd@redis:6379/0"
    assert web["SECRET_KEY"] == COMPLETE_ENV["SECRET_KEY"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "s3cretpassw0rd"
    assert "SECRET_KEY" not in services["db"]["environment"], "db must not get the app's secrets"


@pytest.mark.parametrize("missing", REQUIRED_COMPOSE_VARIABLES)
def test_compose_refuses_to_start_without_a_required_variable(tmp_path: Path, missing: str) -> None:
    env = {key: value for key, value in COMPLETE_ENV.items() if key != missing}
    result = compose_config(tmp_path, env_text(env))
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


def test_compose_runs_every_service_with_health_gated_dependencies() -> None:
    services = compose_data()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "bot", "board", "client", "https"}

    db, redis = services["db"], services["redis"]
    assert db["image"] == "postgres:16"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in db["healthcheck"]["test"][1]
    assert redis["image"] == "redis:7"
    assert "--appendonly yes" in " ".join(redis["command"])
    assert "redisdata:/data" in redis["volumes"]
    assert "ping" in redis["healthcheck"]["test"][1]

    web = services["web"]
    assert web["command"] == ["gunicorn", "--config", "deploy/gunicorn.conf.py", "clickgame.wsgi"]
    assert web["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "migrate --noinput" in services["migrate"]["command"][-1]
    assert services["migrate"]["restart"] == "no"
    assert services["bot"]["command"] == ["deploy/run-bot.sh"]
    assert services["board"]["command"][:3] == ["python", "manage.py", "run_board_keeper"]
    assert services["board"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["client"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["client"]["build"]["dockerfile"] == "deploy/client.Dockerfile"
    assert services["https"]["profiles"] == ["https"]

    for name in ("db", "redis", "web", "bot", "board", "client", "https"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("migrate", "web", "bot", "board"):
        assert services[name]["env_file"] == ".env", name
    declared = set(compose_data()["volumes"])
    for name, service in services.items():
        for target in service.get("depends_on", {}):
            assert target in services, f"{name} depends on unknown service {target}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in declared, f"{name} mounts undeclared volume {source}"


def test_web_drains_before_docker_kills_it() -> None:
    gunicorn = load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_grace")
    grace = compose_data()["services"]["web"]["stop_grace_period"]
    assert int(grace.rstrip("s")) > gunicorn.graceful_timeout


# --- documented variables -----------------------------------------------------------------------


def compose_variables() -> set[str]:
    """Every ${VAR} Compose interpolates ($${VAR} is an escape for the container's shell)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))


def gunicorn_variables() -> set[str]:
    text = (DEPLOY / "gunicorn.conf.py").read_text()
    return set(re.findall(r'(?:_env_int|os\.environ\.get)\("([A-Z][A-Z0-9_]*)"', text))


def test_every_compose_variable_is_documented_in_env_example() -> None:
    used = compose_variables()
    assert {"POSTGRES_PASSWORD", "SECRET_KEY", "CLIENT_PORT"} <= used, "the scan misses uses"
    missing = sorted(used - set(documented_variables()))
    assert missing == [], f"add these to .env.example with a comment: {missing}"


def test_every_settings_and_gunicorn_variable_is_documented_in_env_example() -> None:
    used = settings_env_reads() | gunicorn_variables()
    assert {"DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS"} <= used, "the scan misses uses"
    missing = sorted(used - set(documented_variables()))
    assert missing == [], f"add these to .env.example with a comment: {missing}"


# --- workflows ----------------------------------------------------------------------------------


def find_actionlint() -> str | None:
    local = VENV_BIN / "actionlint"
    return str(local) if local.exists() else shutil.which("actionlint")


def test_workflows_pass_actionlint() -> None:
    actionlint = find_actionlint()
    if actionlint is None:
        pytest.skip("actionlint is not installed: pip install -r requirements/dev.txt")
    workflows = sorted(map(str, WORKFLOWS.glob("*.yml")))
    assert len(workflows) >= 2
    result = run([actionlint, "-no-color", *workflows], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    actionlint = find_actionlint()
    if actionlint is None:
        pytest.skip("actionlint is not installed: pip install -r requirements/dev.txt")
    broken = tmp_path / "broken.yml"
    broken.write_text(
        (WORKFLOWS / "deploy.yml").read_text().replace("${{ vars.DEPLOY_HOST }}", "${{ var.X }}")
    )
    result = run([actionlint, "-no-color", str(broken)], cwd=tmp_path)
    assert result.returncode != 0


def workflow(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_ci_workflow_lints_and_runs_make_test_on_service_containers() -> None:
    jobs = workflow("ci.yml")["jobs"]
    assert "make lint" in [step.get("run") for step in jobs["lint"]["steps"]]
    makefile = (ROOT / "Makefile").read_text()
    lint_target = makefile[
        makefile.index("\nlint:") : makefile.index("\n\n", makefile.index("\nlint:"))
    ]
    for tool in ("ruff check", "ruff format --check", "gdparse", "gdlint", "gdformat --check"):
        assert tool in lint_target
    test = jobs["test"]
    assert test["services"]["postgres"]["image"].startswith("postgres:")
    assert test["services"]["redis"]["image"].startswith("redis:")
    (service_run,) = [s for s in test["steps"] if "DATABASE_URL" in s.get("env", {})]
    assert service_run["run"] == "make test"
    assert service_run["env"]["REDIS_URL"].startswith("redis://")


def test_deploy_workflow_triggers_and_waits_on_ready() -> None:
    deploy = workflow("deploy.yml")
    triggers = deploy[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["release"]["types"] == ["published"]
    assert "workflow_dispatch" in triggers
    steps = "\n".join(step.get("run", "") for step in deploy["jobs"]["deploy"]["steps"])
    for needed in ("docker build", "deploy/bundle.sh", "deploy/render_env.py", "scp ", "ssh "):
        assert needed in steps
    assert "git clone" not in steps
    assert "docker compose up --detach --build" in (DEPLOY / "remote-deploy.sh").read_text()


def test_every_deploy_secret_and_variable_is_documented() -> None:
    text = (WORKFLOWS / "deploy.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*(?:secrets|vars)\.([A-Z_][A-Z0-9_]*)", text))
    assert {"SSH_PRIVATE_KEY", "DEPLOY_HOST", "SECRET_KEY", "PUBLIC_HOST"} <= used
    documented = set(
        re.findall(r"^\| `([A-Z_][A-Z0-9_]*)` \|", (ROOT / "docs" / "deploy.md").read_text(), re.M)
    )
    assert sorted(used - documented) == []
    render = load_module(DEPLOY / "render_env.py", "render_env_mod")
    inputs = set(render.SECRETS + render.OPTIONAL_SECRETS) | set(render.VARIABLES) | {"EXTRA_ENV"}
    assert sorted(inputs - used) == [], "render_env reads inputs the workflow never passes"


# --- secrets ------------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Telegram bot token": re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"aws_secret_access_key\s*[=:]\s*\S{20,}", re.I),
}


def secret_findings(text: str, allowed: set[str]) -> list[str]:
    """Names of the secret shapes found in `text`, ignoring the exact strings in `allowed`."""
    found = []
    for name, pattern in SECRET_PATTERNS.items():
        if any(match.group(0) not in allowed for match in pattern.finditer(text)):
            found.append(name)
    return found


def dev_bot_token() -> str:
    """The made-up development token `make run` sets (the Makefile's DEV_BOT_TOKEN default)."""
    match = re.search(r"^DEV_BOT_TOKEN \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, "the Makefile no longer defines DEV_BOT_TOKEN"
    return match.group(1)


def test_secret_scan_recognises_each_secret_shape() -> None:
    samples = {
        "private key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3Blbn...\n",
        "Telegram bot token": "TOKEN=" + "1234567890:" + "AAH" + "x" * 32,
        "AWS access key id": "key = AKIA" + "ABCDEFGHIJKLMNOP",
        "AWS secret access key": "aws_secret_access_key = " + "w" * 40,
    }
    for name, sample in samples.items():
        assert secret_findings(sample, set()) == [name]
    token = "1234567890:" + "AAH" + "x" * 32
    assert secret_findings(f"token {token}", {token}) == []


def test_no_secret_is_committed() -> None:
    listed = run(["git", "ls-files", "-z"], cwd=ROOT)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = [name for name in listed.stdout.split("\0") if name]
    assert len(tracked) > 20
    env_files = [
        name for name in tracked if Path(name).name.startswith(".env") and name != ".env.example"
    ]
    assert env_files == [], "never commit .env files"
    allowed = {dev_bot_token()}
    problems = []
    for name in tracked:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        problems += [f"{name}: {finding}" for finding in secret_findings(text, allowed)]
    assert problems == []


def find_hadolint() -> str:
    local = VENV_BIN / "hadolint"
    found = str(local) if local.exists() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed: pip install -r requirements/dev.txt")
    return found


def test_dockerfiles_pass_hadolint() -> None:
    dockerfiles = [str(ROOT / "Dockerfile"), str(DEPLOY / "client.Dockerfile")]
    result = run([find_hadolint(), "--no-color", *dockerfiles])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_an_unpinned_base_image(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:latest\nRUN pip install django\n")
    result = run([find_hadolint(), "--no-color", str(broken)])
    assert result.returncode != 0
    assert "DL3007" in result.stdout


def test_images_never_receive_env_files_or_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (".env", ".env.*", ".git", ".venv", "db.sqlite3", "godot_client/.godot"):
        assert entry in ignored, entry


# --- Godot export preset ------------------------------------------------------------------------


def test_client_image_exports_a_preset_that_exists() -> None:
    presets = ROOT / "godot_client" / "export_presets.cfg"
    names = re.findall(r'^name="([^"]+)"\s*$', presets.read_text(), re.M)
    platforms = re.findall(r'^platform="([^"]+)"\s*$', presets.read_text(), re.M)
    default = re.search(
        r"ARG GODOT_EXPORT_PRESET=(\S+)", (DEPLOY / "client.Dockerfile").read_text()
    )
    assert default
    assert default.group(1) in names
    assert platforms[names.index(default.group(1))] == "Web"
