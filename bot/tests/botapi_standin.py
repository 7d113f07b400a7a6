"""A small Bot API stand-in on 127.0.0.1: the bot talks HTTP to it instead of Telegram.

It answers the methods clickgame's bot uses the way api.telegram.org does (`{"ok": true,
"result": ...}`, or `{"ok": false, "error_code", "description", "parameters"}`), serves queued
updates to getUpdates (long polling, capped so tests stay fast) and records every call with its
decoded parameters for the tests to assert on.
"""

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

# getUpdates holds the connection at most this long when no update is waiting.
LONG_POLL_CAP_SECONDS = 0.2
# Parameters that are plain strings even when they look like JSON ("123" as a name).
STRING_PARAMETERS = frozenset({"text", "url", "secret_token", "parse_mode", "description"})


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class Failure:
    """A scripted error answer for the next call(s) of a method."""

    error_code: int
    description: str
    retry_after: int | None = None
    times: int = 1


def _decode(name: str, value: str) -> Any:
    if name in STRING_PARAMETERS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class BotApiStandIn:
    """A threaded HTTP server that speaks enough of the Bot API for clickgame's bot."""

    def __init__(self, *, token: str, bot_user: dict[str, Any], port: int = 0) -> None:
        self.token = token
        self.bot_user = bot_user
        self._calls: list[Call] = []
        self._updates: list[dict[str, Any]] = []
        self._failures: dict[str, Failure] = {}
        self._changed = threading.Condition()
        self._message_ids = itertools.count(1000)
        self._webhook_url = ""
        # Port 0: any free port (the tests); `run_botapi_standin` passes a fixed one.
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """What the bot's `base_url` is set to (the token is appended by the bot)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def start(self) -> "BotApiStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- what the tests use ---
    def queue_update(self, update: dict[str, Any]) -> None:
        """Hold an update for the next getUpdates call, as Telegram does."""
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def fail_next(self, method: str, failure: Failure) -> None:
        """Answer the next `failure.times` calls of `method` with an error."""
        with self._changed:
            self._failures[method] = failure

    @property
    def calls(self) -> list[Call]:
        with self._changed:
            return list(self._calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, oldest first."""
        return [call.params for call in self.calls if call.method == method]

    def sent_texts(self) -> list[str]:
        """The text of every message the bot sent, oldest first."""
        return [params["text"] for params in self.calls_to("sendMessage")]

    def wait_for(self, condition: Callable[["BotApiStandIn"], bool], timeout: float) -> bool:
        """Wait until `condition(self)` holds after some call; False when `timeout` passed."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    # --- the Bot API ---
    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._changed:
            self._calls.append(Call(method, params))
            self._changed.notify_all()
            failure = self._failures.get(method)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[method]
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": failure.error_code,
                    "description": failure.description,
                }
                if failure.retry_after is not None:
                    body["parameters"] = {"retry_after": failure.retry_after}
                return failure.error_code, body
        if method == "getUpdates":
            return HTTPStatus.OK, {"ok": True, "result": self._get_updates(params)}
        result = self._result(method, params)
        if result is None:
            return HTTPStatus.NOT_FOUND, {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        return HTTPStatus.OK, {"ok": True, "result": result}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP_SECONDS)
        deadline = time.monotonic() + wait
        with self._changed:
            # An offset confirms every update before it: Telegram forgets those.
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._changed.wait(max(0.0, deadline - time.monotonic()))
            return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.bot_user
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": self.bot_user,
                "text": params["text"],
            }
        if method == "setWebhook":
            self._webhook_url = params["url"]
            return True
        if method == "deleteWebhook":
            self._webhook_url = ""
            return True
        if method == "getWebhookInfo":
            return {
                "url": self._webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        if method in ("setMyCommands", "setChatMenuButton"):
            return True
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                prefix = f"/bot{standin.token}/"
                if not self.path.startswith(prefix):
                    self._reply(
                        HTTPStatus.UNAUTHORIZED,
                        {"ok": False, "error_code": 401, "description": "Unauthorized"},
                    )
                    return
                method = self.path.removeprefix(prefix).split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.headers.get_content_type() == "application/json":
                    params = json.loads(raw or "{}")
                else:
                    params = {name: _decode(name, value) for name, value in parse_qsl(raw)}
                self._reply(*standin._answer(method, params))

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read the recorded calls instead."""

        return Handler


_update_ids = itertools.count(1)
_user_message_ids = itertools.count(1)


def message_update(
    *,
    user_id: int,
    text: str,
    first_name: str = "Ann",
    username: str = "",
    chat_type: str = "private",
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An update carrying a user's text message, shaped the way Telegram sends it.

    A leading `/command` gets its `bot_command` entity; `reply_to` is the message answered.
    """
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "en",
    }
    if username:
        user["username"] = username
    chat: dict[str, Any] = {"id": user_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = first_name
    else:
        chat = {"id": -100_000 - user_id, "type": chat_type, "title": "Group"}
    message: dict[str, Any] = {
        "message_id": next(_user_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return {"update_id": next(_update_ids), "message": message}


def bot_message(*, bot_user: dict[str, Any], chat_id: int, text: str) -> dict[str, Any]:
    """A message the bot sent earlier, as it appears inside `reply_to_message`."""
    return {
        "message_id": next(_user_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": bot_user,
        "text": text,
    }
