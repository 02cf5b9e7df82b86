"""Live progress of one import, as Server-Sent Events.

The API may run in several processes and the workers elsewhere, so changes are found where they
all meet: the database. Each stream reads its import's file statuses (one indexed query, in a
worker thread) every ``POLL_SECONDS`` and sends what changed since the last read:

    retry: 3000

    id: 1.2.5f0c...
    event: file.status
    data: {"fileId": "...", "filename": "a.pdf", "status": "processing", "errorCode": null}

    : keepalive

    id: 1.2.5f0c....done
    event: import.completed
    data: {"id": "...", "kind": "upload", "status": "completed", "counts": {...}, "createdAt": "..."}

On connect it sends every file's current status, then each change, then ``import.completed`` once
no file is queued or processing, and closes. A status that comes and goes between two reads
(a file processed in less than ``POLL_SECONDS``) is not seen; its final status always is.

**Resuming.** An event's ``id`` says what the client has been told so far: the status of every
file of the import, in file-id order, compressed, and a digest of those ids. A client that
reconnects with ``Last-Event-ID`` (EventSource does so by itself) is sent only files whose status
differs from that, so nothing repeats and nothing is lost, whichever process answers and however
the workers' commits interleave. Nothing is stored on the server. A client that already had
``import.completed`` and reconnects to an import that has not changed is answered 204, which tells
EventSource to stop reconnecting.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
import time
import zlib
from collections import Counter
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from docintake.domain import FileStatus
from docintake.errors import NotFound
from docintake.schemas.resources import ImportSummary
from docintake.services import views
from docintake.services.container import Container
from docintake.storage.models import File, Import

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
RETRY_MILLISECONDS = 3000
_CURSOR_VERSION = "1"
_MAX_CURSOR_LENGTH = 16_000
_UNKNOWN = "-"  # a file the client has not been told about
_CODES = {
    FileStatus.queued.value: "q",
    FileStatus.processing.value: "p",
    FileStatus.processed.value: "d",
    FileStatus.failed.value: "f",
    FileStatus.rejected.value: "r",
}
_PENDING = frozenset((FileStatus.queued.value, FileStatus.processing.value))

_active_lock = threading.Lock()
_active = 0


def active_streams() -> int:
    """Streams this process is serving now (a disconnected client's must end: tests check it)."""
    with _active_lock:
        return _active


def _count(delta: int) -> None:
    global _active
    with _active_lock:
        _active += delta


@dataclass(frozen=True)
class FileState:
    id: str
    filename: str
    status: str
    error_code: str | None

    @property
    def code(self) -> str:
        # A status this module does not know yet (a newer server wrote it) still reads as a change.
        return _CODES.get(self.status, "?")


def _digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_cursor(ids: list[str], codes: list[str], *, done: bool = False, digest: str | None = None) -> str:
    """What a client has been told: ``codes[i]`` is the status code last sent for ``ids[i]``
    (``digest``: ``_digest(ids)``, when the caller has it already)."""
    packed = _b64(zlib.compress("".join(codes).encode(), 9))
    cursor = f"{_CURSOR_VERSION}.{len(ids)}.{digest or _digest(ids)}.{packed}"
    return cursor + ".done" if done else cursor


def decode_cursor(cursor: str | None, ids: list[str]) -> tuple[dict[str, str], bool]:
    """The status code the client was told for each of ``ids`` (the import's files now, in id
    order), and whether it was told the import completed. An id that is not ours, or one whose
    files no longer line up with the import's (a file created since with a smaller id: rare), is
    treated as no id at all: the client is then sent every file again."""
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        return {}, False
    parts = cursor.split(".")
    done = parts[-1] == "done"
    if done:
        parts = parts[:-1]
    try:
        version, count, digest, packed = parts
        n = int(count)
        if version != _CURSOR_VERSION or not 0 <= n <= len(ids) or _digest(ids[:n]) != digest:
            return {}, False
        inflater = zlib.decompressobj()
        codes = inflater.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)), n + 1)
        text = codes.decode("ascii")
    except (ValueError, binascii.Error, zlib.error, UnicodeDecodeError):
        return {}, False
    if len(text) != n:
        return {}, False
    return {file_id: code for file_id, code in zip(ids[:n], text, strict=True) if code != _UNKNOWN}, done


def _message(event: str, data: dict[str, Any], event_id: str) -> str:
    return f"id: {event_id}\nevent: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class ImportProgress:
    """The event stream of one import for one client. ``open`` (in a thread) before answering, to
    answer 404 or 204 instead of a stream; then iterate ``events``."""

    def __init__(self, container: Container, environment_id: str, import_id: str) -> None:
        self.c = container
        self.environment_id = environment_id
        self.import_id = import_id
        self.finished = False
        self._ids: list[str] = []
        self._ids_digest = ""
        self._told: dict[str, str] = {}
        self._pending: list[str] = []
        self._resumed_done = False

    # -- reading the database (worker threads) ---------------------------------------------------

    def _files(self) -> list[FileState]:
        with self.c.db.session() as session:
            rows = session.execute(
                select(File.id, File.filename, File.status, File.error_code)
                .where(File.import_id == self.import_id)
                .order_by(File.id)
            )
            return [FileState(*row) for row in rows]

    def _summary(self, files: list[FileState]) -> dict[str, Any]:
        counts = Counter(f.status for f in files)
        with self.c.db.session() as session:
            imp = session.get(Import, self.import_id)
            if imp is None:  # deleted meanwhile (its environment was)
                raise NotFound(f"import {self.import_id} not found")
            summary = ImportSummary(
                id=imp.id,
                kind=imp.kind,
                status=views.import_status(imp, counts),
                counts={status.value: counts[status.value] for status in FileStatus},
                created_at=imp.created_at,
            )
        return summary.model_dump(mode="json")

    def open(self, last_event_id: str | None) -> bool:
        """Check the import is the caller's (``NotFound``) and read where it stands; False when the
        client already knows everything, the completion included (answer 204, not a stream)."""
        with self.c.db.session() as session:
            imp = session.get(Import, self.import_id)
            if imp is None or imp.environment_id != self.environment_id:
                raise NotFound(f"import {self.import_id} not found")
        files = self._files()
        self._told, self._resumed_done = decode_cursor(last_event_id, [f.id for f in files])
        self._pending = self._changes(files)
        return not (self._resumed_done and self.finished and len(self._pending) == 1)

    def poll(self) -> list[str]:
        """The messages for what changed since the last read (and the completion, once)."""
        if self._pending:
            pending, self._pending = self._pending, []
            return pending
        return self._changes(self._files())

    def _changes(self, files: list[FileState]) -> list[str]:
        ids = [f.id for f in files]
        if ids != self._ids:
            self._ids, self._ids_digest = ids, _digest(ids)
        messages = []
        for file in files:
            if self._told.get(file.id) == file.code:
                continue
            self._told[file.id] = file.code
            data = {
                "fileId": file.id,
                "filename": file.filename,
                "status": file.status,
                "errorCode": file.error_code,
            }
            messages.append(_message("file.status", data, self._cursor()))
        if not any(f.status in _PENDING for f in files):
            messages.append(_message("import.completed", self._summary(files), self._cursor(done=True)))
            self.finished = True
        return messages

    def _cursor(self, *, done: bool = False) -> str:
        codes = [self._told.get(i, _UNKNOWN) for i in self._ids]
        return encode_cursor(self._ids, codes, done=done, digest=self._ids_digest)

    # -- the stream (the event loop) -------------------------------------------------------------

    async def events(self) -> AsyncGenerator[str, None]:
        """Server-Sent Events until the import completes. A disconnected client cancels this at its
        next await (the poll's thread finishes its one query first); the route closes it after the
        response either way (``aclose``), so nothing outlives the request."""
        _count(1)
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            last_write = time.monotonic()
            while True:
                try:
                    messages = await anyio.to_thread.run_sync(self.poll)
                except (SQLAlchemyError, NotFound) as exc:
                    # The client reconnects after `retry` and resumes where it was.
                    log.warning("import %s: event stream ended: %s", self.import_id, type(exc).__name__)
                    return
                for message in messages:
                    yield message
                    last_write = time.monotonic()
                if self.finished:
                    return
                if time.monotonic() - last_write >= KEEPALIVE_SECONDS:
                    yield ": keepalive\n\n"
                    last_write = time.monotonic()
                await anyio.sleep(POLL_SECONDS)
        finally:
            _count(-1)
