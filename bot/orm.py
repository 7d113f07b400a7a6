"""Running the game's (synchronous) services from the bot's async handlers.

The bot lives for days on one event loop, so its database work runs like a request does: on one
thread (`thread_sensitive`), with stale or broken connections dropped first, as Django does at the
start of every request.
"""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

P = ParamSpec("P")
R = TypeVar("R")


def _with_fresh_connection(func: Callable[P, R]) -> Callable[P, R]:
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        return func(*args, **kwargs)

    return run


async def db_call(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Await a synchronous service or selector on the bot's database thread."""
    return await sync_to_async(_with_fresh_connection(func), thread_sensitive=True)(*args, **kwargs)


async def db_connections_close() -> None:
    """Close the database connections the bot's database thread holds (on shutdown)."""
    await sync_to_async(connections.close_all, thread_sensitive=True)()
