"""Webhook mode: Telegram posts each update to `POST /telegram/webhook`, this process answers it.

The view is synchronous (it runs under gunicorn like the API), the Application is async and keeps
an HTTP connection pool bound to its event loop. So each process starts one `BotLoop` on first
use: an event loop on a daemon thread that owns the Application for the life of the process. The
view hands the update to that loop and waits (bounded) until the handlers are done, so Telegram
redelivers an update only when this process could not take it.
"""

import asyncio
import concurrent.futures
import hmac
import json
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from telegram import Update
from telegram.error import TelegramError

from bot.app import build_application
from bot.config import token_problems
from bot.orm import db_connections_close
from core.errors import error_body

logger = logging.getLogger(__name__)

T = TypeVar("T")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Starting the Application asks Telegram who the bot is (getMe).
START_TIMEOUT_SECONDS = 15.0
# Telegram waits for the answer; the handlers' own Bot API calls are bounded by httpx timeouts.
PROCESS_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0


class BotLoop:
    """This process's Application, initialised once, on an event loop in its own thread."""

    def __init__(self) -> None:
        self.application = build_application(polling=False)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="telegram-bot-loop", daemon=True
        )
        self._thread.start()
        try:
            self._run(self.application.initialize(), timeout=START_TIMEOUT_SECONDS)
        except BaseException:
            self._loop_stop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T], *, timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def update_from(self, update_data: dict[str, Any]) -> Update:
        """An Update from the JSON Telegram posted, tied to this process's bot."""
        return Update.de_json(update_data, self.application.bot)

    def process(self, update: Update) -> bool:
        """Handle one update; False when it took longer than PROCESS_TIMEOUT_SECONDS.

        A slow update keeps running on the loop; the caller answers Telegram anyway, so the
        update is not delivered a second time.
        """
        future = asyncio.run_coroutine_threadsafe(
            self.application.process_update(update), self._loop
        )
        try:
            future.result(PROCESS_TIMEOUT_SECONDS)
        except concurrent.futures.TimeoutError:
            return False
        return True

    def close(self) -> None:
        """Shut the Application down, release the bot's database connections, stop the loop."""
        try:
            self._run(self.application.shutdown(), timeout=STOP_TIMEOUT_SECONDS)
            self._run(db_connections_close(), timeout=STOP_TIMEOUT_SECONDS)
        finally:
            self._loop_stop()

    def _loop_stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(STOP_TIMEOUT_SECONDS)
        if not self._thread.is_alive():
            self._loop.close()


_bot_loop: BotLoop | None = None
_bot_loop_lock = threading.Lock()


def bot_loop() -> BotLoop:
    """The process's BotLoop, started on first use (after gunicorn forked the worker)."""
    global _bot_loop
    with _bot_loop_lock:
        if _bot_loop is None:
            _bot_loop = BotLoop()
        return _bot_loop


def bot_loop_close() -> None:
    """Stop the process's BotLoop if one runs (tests, or a worker shutting down)."""
    global _bot_loop
    with _bot_loop_lock:
        running, _bot_loop = _bot_loop, None
    if running is not None:
        running.close()


def _json_error(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, detail), status=status)


def _secret_matches(given: str, expected: str) -> bool:
    # Constant time, on bytes: compare_digest refuses non-ASCII str, and a header may hold any.
    return hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
def telegram_webhook(request: HttpRequest) -> JsonResponse:
    """Receive an update from Telegram, check its secret header and run the bot's handlers.

    404 while no TELEGRAM_WEBHOOK_SECRET (or no real bot token) is configured, 403 for a wrong
    or missing secret (nothing is processed), 400 for a body that is not an update.
    """
    if not settings.TELEGRAM_WEBHOOK_SECRET or token_problems():
        return _json_error("not_found", "Not found.", 404)
    if request.method != "POST":
        return JsonResponse(
            error_body("method_not_allowed", "Telegram posts updates here."),
            status=405,
            headers={"Allow": "POST"},
        )
    if not _secret_matches(
        request.headers.get(SECRET_HEADER, ""), settings.TELEGRAM_WEBHOOK_SECRET
    ):
        logger.warning("webhook call with a wrong secret from %s", request.META.get("REMOTE_ADDR"))
        return _json_error("forbidden", "Wrong or missing webhook secret.", 403)
    try:
        update_data = json.loads(request.body)
    except (ValueError, RecursionError):
        return _json_error("malformed_json", "The body is not JSON.", 400)
    if not isinstance(update_data, dict) or not isinstance(update_data.get("update_id"), int):
        return _json_error("invalid", "The body is not a Telegram update.", 400)
    try:
        loop = bot_loop()
    except (TelegramError, concurrent.futures.TimeoutError):
        logger.exception("the bot could not start; Telegram will redeliver the update")
        return _json_error("unavailable", "The bot is starting, try again shortly.", 503)
    try:
        update = loop.update_from(update_data)
    except (AttributeError, KeyError, TypeError, ValueError):
        return _json_error("invalid", "The body is not a Telegram update.", 400)
    if not loop.process(update):
        logger.warning("update %s still running after the webhook answered", update.update_id)
    return JsonResponse({"ok": True})
