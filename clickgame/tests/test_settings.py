"""Settings from the environment: embedded default, production guards, documented variables."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "prod-" + "k3y-" * 16,
    "TELEGRAM_BOT_TOKEN": "7000000001:AAE-production-like-token",
    "ALLOWED_HOSTS": "game.example.com",
}
ENV_READERS = {"str", "bool", "int", "list", "db_url", "float", "url", "cache_url", "json"}


def settings_env_reads() -> set[str]:
    """Every variable name settings.py reads through django-environ's `env`."""
    tree = ast.parse((ROOT / "clickgame" / "settings.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env_call = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
            and func.attr in ENV_READERS
        )
        first = node.args[0]
        if is_env_call and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def documented_variables() -> dict[str, str]:
    """Variables in .env.example mapped to the comment line just above each."""
    documented: dict[str, str] = {}
    comment = ""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("#"):
            comment = line.lstrip("# ").strip()
        elif match := re.match(r"^([A-Z][A-Z0-9_]*)=", line):
            documented[match.group(1)] = comment
            comment = ""
    return documented


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean["DJANGO_SETTINGS_MODULE"] = "clickgame.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_settings_read_only_documented_variables() -> None:
    reads = settings_env_reads()
    assert len(reads) > 10, "the AST scan found too few env reads; is it still looking?"
    missing = sorted(reads - set(documented_variables()))
    assert missing == [], f"add these to .env.example with a comment: {missing}"


def test_every_documented_variable_has_a_comment() -> None:
    uncommented = [name for name, comment in documented_variables().items() if not comment]
    assert uncommented == []


def make_run_environment() -> dict[str, str]:
    """What `make run` exports to the dev server (the Makefile's DEBUG and DEV_BOT_TOKEN)."""
    makefile = (ROOT / "Makefile").read_text()
    token = re.search(r"^DEV_BOT_TOKEN \?= (\S+)$", makefile, re.M)
    assert token, "the Makefile no longer gives the dev server a DEV_BOT_TOKEN"
    assert re.search(r"^[a-z ]*\brun\b[a-z ]*: export DEBUG = True$", makefile, re.M)
    return {"DEBUG": "True", "DEV_BOT_TOKEN": token.group(1)}


def test_embedded_default_needs_no_environment_beyond_make_run() -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "from telegram_auth.authentication import initdata_bot_token as t; "
        "print(json.dumps([s.DEBUG, s.DATABASES['default']['ENGINE'], "
        "s.CACHES['default']['BACKEND'], s.TELEGRAM_BOT_TOKEN, t()]))"
    )
    env = make_run_environment()
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    debug, engine, cache, bot_token, checked_with = json.loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert debug is True
    assert engine == "django.db.backends.sqlite3"
    assert cache.endswith("LocMemCache")
    # No real token: initData is checked with the dev token the dev sign-in signs with.
    assert (bot_token, checked_with) == ("", env["DEV_BOT_TOKEN"])


def test_debug_is_off_unless_asked_for() -> None:
    result = run_python("import django; django.setup()", {})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "when DEBUG is off" in result.stderr


def test_production_refuses_a_short_secret_key() -> None:
    result = run_python("import django; django.setup()", {**PRODUCTION, "SECRET_KEY": "k" * 49})
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr
    assert run_python("import django; django.setup()", PRODUCTION).returncode == 0


@pytest.mark.parametrize("secret", ["x", "a" * 31])
def test_a_short_webhook_secret_refuses_to_start(secret: str) -> None:
    env = {**PRODUCTION, "TELEGRAM_WEBHOOK_SECRET": secret}
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "TELEGRAM_WEBHOOK_SECRET must be at least 32 characters" in result.stderr
    ok = {**PRODUCTION, "TELEGRAM_WEBHOOK_SECRET": "a" * 32}
    assert run_python("import django; django.setup()", ok).returncode == 0


def test_service_urls_switch_to_postgresql_and_redis() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])"
    )
    env = {
        "DEBUG": "True",
        "DATABASE_URL": "postgres://u@db:5432/x",
        "REDIS_URL": "redis://cache:6379/0",
    }
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "django_redis.cache.RedisCache",
    ]


@pytest.mark.parametrize("variable", ["SECRET_KEY", "TELEGRAM_BOT_TOKEN", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_required_variable(variable: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != variable}
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert f"{variable} must be set when DEBUG is off" in result.stderr


def test_production_passes_the_deploy_check() -> None:
    code = (
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    result = run_python(code, PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_logs_are_json_lines() -> None:
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('clickgame.test').warning('hello %s', 'world')"
    )
    result = run_python(code, PRODUCTION)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello world"
    assert record["level"] == "WARNING"
    assert record["logger"] == "clickgame.test"


def test_development_logs_are_readable_lines() -> None:
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('clickgame.test').warning('hello')"
    )
    result = run_python(code, {"DEBUG": "True"})
    line = result.stderr.strip().splitlines()[-1]
    assert "WARNING" in line and "clickgame.test: hello" in line
    assert not line.startswith("{")


def run_manage(
    *args: str, env: dict[str, str], python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [*(python or (sys.executable,)), "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_config_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("clickgame: configuration error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_empty_database_url_means_the_sqlite_default() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'])"
    )
    env = {"DEBUG": "True", "DATABASE_URL": "", "REDIS_URL": "", "DB_CONN_MAX_AGE": ""}
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    engine, name = result.stdout.split()
    assert (engine, Path(name)) == ("django.db.backends.sqlite3", ROOT / "db.sqlite3")


def test_every_value_of_env_example_starts_the_embedded_default() -> None:
    copied = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if match := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line):
            copied[match.group(1)] = match.group(2)
    # .env.example ships DEBUG off; `make run` turns it on with its dev token.
    result = run_manage("check", env={**copied, **make_run_environment()})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "garbage", "postgres://user:password@127.0.0.1:5432/clickgame"),
        ("DATABASE_URL", "postgres://u@db:port/x", "postgres://user:password@"),
        ("MAX_CLICKS_PER_SECOND", "abc", "must be a whole number, e.g. 20 (got 'abc')"),
        ("MAX_CLICKS_PER_SECOND", "0", "must be 1 or more (got 0)"),
        ("DEBUG", "yesplease", "must be True or False (got 'yesplease')"),
        ("REDIS_URL", "localhost:6379", "redis://127.0.0.1:6379/0"),
        ("NAME_MODERATION", "later", "must be 'pre' or 'post' (got 'later')"),
        ("CLICK_SYNC_RATE", "lots", "a rate such as 5/h"),
        ("LOG_LEVEL", "loud", "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ("TELEGRAM_BOT_MODE", "push", "'polling' or 'webhook'"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it(variable: str, value: str, expected: str) -> None:
    result = run_manage("check", env={"DEBUG": "True", variable: value})
    assert_one_line_config_error(result, variable, expected)


def test_production_lists_every_missing_variable_at_once() -> None:
    result = run_manage("check", env={"DEBUG": "False"})
    assert_one_line_config_error(
        result, "SECRET_KEY, TELEGRAM_BOT_TOKEN and ALLOWED_HOSTS must all be set when DEBUG is off"
    )


@pytest.mark.parametrize("module", ["clickgame.wsgi", "clickgame.asgi"])
def test_server_entry_points_report_a_config_error_in_one_line(module: str) -> None:
    result = run_python(f"import {module}", {"DEBUG": "True", "MAX_CLICKS_PER_SYNC": "many"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "clickgame: configuration error: MAX_CLICKS_PER_SYNC must be a whole number, "
        "e.g. 1000 (got 'many')."
    ]


def test_server_starts_with_a_warning_when_redis_is_unreachable() -> None:
    # Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
    code = "import clickgame.wsgi as w; print(callable(w.application))"
    result = run_python(code, {"DEBUG": "True", "REDIS_URL": "redis://:secret@127.0.0.1:9/0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    warning = [line for line in result.stderr.splitlines() if "core.startup" in line]
    assert len(warning) == 1 and "WARNING" in warning[0]
    assert "Redis at redis://:***@127.0.0.1:9/0 is unreachable" in warning[0]
    assert "secret" not in result.stderr


def test_manage_py_without_django_gives_the_virtualenv_hint() -> None:
    # -S leaves out site-packages: the interpreter sees no Django, like a python outside .venv.
    result = run_manage("check", env={"DEBUG": "True"}, python=(sys.executable, "-S"))
    assert result.returncode == 1
    assert "Did you forget to activate a virtual environment?" in result.stderr
    assert ".venv/bin/python manage.py" in result.stderr
    assert "Traceback" not in result.stderr


def test_development_logs_print_each_record_once() -> None:
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('Not Found: /nowhere')"
    )
    result = run_python(code, {"DEBUG": "True"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /nowhere") == 1


def test_init_data_lives_six_hours_by_default() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.INITDATA_MAX_AGE)"
    )
    result = run_python(code, make_run_environment())
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) == 6 * 60 * 60


def test_a_plain_http_trial_still_passes_the_strict_deploy_check() -> None:
    code = (
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    trial = {**PRODUCTION, "SECURE_SSL_REDIRECT": "False"}
    result = run_python(code, trial)
    assert result.returncode == 0, result.stdout + result.stderr
    # Only that one opt-out is silenced: a short HSTS is still a warning that stops the deploy.
    result = run_python(code, {**trial, "SECURE_HSTS_SECONDS": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
