"""Delivery: what runs inside the backend image. The gunicorn config, the readiness healthcheck,
the bot container's runner and the deploy shell scripts (ShellCheck)."""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.tests.delivery import (
    DEPLOY,
    ROOT,
    VENV_BIN,
    GunicornStandIn,
    free_port,
    gunicorn_stand_in,
    load_module,
    run,
)


@pytest.fixture
def upstream() -> Iterator[GunicornStandIn]:
    """A stand-in for gunicorn (see `gunicorn_stand_in`)."""
    with gunicorn_stand_in() as stand_in:
        yield stand_in


# --- gunicorn -----------------------------------------------------------------------------------


def test_gunicorn_config_takes_workers_from_the_cpu_count(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_default")
    assert config.workers == 2 * config.usable_cpus() + 1
    assert config.usable_cpus() == len(os.sched_getaffinity(0)) or config.cpu_quota() is not None
    assert config.max_requests == 1000
    assert 0 < config.max_requests_jitter < config.max_requests
    assert config.timeout == 30
    assert config.accesslog == "-"
    assert config.errorlog == "-"

    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")
    assert config.cpu_quota(quota) == 2
    assert config.usable_cpus(quota) == min(2, len(os.sched_getaffinity(0)))
    quota.write_text("max 100000\n")
    assert config.cpu_quota(quota) is None
    assert config.cpu_quota(tmp_path / "absent") is None
    assert config.default_workers(4) == 9


def test_gunicorn_config_obeys_web_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "500")
    config = load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_env")
    assert config.workers == 3
    assert config.max_requests == 500
    assert config.max_requests_jitter == 50

    monkeypatch.setenv("WEB_CONCURRENCY", "0")
    with pytest.raises(ValueError, match="WEB_CONCURRENCY must be a positive integer"):
        load_module(DEPLOY / "gunicorn.conf.py", "gunicorn_conf_bad")


def test_gunicorn_serves_ready_and_drains_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env |= {
        "DEBUG": "True",  # the development settings (DEBUG is off unless set)
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ready.sqlite3'}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    probe_env = {**env, "HEALTHCHECK_ADDRESS": f"127.0.0.1:{port}", "ALLOWED_HOSTS": ""}
    try:
        deadline = time.monotonic() + 30
        probe = run([sys.executable, "deploy/healthcheck.py"], cwd=ROOT, env=probe_env)
        while probe.returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.3)
            probe = run([sys.executable, "deploy/healthcheck.py"], cwd=ROOT, env=probe_env)
        assert probe.returncode == 0, probe.stdout
        assert '"status": "ok"' in probe.stdout
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=40)
    assert server.returncode == 0, output
    assert "Booting worker" in output
    assert "Shutting down" in output or "Handling signal: term" in output


# --- healthcheck --------------------------------------------------------------------------------


def test_healthcheck_asks_ready_with_an_allowed_host(upstream: Any) -> None:
    server, handler = upstream
    healthcheck = load_module(DEPLOY / "healthcheck.py", "healthcheck_mod")
    address = f"127.0.0.1:{server.server_address[1]}"

    ready, summary = healthcheck.check(address=address, allowed_hosts=".example.com, game.example")
    assert ready, summary
    assert handler.received[-1]["path"] == "/ready"
    assert handler.received[-1]["headers"]["Host"] == "example.com"

    handler.status = 503
    ready, summary = healthcheck.check(address=address, allowed_hosts="*")
    assert not ready
    assert "503" in summary
    assert handler.received[-1]["headers"]["Host"] == "localhost"


def test_healthcheck_fails_when_nothing_listens() -> None:
    healthcheck = load_module(DEPLOY / "healthcheck.py", "healthcheck_down")
    ready, summary = healthcheck.check(address=f"127.0.0.1:{free_port()}", allowed_hosts="a.b")
    assert not ready
    assert "unreachable" in summary


# --- the bot container --------------------------------------------------------------------------


def stub_bin(directory: Path, calls: Path, name: str, exit_code: int = 0) -> None:
    """A fake executable that appends its name and arguments to `calls` and exits."""
    script = directory / name
    script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit {exit_code}\n')
    script.chmod(0o755)


@pytest.mark.parametrize(
    ("mode", "python_exit", "expected_calls", "expected_exit"),
    [
        ("polling", 0, ["python manage.py runbot"], 0),
        ("webhook", 0, ["python manage.py runbot", "sleep infinity"], 0),
        ("webhook", 1, ["python manage.py runbot"], 1),
    ],
)
def test_bot_container_polls_or_registers_the_webhook_then_idles(
    tmp_path: Path, mode: str, python_exit: int, expected_calls: list[str], expected_exit: int
) -> None:
    calls = tmp_path / "calls"
    stub_bin(tmp_path, calls, "python", python_exit)
    stub_bin(tmp_path, calls, "sleep")
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "TELEGRAM_BOT_MODE": mode}
    result = run(["sh", str(DEPLOY / "run-bot.sh")], env=env, timeout=30)
    assert result.returncode == expected_exit
    assert calls.read_text().splitlines() == expected_calls


# --- shell scripts ------------------------------------------------------------------------------


def test_deploy_shell_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("ShellCheck is not installed: apt-get install shellcheck")
    scripts = sorted(DEPLOY.glob("*.sh"))
    assert len(scripts) >= 4
    result = run([shellcheck, *map(str, scripts)])
    assert result.returncode == 0, result.stdout
    envsh = run([shellcheck, "--shell=sh", str(DEPLOY / "nginx-admin-path.envsh")])
    assert envsh.returncode == 0, envsh.stdout
