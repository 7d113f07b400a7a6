"""Delivery: getting a release onto the server and its data back. The .env writer, the release
bundle, the server-side deploy script (with a stand-in docker) and the documented PostgreSQL
backup and restore commands."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.tests.delivery import (
    DEPLOY,
    ROOT,
    compose_config,
    run,
)

# --- the server's .env (deploy/render_env.py) ----------------------------------------------------

DEPLOY_INPUTS = {
    "SECRET_KEY": "x" * 50,
    "POSTGRES_PASSWORD": "abc123",
    "REDIS_PASSWORD": "def456",
    "TELEGRAM_BOT_TOKEN": "42:token-for-tests",
    "TELEGRAM_WEBHOOK_SECRET": "hook_secret-" + "1" * 24,
    "PUBLIC_HOST": "game.example.com",
    "TELEGRAM_BOT_USERNAME": "clickgame_bot",
}


def render_env(
    tmp_path: Path, inputs: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path / "server.env"
    env = {"PATH": os.environ["PATH"], **inputs}
    result = run([sys.executable, str(DEPLOY / "render_env.py"), "--output", str(output)], env=env)
    return result, output


def parse_env(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert value.startswith("'") and value.endswith("'"), line
            pairs[key] = value[1:-1]
    return pairs


def test_render_env_writes_a_private_env_with_derived_settings(tmp_path: Path) -> None:
    inputs = {**DEPLOY_INPUTS, "EXTRA_ENV": "# comment\nNAME_MODERATION=pre\n\nWEB_CONCURRENCY=5"}
    result, output = render_env(tmp_path, inputs)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    values = parse_env(output)
    assert values["ALLOWED_HOSTS"] == "game.example.com"
    assert values["CSRF_TRUSTED_ORIGINS"] == "https://game.example.com"
    assert values["MINI_APP_URL"] == "https://game.example.com/"
    assert values["TELEGRAM_WEBHOOK_URL"] == "https://game.example.com/telegram/webhook"
    assert values["TELEGRAM_BOT_MODE"] == "webhook"
    assert values["CLIENT_PORT"] == "80"
    assert values["TRUSTED_PROXY_COUNT"] == "1"
    assert values["NAME_MODERATION"] == "pre"
    assert values["WEB_CONCURRENCY"] == "5"
    assert values["SECRET_KEY"] == "x" * 50
    assert "COMPOSE_PROFILES" not in values


def test_render_env_puts_nginx_behind_caddy_with_the_https_profile(tmp_path: Path) -> None:
    result, output = render_env(tmp_path, {**DEPLOY_INPUTS, "COMPOSE_PROFILES": "https"})
    assert result.returncode == 0, result.stderr
    values = parse_env(output)
    assert values["CLIENT_PORT"] == "127.0.0.1:8080"
    assert values["TRUSTED_PROXY_COUNT"] == "2"
    assert values["COMPOSE_PROFILES"] == "https"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"SECRET_KEY": ""}, "secret SECRET_KEY is empty"),
        ({"POSTGRES_PASSWORD": " "}, "secret POSTGRES_PASSWORD is empty"),
        ({"PUBLIC_HOST": "https://game.example.com/"}, "PUBLIC_HOST must be a bare host name"),
        ({"TELEGRAM_WEBHOOK_SECRET": ""}, "TELEGRAM_WEBHOOK_SECRET must be 32-256"),
        ({"TELEGRAM_WEBHOOK_SECRET": "a" * 31}, "TELEGRAM_WEBHOOK_SECRET must be 32-256"),
        ({"REDIS_PASSWORD": ""}, "secret REDIS_PASSWORD is empty"),
        ({"TELEGRAM_BOT_MODE": "push"}, "TELEGRAM_BOT_MODE must be polling or webhook"),
        ({"POSTGRES_PASSWORD": "it's"}, "POSTGRES_PASSWORD holds a quote"),
        ({"EXTRA_ENV": "lowercase=1"}, "EXTRA_ENV line 1 is not KEY=value"),
        ({"EXTRA_ENV": "SECRET_KEY=other"}, "EXTRA_ENV line 1 sets SECRET_KEY a second time"),
    ],
)
def test_render_env_refuses_unusable_inputs_and_writes_nothing(
    tmp_path: Path, change: dict[str, str], problem: str
) -> None:
    result, output = render_env(tmp_path, {**DEPLOY_INPUTS, **change})
    assert result.returncode == 1
    assert problem in result.stderr
    assert not output.exists()


def test_polling_mode_needs_no_webhook_secret(tmp_path: Path) -> None:
    inputs = {**DEPLOY_INPUTS, "TELEGRAM_BOT_MODE": "polling", "TELEGRAM_WEBHOOK_SECRET": ""}
    result, output = render_env(tmp_path, inputs)
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_WEBHOOK_SECRET" not in parse_env(output)


def test_rendered_env_resolves_in_compose_with_literal_values(tmp_path: Path) -> None:
    inputs = {**DEPLOY_INPUTS, "SECRET_KEY": "with$dollar-and #hash" + "k" * 30}
    result, output = render_env(tmp_path, inputs)
    assert result.returncode == 0, result.stderr
    resolved = compose_config(tmp_path / "stack", output.read_text())
    assert resolved.returncode == 0, resolved.stderr
    web = yaml.safe_load(resolved.stdout)["services"]["web"]["environment"]
    # `config` prints a compose file again, where a literal `$` is written `$$`.
    assert web["SECRET_KEY"].replace("$$", "$") == inputs["SECRET_KEY"]
    assert web["DATABASE_URL"] == "postgres://clickgame:abc123@db:5432/clickgame"
    assert web["REDIS_URL"] == "redis://:def456@redis:6379/0"
    assert web["TELEGRAM_WEBHOOK_URL"] == "https://game.example.com/telegram/webhook"


# --- release bundle and the server-side deploy script --------------------------------------------


def dockerfile_copy_sources(path: Path) -> set[str]:
    """Build-context paths a Dockerfile COPYs (COPY --from=stage copies from a stage, not files)."""
    sources: set[str] = set()
    for line in path.read_text().splitlines():
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        sources.update(w.rstrip("/") for w in words[1:-1] if not w.startswith("--"))
    return sources


def test_bundle_holds_what_the_images_need_and_no_more(tmp_path: Path) -> None:
    if run(["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT).returncode != 0:
        pytest.skip("not a git checkout: the bundle is made from committed files")
    result = run(["sh", str(DEPLOY / "bundle.sh"), str(tmp_path / "release.tar.gz")], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    with tarfile.open(tmp_path / "release.tar.gz") as bundle:
        names = {name.rstrip("/") for name in bundle.getnames()}
    needed = dockerfile_copy_sources(ROOT / "Dockerfile")
    needed |= dockerfile_copy_sources(DEPLOY / "client.Dockerfile")
    needed -= {"."}
    needed |= {
        "docker-compose.yml",
        ".dockerignore",
        "manage.py",
        "deploy/run-bot.sh",
        "deploy/healthcheck.py",
        "deploy/gunicorn.conf.py",
        "deploy/remote-deploy.sh",
        "clickgame/settings.py",
        "players/models.py",
    }
    assert needed <= names, f"missing from the bundle: {sorted(needed - names)}"
    unwanted = [
        name
        for name in names
        if name.startswith((".github", "docs", ".ci", "e2e"))
        or "/tests/" in f"/{name}/"
        or name.endswith(".md")
        or Path(name).name.startswith(".env")
        or name == "requirements/dev.txt"
    ]
    assert unwanted == []


FAKE_DOCKER = """#!/bin/sh
echo "docker $*" >> "$FAKE_DOCKER_LOG"
case "$*" in
  "compose version") exit 0 ;;
  "compose up"*) exit "${FAKE_UP_EXIT:-0}" ;;
  "compose exec"*)
    count=$(($(cat "$FAKE_READY_COUNT" 2>/dev/null || echo 0) + 1))
    echo "$count" > "$FAKE_READY_COUNT"
    if [ "$count" -ge "${FAKE_READY_AFTER:-1}" ]; then echo '{"status": "ok"}'; exit 0; fi
    echo "wget: server returned error: HTTP/1.1 502 Bad Gateway"; exit 1 ;;
  "compose ps"*) echo "NAME STATUS"; exit 0 ;;
  "compose logs"*) echo "web-1 | Traceback: boom"; exit 0 ;;
  *) exit 0 ;;
esac
"""


@pytest.fixture
def server_dir(tmp_path: Path) -> dict[str, Any]:
    """A DEPLOY_PATH with an incoming release and a `docker` stand-in on PATH."""
    deploy_path = tmp_path / "srv"
    incoming = deploy_path / "incoming"
    incoming.mkdir(parents=True)
    source = tmp_path / "source"
    source.mkdir()
    (source / "docker-compose.yml").write_text("services: {}\n")
    with tarfile.open(incoming / "r1.tar.gz", "w:gz") as bundle:
        bundle.add(source / "docker-compose.yml", arcname="docker-compose.yml")
    (incoming / "r1.env").write_text("ALLOWED_HOSTS='game.example.com'\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_DOCKER_LOG": str(tmp_path / "docker.log"),
        "FAKE_READY_COUNT": str(tmp_path / "ready.count"),
        "READY_INTERVAL": "0",
        "READY_ATTEMPTS": "4",
    }
    return {"path": deploy_path, "env": env, "log": tmp_path / "docker.log"}


def remote_deploy(server: dict[str, Any], **extra: str) -> subprocess.CompletedProcess[str]:
    script = str(DEPLOY / "remote-deploy.sh")
    return run(["bash", script, str(server["path"]), "r1"], env={**server["env"], **extra})


def test_remote_deploy_unpacks_starts_and_waits_for_ready(server_dir: dict[str, Any]) -> None:
    result = remote_deploy(server_dir, FAKE_READY_AFTER="3")
    assert result.returncode == 0, result.stderr
    current = server_dir["path"] / "current"
    assert current.is_symlink()
    assert os.readlink(current) == "releases/r1"
    assert (current / "docker-compose.yml").exists()
    assert stat.S_IMODE((current / ".env").stat().st_mode) == 0o600
    assert list((server_dir["path"] / "incoming").iterdir()) == []
    calls = server_dir["log"].read_text().splitlines()
    assert "docker compose up --detach --build --remove-orphans" in calls
    ready_calls = [c for c in calls if c.startswith("docker compose exec")]
    assert len(ready_calls) == 3
    assert "Host: game.example.com" in ready_calls[0]
    assert "ready after 3 attempt(s)" in result.stdout


def test_remote_deploy_fails_loudly_when_ready_never_answers(server_dir: dict[str, Any]) -> None:
    result = remote_deploy(server_dir, FAKE_READY_AFTER="99")
    assert result.returncode == 1
    calls = server_dir["log"].read_text().splitlines()
    assert len([c for c in calls if c.startswith("docker compose exec")]) == 4
    assert any(c.startswith("docker compose logs") for c in calls)
    assert "/ready did not answer 200 after 4 attempts" in result.stderr
    # The service logs (player ids, IP addresses) stay on the server, out of the CI log.
    assert "Traceback: boom" not in result.stdout + result.stderr
    saved = server_dir["path"] / "logs" / "r1.log"
    assert "Traceback: boom" in saved.read_text()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert str(saved) in result.stdout


def test_remote_deploy_fails_loudly_when_compose_up_fails(server_dir: dict[str, Any]) -> None:
    result = remote_deploy(server_dir, FAKE_UP_EXIT="1")
    assert result.returncode == 1
    calls = server_dir["log"].read_text().splitlines()
    assert not any(c.startswith("docker compose exec") for c in calls)
    assert any(c.startswith("docker compose ps") for c in calls)
    assert "docker compose up did not bring the stack up" in result.stderr
    assert "Traceback: boom" not in result.stdout + result.stderr


# --- PostgreSQL backup and restore (the commands in docs/deploy.md) ------------------------------


def documented_backup_commands() -> tuple[str, str]:
    """The pg_dump and pg_restore commands docs/deploy.md runs inside the db container."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    dump = re.search(r"docker compose exec -T db sh -c '(pg_dump [^']+)' >", text)
    restore = re.search(r"docker compose exec -T db sh -c '(pg_restore [^']+)' <", text)
    assert dump and restore, "docs/deploy.md lost its backup or restore command"
    return dump.group(1), restore.group(1)


def database_fingerprint(connection: Any) -> dict[str, Any]:
    """Each public table's row count and content hash, and the schema's indexes and constraints."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        tables = [row[0] for row in cursor.fetchall()]
        contents = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "  # noqa: S608 (names from pg_tables)
                f'FROM "{table}" t'
            )
            contents[table] = cursor.fetchone()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1"
        )
        constraints = cursor.fetchall()
    return {"contents": contents, "indexes": indexes, "constraints": constraints}


@pytest.mark.postgres
def test_documented_pg_dump_and_pg_restore_round_trip_the_database(tmp_path: Path) -> None:
    import psycopg  # only this test talks to PostgreSQL directly
    from psycopg import sql

    url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql"):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if not pg_dump or not pg_restore:
        pytest.skip("pg_dump is not installed: apt-get install postgresql-client")
    server = {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "user": urllib.parse.unquote(url.username or "postgres"),
        "password": urllib.parse.unquote(url.password or ""),
    }
    admin = psycopg.connect(dbname="postgres", autocommit=True, **server)
    version = re.search(r"\(PostgreSQL\) (\d+)", run([pg_dump, "--version"]).stdout)
    assert version, "pg_dump --version printed no version"
    client_major = int(version.group(1))
    server_major = admin.info.server_version // 10000
    if client_major < server_major:
        admin.close()
        pytest.skip(f"pg_dump {client_major} cannot dump a PostgreSQL {server_major} server")

    base_name = url.path.lstrip("/") or "clickgame"
    source, fresh = f"{base_name}_backup_src", f"{base_name}_backup_dst"
    dump_command, restore_command = documented_backup_commands()
    auth = {
        "PGHOST": server["host"],
        "PGPORT": str(server["port"]),
        "PGPASSWORD": server["password"],
    }
    shell_env = {"PATH": os.environ["PATH"], "POSTGRES_USER": server["user"], **auth}

    def recreate(name: str) -> None:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    try:
        recreate(source)
        recreate(fresh)
        source_url = url._replace(path=f"/{source}").geturl()
        django_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        django_env["DATABASE_URL"] = source_url
        django_env["DEBUG"] = "True"  # development settings (DEBUG is off unless set)
        for command in (["migrate", "--noinput"], ["seed_players", "--count", "40", "--seed", "7"]):
            done = run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=django_env, timeout=300
            )
            assert done.returncode == 0, done.stdout + done.stderr
        with psycopg.connect(dbname=source, **server) as connection:
            before = database_fingerprint(connection)
        assert before["contents"]["players_player"][0] == 40

        dump_file = tmp_path / "clickgame.dump"
        with dump_file.open("wb") as out:
            dumped = subprocess.run(
                ["sh", "-c", dump_command],
                env={**shell_env, "POSTGRES_DB": source},
                stdout=out,
                stderr=subprocess.PIPE,
                timeout=300,
                check=False,
            )
        assert dumped.returncode == 0, dumped.stderr
        assert dump_file.read_bytes()[:5] == b"PGDMP", "not a custom-format archive"

        with psycopg.connect(dbname=source, autocommit=True, **server) as connection:
            connection.execute("UPDATE players_player SET clicks = clicks + 1")
            connection.execute("DELETE FROM clicks_clickday")
            connection.execute("CREATE TABLE stray (id int)")
            assert database_fingerprint(connection)["contents"] != before["contents"]

        for target in (source, fresh):
            with dump_file.open("rb") as archive:
                restored = subprocess.run(
                    ["sh", "-c", restore_command],
                    env={**shell_env, "POSTGRES_DB": target},
                    stdin=archive,
                    capture_output=True,
                    timeout=300,
                    check=False,
                )
            assert restored.returncode == 0, restored.stderr
            with psycopg.connect(dbname=target, autocommit=True, **server) as connection:
                after = database_fingerprint(connection)
                after["contents"].pop("stray", None)  # --clean drops only what the dump holds
                assert after == before, f"restore into {target} differs from the backup"
                top = connection.execute("SELECT max(id) FROM players_player").fetchone()[0]
                new_id = connection.execute(
                    "SELECT nextval(pg_get_serial_sequence('players_player', 'id'))"
                ).fetchone()[0]
                assert new_id > top, "the id sequence was not restored"
    finally:
        for name in (source, fresh):
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()
