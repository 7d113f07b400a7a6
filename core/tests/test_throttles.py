"""The per-player read throttle: generous, 429 with Retry-After, and harmless when Redis is down."""

import logging

import pytest
from django.core.cache import caches
from django_redis.exceptions import ConnectionInterrupted

from core.throttles import parse_rate, read_throttle_pause
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db
READS = ["/api/me", "/api/leaderboard", "/api/user/{id}"]


def test_rates_parse_like_django_ratelimit() -> None:
    assert parse_rate("240/m") == (240, 60)
    assert parse_rate("100/10m") == (100, 600)
    assert parse_rate("5/s") == (5, 1)


@pytest.mark.parametrize("path", READS)
def test_reads_past_the_rate_get_429_with_retry_after(client_for, settings, path: str) -> None:
    settings.API_READ_RATE = "3/m"
    client = client_for(4242)
    client.get("/api/me")  # the player exists from here on (1 of 3)
    target = path.format(id=PlayerFactory().pk)
    # All reads share one window per player: the sign-in read above was the first of three.
    assert [client.get(target).status_code for _ in range(3)] == [200, 200, 429]
    refused = client.get(target)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Per player: someone else reads on.
    other = client_for(4243)
    assert other.get("/api/me").status_code == 200
    assert other.get(target).status_code == 200


def test_the_default_rate_never_touches_normal_play(client_for) -> None:
    client = client_for(4244)
    # A busy minute: the board every 2 s and the profile as often, twice over.
    for _ in range(60):
        assert client.get("/api/me").status_code == 200
        assert client.get("/api/leaderboard").status_code == 200


def test_reads_go_on_when_the_cache_cannot_count(client_for, settings, monkeypatch) -> None:
    settings.API_READ_RATE = "1/m"
    client = client_for(4245)

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionInterrupted(connection=None)

    cache = caches["default"]
    monkeypatch.setattr(cache, "incr", down)
    monkeypatch.setattr(cache, "add", down)
    for _ in range(3):
        assert client.get("/api/me").status_code == 200


def test_a_cache_outage_is_tried_once_per_pause_and_logged_once(
    client_for, settings, monkeypatch, caplog
) -> None:
    settings.API_READ_RATE = "2/m"
    client = client_for(4246)
    calls: list[str] = []

    def down(*args: object, **kwargs: object) -> None:
        calls.append("tried")
        raise ConnectionInterrupted(connection=None)

    cache = caches["default"]
    with monkeypatch.context() as outage:
        outage.setattr(cache, "incr", down)
        outage.setattr(cache, "add", down)
        with caplog.at_level(logging.WARNING, logger="core.throttles"):
            for _ in range(5):
                assert client.get("/api/me").status_code == 200
    assert len(calls) == 1  # later reads in the pause did not wait for the cache again
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1

    read_throttle_pause.clear()  # the pause is over and the cache is back: counting resumes
    assert [client.get("/api/me").status_code for _ in range(3)] == [200, 200, 429]
