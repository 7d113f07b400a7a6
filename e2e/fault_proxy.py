"""An HTTP proxy in front of the e2e server that injects faults into click syncs.

Everything passes through unchanged (the page, the engine, the pack, the API) except
`POST /api/clicks`, which takes the next fault from a plan:

- `ok`: forwarded, answered as the server answered;
- `503` / `429`: answered by the proxy with that status and `Retry-After`, not forwarded;
- `400`: answered `{"error": "invalid_count"}`, not forwarded (nothing applied);
- `drop_before`: the connection closes without forwarding (nothing applied);
- `drop_after`: forwarded (applied), then the connection closes without an answer;
- `hang_after`: forwarded (applied), then no answer for `hang_seconds` (the client times out);
- `hang`: not forwarded, no answer for `hang_seconds`.

Every click request is recorded with its body and the fault it met, for the invariants.
"""

import contextlib
import http.client
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

CLICKS_PATH = "/api/clicks"
HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "proxy-connection"})
CHUNK = 1 << 16
PORT_RANGE = range(18500, 18600)


@dataclass(frozen=True)
class ClickRequest:
    """One POST /api/clicks as the proxy saw it; `batch` is 0 when the body had none."""

    seq: int
    count: int
    fault: str
    batch: int = 0


class FaultProxy:
    """The proxy; `base_url` is what the browser opens. Use as a context manager."""

    def __init__(self, upstream: str, *, hang_seconds: float = 15.0) -> None:
        self.upstream = urlsplit(upstream)
        self.hang_seconds = hang_seconds
        # Seconds in the Retry-After of injected 503 and 429 answers.
        self.retry_after = 1
        self.plan: deque[str] = deque()
        self.clicks: list[ClickRequest] = []
        self.lock = threading.Lock()
        self.server = self._bind()
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _bind(self) -> ThreadingHTTPServer:
        handler = _handler_for(self)
        for port in PORT_RANGE:
            try:
                server = ThreadingHTTPServer(("127.0.0.1", port), handler)
            except OSError:
                continue
            server.daemon_threads = True
            return server
        raise RuntimeError("no free port for the fault proxy in 18500-18599")

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def faults(self, *faults: str) -> None:
        """Queue faults for the next click requests (after them, requests pass)."""
        with self.lock:
            self.plan.extend(faults)

    def _next_fault(self) -> str:
        with self.lock:
            return self.plan.popleft() if self.plan else "ok"

    def record(self, request: ClickRequest) -> None:
        with self.lock:
            self.clicks.append(request)


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _answer(self, status: int, body: dict[str, Any], retry_after: int | None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", str(retry_after))
            self.end_headers()
            self.wfile.write(data)

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            upstream = http.client.HTTPConnection(
                proxy.upstream.hostname, proxy.upstream.port, timeout=30
            )
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                chunks = []
                while chunk := response.read(CHUNK):
                    chunks.append(chunk)
                return response.status, response.getheaders(), b"".join(chunks)
            finally:
                upstream.close()

        def _relay(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in HOP_HEADERS and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for start in range(0, len(data), CHUNK):
                self.wfile.write(data[start : start + CHUNK])

        def _handle(self) -> None:
            body = self._body()
            if self.command != "POST" or urlsplit(self.path).path != CLICKS_PATH:
                self._relay(*self._forward(body))
                return
            fault = proxy._next_fault()
            try:
                batch = json.loads(body)
                seq, count = int(batch["seq"]), int(batch["count"])
                batch_id = int(batch.get("batch", 0))
            except (ValueError, KeyError, TypeError, AttributeError):
                seq, count, batch_id = -1, -1, -1
            proxy.record(ClickRequest(seq, count, fault, batch_id))
            if fault == "503":
                self._answer(503, {"error": "unavailable", "detail": "Later."}, proxy.retry_after)
            elif fault == "429":
                self._answer(429, {"error": "rate_limited", "detail": "Slow."}, proxy.retry_after)
            elif fault == "400":
                self._answer(400, {"error": "invalid_count", "detail": "Refused."}, None)
            elif fault == "drop_before":
                self._drop()
            elif fault == "hang":
                time.sleep(proxy.hang_seconds)
                self._drop()
            else:
                answer = self._forward(body)
                if fault == "drop_after":
                    self._drop()
                elif fault == "hang_after":
                    time.sleep(proxy.hang_seconds)
                    self._drop()
                else:
                    self._relay(*answer)

        do_GET = do_POST = do_HEAD = _handle

    return Handler
