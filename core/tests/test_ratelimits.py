"""rate_check: counts, refuses once spent, and fails closed when the cache cannot count."""

import pytest
from django.core.cache import caches

from core.errors import RateLimited
from core.ratelimits import rate_check


def test_rate_check_refuses_once_the_rate_is_spent() -> None:
    for _ in range(3):
        rate_check(group="t_spent", key="k", rate="3/m")
    with pytest.raises(RateLimited) as refused:
        rate_check(group="t_spent", key="k", rate="3/m")
    assert 1 <= refused.value.retry_after <= 60
    rate_check(group="t_spent", key="other", rate="3/m")


def test_rate_check_fails_closed_when_the_cache_cannot_count(monkeypatch) -> None:
    cache = caches["default"]

    def cannot_count(*args: object, **kwargs: object) -> None:
        raise ValueError("the counter vanished")

    # django-ratelimit then answers should_limit=True with count 0 and limit 0.
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    monkeypatch.setattr(cache, "incr", cannot_count)
    with pytest.raises(RateLimited) as refused:
        rate_check(group="t_broken", key="k", rate="100/m")
    assert refused.value.retry_after >= 1
