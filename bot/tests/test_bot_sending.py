"""The bounded retry around Bot API calls: flood waits, network errors, blocked users."""

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.sending import MAX_ATTEMPTS, NETWORK_BACKOFF_SECONDS, with_retries


class ScriptedCall:
    """A Bot API call that fails with the scripted errors, then answers "sent"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.attempts = 0

    async def __call__(self) -> str:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


def flood_wait(seconds: int) -> RetryAfter:
    """Telegram's 429 answer as python-telegram-bot raises it."""
    # Its constructor reads its own deprecated int-valued `retry_after`; that warning is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return RetryAfter(seconds)


def run(call: ScriptedCall) -> tuple[Any, list[float]]:
    """Run `with_retries` on the call with a recording sleep; the result and the sleeps."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main(call: Callable[[], Awaitable[str]]) -> Any:
        return await with_retries(call, what="test call", sleep=sleep)

    return asyncio.run(main(call)), slept


def test_flood_wait_is_slept_then_the_call_repeated():
    call = ScriptedCall(flood_wait(3))

    assert run(call) == ("sent", [3.0])
    assert call.attempts == 2


def test_a_flood_wait_too_long_for_a_handler_drops_the_call():
    call = ScriptedCall(flood_wait(3600))

    assert run(call) == (None, [])
    assert call.attempts == 1


def test_timeouts_are_retried_with_a_backoff():
    call = ScriptedCall(TimedOut(), NetworkError("connection reset"))

    assert run(call) == ("sent", list(NETWORK_BACKOFF_SECONDS))
    assert call.attempts == 3


def test_retries_are_bounded_and_end_without_raising():
    call = ScriptedCall(*[NetworkError("down")] * 10)

    assert run(call) == (None, list(NETWORK_BACKOFF_SECONDS))
    assert call.attempts == MAX_ATTEMPTS


def test_a_user_who_blocked_the_bot_is_not_retried():
    call = ScriptedCall(Forbidden("Forbidden: bot was blocked by the user"))

    assert run(call) == (None, [])
    assert call.attempts == 1


def test_a_bad_request_is_a_bug_and_is_raised():
    call = ScriptedCall(BadRequest("Bad Request: can't parse entities"))

    with pytest.raises(BadRequest):
        run(call)
    assert call.attempts == 1
