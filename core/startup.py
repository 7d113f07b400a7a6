"""Start-up checks that warn instead of failing: the server runs, and says what will not work."""

import logging
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Seconds to wait for Redis at start-up: long enough for a slow network, short for a typo.
REDIS_PROBE_TIMEOUT_SECONDS = 2.0


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def warn_if_redis_unreachable() -> bool:
    """Log one warning when REDIS_URL is set and Redis does not answer; True when it answers."""
    url: str = settings.REDIS_URL
    if not url:
        return True
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_PROBE_TIMEOUT_SECONDS,
        socket_timeout=REDIS_PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        logger.warning(
            "Redis at %s is unreachable (%s). Starting anyway: requests that need it answer 503 "
            "with Retry-After until it is back; check REDIS_URL or start Redis.",
            _without_password(url),
            exc,
        )
        return False
    finally:
        client.close()
    return True
