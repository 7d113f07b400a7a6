"""Rate limits on top of django-ratelimit, raising the domain error every door understands."""

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from core.errors import RateLimited


def _request_for(method: str) -> HttpRequest:
    # django-ratelimit matches the rate against a request's method; services that run outside
    # HTTP (the bot) have none, so they pass a bare one.
    request = HttpRequest()
    request.method = method
    return request


def rate_check(*, group: str, key: str, rate: str, increment: bool = True) -> None:
    """Count one use of `group` by `key`; raise RateLimited once `rate` (e.g. "5/h") is spent.

    With `increment=False` it only looks, so a caller can check before work and count after it.
    """
    usage = get_usage(
        _request_for("POST"),
        group=group,
        key=lambda _group, _request: key,
        rate=rate,
        increment=increment,
    )
    if usage is None:
        return
    spent = usage["count"] > usage["limit"] if increment else usage["count"] >= usage["limit"]
    # should_limit is also django-ratelimit's answer when the cache could not count: fail closed.
    if spent or usage["should_limit"]:
        raise RateLimited(retry_after=usage["time_left"] if usage["time_left"] > 0 else 1)


def rate_count(*, group: str, key: str, rate: str) -> None:
    """Count one use of `group` by `key` after the work is done, never refusing it."""
    get_usage(
        _request_for("POST"),
        group=group,
        key=lambda _group, _request: key,
        rate=rate,
        increment=True,
    )
