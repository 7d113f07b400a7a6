"""Each metric moves when its event happens, and only allowed clients can read them."""

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from prometheus_client import REGISTRY
from redis.exceptions import ConnectionError as RedisConnectionError

from core import metrics
from core.errors import ServiceUnavailable


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client: Client, **extra: Any) -> Any:
    return client.get("/metrics", REMOTE_ADDR=extra.pop("REMOTE_ADDR", "127.0.0.1"), **extra)


# --- who may read /metrics ------------------------------------------------------------------


def test_loopback_client_reads_prometheus_text() -> None:
    response = scrape(Client())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for name in ("clickgame_syncs_total", "clickgame_request_seconds", "clickgame_board_ready"):
        assert f"# TYPE {name}" in body


@pytest.mark.parametrize("address", ["203.0.113.5", "10.0.0.7", "::ffff:8.8.8.8", "not-an-ip"])
def test_other_clients_get_a_plain_404(address: str) -> None:
    response = scrape(Client(), REMOTE_ADDR=address)
    assert response.status_code == 404
    assert b"clickgame_" not in response.content


@pytest.mark.parametrize("header", ["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED"])
def test_a_proxy_on_loopback_forwarding_someone_is_refused(header: str) -> None:
    response = scrape(Client(), **{header: "203.0.113.5"})
    assert response.status_code == 404


def test_the_metrics_token_lets_a_remote_scraper_in_and_nothing_else(settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    remote = {"REMOTE_ADDR": "203.0.113.5"}
    good = scrape(Client(), HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789", **remote)
    assert good.status_code == 200
    assert b"clickgame_syncs_total" in good.content
    for wrong in ("Bearer scrape-secret", "Bearer ", "Basic scrape-secret-0123456789", ""):
        assert scrape(Client(), HTTP_AUTHORIZATION=wrong, **remote).status_code == 404


def test_no_token_configured_means_no_bearer_gets_in(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    response = scrape(Client(), REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_metrics_only_answer_get() -> None:
    assert Client().post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405


# --- requests ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_answer_is_timed_and_counted_by_endpoint_and_status(client_for: Any) -> None:
    timed = sample("clickgame_request_seconds_count", endpoint="me", method="GET")
    ok = sample("clickgame_responses_total", endpoint="me", status="200")
    unauthorised = sample("clickgame_responses_total", endpoint="me", status="401")
    assert client_for(9001).get("/api/me").status_code == 200
    assert Client().get("/api/me").status_code == 401
    assert sample("clickgame_request_seconds_count", endpoint="me", method="GET") == timed + 2
    assert sample("clickgame_responses_total", endpoint="me", status="200") == ok + 1
    assert sample("clickgame_responses_total", endpoint="me", status="401") == unauthorised + 1


def test_unrouted_paths_share_one_label() -> None:
    before = sample("clickgame_responses_total", endpoint="unrouted", status="404")
    Client().get("/no-such-page-a")
    Client().get("/api/no-such-endpoint-b")
    assert sample("clickgame_responses_total", endpoint="unrouted", status="404") == before + 2


# --- syncs ------------------------------------------------------------------------------------


def sync(client: Any, seq: int, count: int) -> Any:
    return client.post("/api/clicks", {"seq": seq, "count": count}, format="json")


@pytest.mark.django_db
def test_a_sync_answered_503_counts_as_unavailable(client_for: Any) -> None:
    before = sample("clickgame_syncs_total", outcome="unavailable")
    with mock.patch("clicks.apis.clicks_sync", side_effect=ServiceUnavailable()):
        assert sync(client_for(9002), 1, 5).status_code == 503
    assert sample("clickgame_syncs_total", outcome="unavailable") == before + 1


@pytest.mark.django_db
def test_a_sync_answered_429_counts_as_rate_limited(client_for: Any, settings: Any) -> None:
    settings.CLICK_SYNC_RATE = "1/m"
    client = client_for(9003)
    before = sample("clickgame_syncs_total", outcome="rate_limited")
    statuses = [sync(client, seq, 1).status_code for seq in (1, 2, 3)]
    assert 429 in statuses
    assert sample("clickgame_syncs_total", outcome="rate_limited") == before + statuses.count(429)


def test_sync_outcomes_and_click_fates_are_counted() -> None:
    applied = sample("clickgame_syncs_total", outcome="applied")
    duplicate = sample("clickgame_syncs_total", outcome="duplicate")
    accepted = sample("clickgame_sync_clicks_total", fate="accepted")
    rejected = sample("clickgame_sync_clicks_total", fate="rejected")
    metrics.sync_answered(duplicate=False, accepted=7, rejected=3)
    metrics.sync_answered(duplicate=True, accepted=0, rejected=0)
    assert sample("clickgame_syncs_total", outcome="applied") == applied + 1
    assert sample("clickgame_syncs_total", outcome="duplicate") == duplicate + 1
    assert sample("clickgame_sync_clicks_total", fate="accepted") == accepted + 7
    assert sample("clickgame_sync_clicks_total", fate="rejected") == rejected + 3


@pytest.mark.django_db
def test_applied_duplicate_and_rejected_syncs_are_counted_by_the_sync_itself(
    client_for: Any, settings: Any
) -> None:
    settings.MAX_CLICKS_PER_SECOND, settings.CLICK_BURST_SECONDS = 1, 5
    client = client_for(9005)
    applied = sample("clickgame_syncs_total", outcome="applied")
    duplicate = sample("clickgame_syncs_total", outcome="duplicate")
    accepted = sample("clickgame_sync_clicks_total", fate="accepted")
    rejected = sample("clickgame_sync_clicks_total", fate="rejected")
    first = sync(client, 1, 3).json()
    assert sync(client, 1, 3).json()["duplicate"] is True
    over = sync(client, 2, 500).json()
    assert over["rejected"] > 0
    assert sample("clickgame_syncs_total", outcome="applied") == applied + 2
    assert sample("clickgame_syncs_total", outcome="duplicate") == duplicate + 1
    assert sample("clickgame_sync_clicks_total", fate="accepted") == (
        accepted + first["accepted"] + over["accepted"]
    )
    assert sample("clickgame_sync_clicks_total", fate="rejected") == rejected + over["rejected"]


@pytest.mark.django_db(transaction=True)
def test_a_board_rebuild_is_counted_and_marks_the_board_ready(settings: Any) -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    from leaderboard import live
    from leaderboard.rebuild import board_rebuild

    metrics.board_ready(False)
    done = sample("clickgame_board_rebuilds_total", result="done")
    board_rebuild(client=live.redis_client(), settle_seconds=0)
    assert sample("clickgame_board_rebuilds_total", result="done") == done + 1
    assert sample("clickgame_board_ready") == 1


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_keeper_serves_its_metrics_on_its_own_port() -> None:
    port = next(p for p in range(18480, 18500) if port_is_free(p))
    metrics.serve_metrics(port)
    metrics.board_reconciled(repaired=1)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        body = answer.read().decode()
    assert 'clickgame_board_repairs_total{source="reconcile"}' in body


# --- board and backends -----------------------------------------------------------------------


def test_board_rebuilds_repairs_and_readiness_are_reported() -> None:
    done = sample("clickgame_board_rebuilds_total", result="done")
    failed = sample("clickgame_board_rebuilds_total", result="failed")
    by_rebuild = sample("clickgame_board_repairs_total", source="rebuild")
    by_reconcile = sample("clickgame_board_repairs_total", source="reconcile")
    metrics.board_rebuilt(ok=True, repaired=4)
    metrics.board_rebuilt(ok=False)
    metrics.board_reconciled(repaired=2)
    metrics.board_reconciled(repaired=0)
    assert sample("clickgame_board_rebuilds_total", result="done") == done + 1
    assert sample("clickgame_board_rebuilds_total", result="failed") == failed + 1
    assert sample("clickgame_board_repairs_total", source="rebuild") == by_rebuild + 4
    assert sample("clickgame_board_repairs_total", source="reconcile") == by_reconcile + 2
    metrics.board_ready(False)
    assert sample("clickgame_board_ready") == 0
    metrics.board_ready(True)
    assert sample("clickgame_board_ready") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("failure", "backend"),
    [
        (OperationalError("connection refused"), "database"),
        (RedisConnectionError("connection refused"), "redis"),
    ],
)
def test_backend_errors_behind_a_503_are_counted_by_backend(
    client_for: Any, failure: Exception, backend: str
) -> None:
    before = sample("clickgame_backend_errors_total", backend=backend)
    wrapped = ServiceUnavailable()
    wrapped.__cause__ = failure
    for raised in (failure, wrapped):
        with mock.patch("clicks.apis.clicks_sync", side_effect=raised):
            assert sync(client_for(9004), 1, 1).status_code == 503
    assert sample("clickgame_backend_errors_total", backend=backend) == before + 2


def test_errors_that_are_not_backend_failures_are_not_counted() -> None:
    before = {b: sample("clickgame_backend_errors_total", backend=b) for b in ("database", "redis")}
    metrics.backend_error_seen(ValueError("bad input"))
    metrics.backend_error_seen(ServiceUnavailable())
    after = {b: sample("clickgame_backend_errors_total", backend=b) for b in ("database", "redis")}
    assert after == before


# --- several processes (gunicorn workers) ------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent.parent
WORKER = """
import django
django.setup()
from core import metrics
metrics.sync_answered(duplicate=False, accepted=5, rejected=1)
metrics.board_ready({ready})
"""


def run_python(code: str, *, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def worker_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "clickgame.settings",
        **extra,
    }


def test_workers_samples_are_added_up_in_one_scrape(tmp_path: Path) -> None:
    samples = tmp_path / "metrics"
    samples.mkdir()
    env = worker_env(PROMETHEUS_MULTIPROC_DIR=str(samples))
    run_python(WORKER.format(ready="False"), cwd=tmp_path, env=env)
    run_python(WORKER.format(ready="True"), cwd=tmp_path, env=env)
    scrape_code = "import django; django.setup(); from core import metrics; "
    scrape_code += "print(metrics.exposition().decode())"
    done = subprocess.run(
        [sys.executable, "-c", scrape_code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert 'clickgame_syncs_total{outcome="applied"} 2.0' in lines
    assert 'clickgame_sync_clicks_total{fate="accepted"} 10.0' in lines
    # The most recent report wins: the second worker found the board ready.
    assert "clickgame_board_ready 1.0" in lines


def test_an_empty_multiprocess_dir_means_unset_and_writes_no_files(tmp_path: Path) -> None:
    run_python(
        WORKER.format(ready="True"), cwd=tmp_path, env=worker_env(PROMETHEUS_MULTIPROC_DIR="")
    )
    assert list(tmp_path.iterdir()) == []
