"""A real webhook receiver for the tests: a threaded HTTP server on 127.0.0.1 that records every
request (arrival time, headers, body) and answers as scripted: a status, a delay before answering,
headers such as Retry-After. It can be stopped (connections refused, as a receiver that is down)
and started again on the same port. It also serves files by GET, for URL intake."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() when the request arrived
    path: str
    headers: dict[str, str]
    body: bytes
    reply: Reply

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def type(self) -> str:
        return str(self.json["type"])

    def verify(self, secret: str) -> dict[str, Any]:
        """What a receiver does: the reference library checks the signature (raises if wrong)."""
        verified: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return verified


class Receiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.requests: list[Received] = []
        self.files: dict[str, bytes] = {}
        self.script: list[Reply] = []
        self.responder: Callable[[Received], Reply] | None = None
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def file_url(self, name: str) -> str:
        return f"http://{self.host}:{self.port}/files/{name}"

    def answer(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; then 200 (or the responder)."""
        with self._lock:
            self.script.extend(replies)

    def _next_reply(self, request: Received) -> Reply:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        return self.responder(request) if self.responder else Reply()

    def _record(self, received: Received) -> None:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()

    def wait_for(
        self, count: int, timeout: float = 15.0, what: Callable[[Received], bool] | None = None
    ) -> None:
        """Until ``count`` requests (matching ``what``) have arrived; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len([r for r in self.requests if what is None or what(r)]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(r.type, r.reply.status) for r in self.requests]
                    raise AssertionError(f"expected {count} requests within {timeout} s, got {seen}")
                self._arrived.wait(left)

    def of_type(self, type_: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.type == type_]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                probe = Received(arrived, self.path, headers, body, Reply())
                reply = receiver._next_reply(probe)
                receiver._record(Received(arrived, self.path, headers, body, reply))
                if reply.delay:
                    time.sleep(reply.delay)
                self._send(reply.status, reply.body, reply.headers)

            def do_GET(self) -> None:
                name = self.path.removeprefix("/files/")
                if name in receiver.files:
                    self._send(200, receiver.files[name], {"Content-Type": "application/octet-stream"})
                else:
                    self._send(404, b"not here")

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout test)

        deadline = time.monotonic() + 10
        while True:
            try:
                server = ThreadingHTTPServer((self.host, self.port), Handler)
                break
            except OSError:
                if self.port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # the port of a server just stopped may take a moment to free
        server.daemon_threads = True
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: from now on connections are refused, until ``start``."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(5)
        self._server = None

    def refuses_connections(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex((self.host, self.port)) != 0
