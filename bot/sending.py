"""Calls to the Bot API that survive Telegram's flood control and network trouble.

Telegram answers 429 with `retry_after` when the bot sends too fast (about 30 messages a second
overall, one a second per chat); timeouts and dropped connections happen too. A call is retried a
bounded number of times; a user who blocked the bot is logged and skipped. Nothing here raises a
network error into a handler, so one failed message never stops the bot.
"""

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.error import Forbidden as TelegramForbidden
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 3
# Longer flood waits are not slept through inside a handler: the message is dropped and logged.
MAX_RETRY_AFTER_SECONDS = 30.0
# Pause before retrying after a timeout or network error, per attempt.
NETWORK_BACKOFF_SECONDS = (0.5, 2.0)

Sleep = Callable[[float], Awaitable[None]]


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds."""
    # python-telegram-bot 22 warns that `retry_after` will become a timedelta; accept both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int = MAX_ATTEMPTS,
    sleep: Sleep = asyncio.sleep,
) -> T | None:
    """Run a Bot API call, retrying flood waits and network errors; None when it gave up.

    `call` makes a fresh request each time it is called; `what` names it in the logs. Errors in
    the request itself (BadRequest: a bug, not bad luck) are raised for the error handler.
    """
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            return await call()
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if last or wait > MAX_RETRY_AFTER_SECONDS:
                logger.warning("telegram flood control: gave up %s (retry after %ss)", what, wait)
                return None
            logger.info("telegram flood control: %s waits %ss", what, wait)
            await sleep(wait)
        except TelegramForbidden as exc:
            # The user blocked the bot or deleted the chat; retrying cannot help.
            logger.info("telegram refused %s: %s", what, exc.message)
            return None
        except BadRequest:
            raise
        except NetworkError as exc:  # TimedOut is a NetworkError too.
            if last:
                logger.warning("telegram unreachable: gave up %s: %s", what, exc.message)
                return None
            logger.info("telegram network error on %s, retrying: %s", what, exc.message)
            await sleep(NETWORK_BACKOFF_SECONDS[min(attempt, len(NETWORK_BACKOFF_SECONDS)) - 1])
    return None
