"""Raw ASGI middlewares that must act before FastAPI reads a request body.

FastAPI reads a JSON body before it resolves dependencies, so authentication lives here: a
request without valid credentials is answered 401 from its headers alone, and an oversized
request 413 from its Content-Length, without a byte of the body being read or spooled.

One exception to "credentials come in headers": a browser's EventSource cannot send any, so the
progress stream of an import (``GET /v1/imports/{id}/events``, and only that) also accepts a
short-lived stream token for that import in ``?token=``. The query string is never logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docintake.api.problems import from_error, problem_response
from docintake.errors import DocintakeError, PayloadTooLarge, Unauthorized
from docintake.logs import request_id_var
from docintake.services.auth import (
    Principal,
    api_key_needs_touch,
    authenticate_api_key,
    authenticate_stream_token,
    authenticate_token,
    touch_api_key,
)
from docintake.services.container import Container
from docintake.services.idempotency import IdempotencyStore, StoredAnswer

log = logging.getLogger("docintake.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
PUBLIC_PATHS = {"/v1/auth/token"}
# The one path that accepts a stream token in the query string (EventSource sends no headers).
STREAM_PATH = re.compile(r"/v1/imports/([^/]+)/events")
# Bodies anyone may send without credentials (a login form) are small; cap them tightly.
PUBLIC_MAX_BYTES = 64 * 1024
CHUNK = 256 * 1024


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _query_stream_token(scope: Scope) -> tuple[str, str] | None:
    """(import id, token) of a GET of an import's event stream carrying ``?token=``; else None."""
    match = STREAM_PATH.fullmatch(scope.get("path", ""))
    if match is None or scope.get("method") != "GET":
        return None
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return (match.group(1), values[0]) if values else None


class RequestContextMiddleware:
    """Gives every request an id (the client's X-Request-Id if sane), echoes it, logs the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started, status = time.perf_counter(), 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette answers unhandled errors outside every middleware, where this request's id
            # is gone; answer here instead, so a 500 carries X-Request-Id and requestId too.
            if status:
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await problem_response(
                500,
                "internal_error",
                "an unexpected error occurred; the request id helps us find it",
                instance=scope["path"],
            )(scope, receive, send_with_id)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.1fms", scope["method"], scope["path"], status, elapsed)
            request_id_var.reset(token)


class AuthMiddleware:
    """Authenticates /v1 requests from headers and caps the request size, before any body is read."""

    def __init__(self, app: ASGIApp, container: Container) -> None:
        self.app = app
        self.c = container

    def _authenticate(
        self, api_key: str | None, token: str | None, stream: tuple[str, str] | None = None
    ) -> Principal:
        """A read-only check; the key's last-use stamp is a separate, best-effort write, so a busy
        database (a long write elsewhere) cannot turn authentication into a 500."""
        with self.c.db.session() as session:
            if stream is not None and not api_key and not token:
                import_id, stream_token = stream
                return authenticate_stream_token(session, stream_token, import_id)
            if not api_key:
                assert token is not None
                return authenticate_token(session, token)
            principal = authenticate_api_key(session, api_key)
            stale = api_key_needs_touch(session, principal)
        if stale and principal.api_key_id:
            try:
                with self.c.db.session() as session:
                    touch_api_key(session, principal.api_key_id)
            except SQLAlchemyError as exc:
                log.warning("could not record the API key's last use: %s", type(exc).__name__)
        return principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if path in PUBLIC_PATHS:
            try:
                self._check_length(scope, PUBLIC_MAX_BYTES)
            except DocintakeError as exc:
                await from_error(exc, path)(scope, receive, send)
                return
            await self.app(scope, self._capped(receive, PUBLIC_MAX_BYTES), send)
            return
        api_key = _header(scope, b"x-api-key")
        token = _header(scope, b"x-access-token")
        authorization = _header(scope, b"authorization") or ""
        if not token and authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
        stream = None if api_key or token else _query_stream_token(scope)
        try:
            if not api_key and not token and stream is None:
                raise Unauthorized(
                    "send an API key in x-api-key, or an access token in x-access-token or Authorization: Bearer",
                )
            principal = await anyio.to_thread.run_sync(self._authenticate, api_key, token, stream)
            self._check_length(scope, self.c.settings.max_request_bytes)
        except DocintakeError as exc:
            await from_error(exc, path)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, self._capped(receive, self.c.settings.max_request_bytes), send)

    def _check_length(self, scope: Scope, limit: int) -> None:
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes")

    def _capped(self, receive: Receive, limit: int) -> Receive:
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                # An HTTPException, because FastAPI turns any other error while reading a body into 400.
                raise HTTPException(413, f"the request body is larger than the limit of {limit} bytes")
            return message

        return capped


def _fingerprint(scope: Scope, spool: Path) -> str:
    """Hash of the request, blind to the multipart boundary (clients pick a new one per retry)."""
    content_type = _header(scope, b"content-type") or ""
    boundary = b""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match:
        boundary = match.group(1).encode("latin-1")
        content_type = content_type[: match.start()]
    digest = hashlib.sha256(
        f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}\n".encode()
    )
    digest.update(content_type.strip().encode() + b"\n")
    carry = b""
    keep = max(len(boundary) - 1, 0)
    with spool.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            buffer = carry + chunk
            pieces = buffer.split(boundary) if boundary else [buffer]
            for piece in pieces[:-1]:
                digest.update(piece + b"\x00BOUNDARY\x00")
            last = pieces[-1]
            if keep and len(last) > keep:
                digest.update(last[:-keep])
                carry = last[-keep:]
            elif keep:
                carry = last
            else:
                digest.update(last)
                carry = b""
    digest.update(carry)
    return digest.hexdigest()


class IdempotencyMiddleware:
    """Replays the first answer to a POST retried with the same Idempotency-Key and body."""

    def __init__(self, app: ASGIApp, container: Container) -> None:
        self.app = app
        self.c = container
        self.store = IdempotencyStore(container.db, container.settings.idempotency_ttl_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        principal = scope.get("state", {}).get("principal")
        if not key or scope["method"] != "POST" or principal is None:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if len(key) > 255:
            await problem_response(
                400, "validation_error", "Idempotency-Key must be at most 255 characters", instance=path
            )(scope, receive, send)
            return
        self.c.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.c.settings.tmp_dir, prefix="idem-") as spool:
            try:
                await self._spool(receive, spool)
            except HTTPException as exc:
                await problem_response(exc.status_code, "payload_too_large", str(exc.detail), instance=path)(
                    scope, receive, send
                )
                return
            fingerprint = await anyio.to_thread.run_sync(_fingerprint, scope, Path(spool.name))
            env = principal.environment_id
            verdict, answer = await anyio.to_thread.run_sync(self.store.begin, env, key, fingerprint)
            if verdict == "mismatch":
                await problem_response(
                    409,
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used with a different request",
                    instance=path,
                )(scope, receive, send)
                return
            if verdict == "in_progress":
                await problem_response(
                    409,
                    "idempotency_key_in_progress",
                    "a request with this Idempotency-Key is still being processed",
                    instance=path,
                    headers={"Retry-After": "1"},
                )(scope, receive, send)
                return
            if verdict == "replay":
                assert answer is not None
                await self._replay(answer, send)
                return
            await self._run_and_store(scope, send, Path(spool.name), env, key)

    async def _spool(self, receive: Receive, spool: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise HTTPException(400, "client disconnected")
            spool.write(message.get("body", b""))
            if not message.get("more_body", False):
                break
        spool.flush()

    async def _replay(self, answer: StoredAnswer, send: Send) -> None:
        headers = [(b"content-type", answer.content_type.encode()), (b"idempotent-replayed", b"true")]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body.encode()})

    async def _run_and_store(self, scope: Scope, send: Send, spool: Path, env: str, key: str) -> None:
        handle = spool.open("rb")
        status, content_type, body = 500, "", bytearray()

        async def replay_body() -> Message:
            chunk = handle.read(CHUNK)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await anyio.to_thread.run_sync(self.store.abort, env, key)
            raise
        finally:
            handle.close()
        if status >= 500:
            await anyio.to_thread.run_sync(self.store.abort, env, key)
        else:
            answer = StoredAnswer(status, content_type, body.decode("utf-8", "replace"))
            await anyio.to_thread.run_sync(self.store.complete, env, key, answer)
