"""Crash safety on the scaled-out setup: the API and two workers on PostgreSQL + Redis, 200 files,
and a worker killed with SIGKILL while it processes one. Every file must still reach a final
status, once: nothing lost, no file processed into two sets of documents or two events.

A killed worker takes the task it was running with it (Redis hands a task out once), so the file
stays `processing` until its lease runs out and the recovery sweep, a periodic task every worker
runs each minute, queues it again. The lease is 5 s here, so the test takes one to two minutes.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from docintake.storage.models import Document, Event, File
from tests.integration.live import LiveServer, Proc, group_members, live_server, spawn
from tests.pdfgen import text_pdf
from tests.servers import postgres_database, require_redis

pytestmark = pytest.mark.slow

FILES = 200
PER_REQUEST = 20
LEASE_SECONDS = 5
FINISH_TIMEOUT = 240.0


def _pdf(number: int) -> bytes:
    return text_pdf([[f"INVOICE No CR-{number:04d}", f"Run {uuid.uuid4().hex[:10]}", "Total 19.98 EUR"]])


@pytest.fixture
def scaled(tmp_path: Path) -> Iterator[LiveServer]:
    redis_url = require_redis()
    with postgres_database() as database_url:
        settings: dict[str, Any] = {
            "database_url": database_url,
            "queue_url": redis_url,
            "queue_name": f"crash-{uuid.uuid4().hex[:8]}",
            "processing_lease_seconds": LEASE_SECONDS,
        }
        with live_server(tmp_path / "data", embedded_worker=False, **settings) as server:
            yield server
        _flush_queue(redis_url, settings["queue_name"])


def _flush_queue(redis_url: str, name: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)


def _worker(server: LiveServer, number: int) -> Proc:
    return spawn(
        f"worker{number}", ["worker", "--workers", "1"], server.env, server.data_dir / f"worker{number}.log"
    )


def _statuses(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(File.status, func.count()).group_by(File.status)).all()
    return {status: count for status, count in rows}


def _stuck_since(engine: Any, moment: datetime) -> list[str]:
    """Files left `processing` by a worker that died: last touched before it was killed."""
    with engine.connect() as conn:
        return list(
            conn.scalars(select(File.id).where(File.status == "processing", File.updated_at < moment))
        )


def _kill(proc: Proc) -> None:
    """SIGKILL the consumer and its worker process, as a machine dying would; wait until they are gone."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.popen.wait(timeout=10)
    deadline = time.monotonic() + 10
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_worker_killed_mid_file_loses_nothing_and_duplicates_nothing(scaled: LiveServer) -> None:
    engine = create_engine(scaled.env["DOCINTAKE_DATABASE_URL"])
    workers = [_worker(scaled, 1), _worker(scaled, 2)]
    try:
        with scaled.client(timeout=120) as client:
            for start in range(0, FILES, PER_REQUEST):
                files = [
                    ("files", (f"crash-{n}.pdf", _pdf(n), "application/pdf"))
                    for n in range(start, start + PER_REQUEST)
                ]
                answer = client.post("/v1/ingest/uploads", files=files)
                assert answer.status_code == 201, answer.text

        # Kill a worker while it holds a file; a kill that lands between two files proves
        # nothing, so kill again (the replacement) until one file is left behind.
        orphaned: list[str] = []
        spawned = 2
        deadline = time.monotonic() + 60
        while not orphaned and time.monotonic() < deadline:
            if _statuses(engine).get("processing", 0) == 0:
                time.sleep(0.02)
                continue
            victim = workers.pop(0)
            killed_at = datetime.now(UTC)
            _kill(victim)
            assert not group_members(victim.pid), "the killed worker left processes behind"
            spawned += 1
            workers.append(_worker(scaled, spawned))
            time.sleep(0.5)
            orphaned = _stuck_since(engine, killed_at)
        assert orphaned, f"no kill landed while a file was processing: {_statuses(engine)}"

        deadline = time.monotonic() + FINISH_TIMEOUT
        while time.monotonic() < deadline:
            statuses = _statuses(engine)
            if statuses.get("processed", 0) + statuses.get("failed", 0) == FILES:
                break
            time.sleep(1)
        assert _statuses(engine) == {"processed": FILES}, scaled.logs()

        with engine.connect() as conn:
            documents = conn.execute(select(Document.file_id, Document.index, Document.status)).all()
            attempts = dict(conn.execute(select(File.id, File.attempts)).all())
        assert len(documents) == FILES  # one document per one-page invoice, none twice
        assert len({(file_id, index) for file_id, index, _ in documents}) == FILES
        assert {status for *_, status in documents} == {"processed"}
        for file_id in orphaned:  # the orphans were taken up again, by another worker
            assert attempts[file_id] >= 2
        # One event per state change, however many runs a file took: the outbox is written only
        # by the run whose conditional update moved the file.
        with engine.connect() as conn:
            events = conn.execute(select(Event.type, Event.file_id, Event.import_id)).all()
        by_type: dict[str, list[tuple[str | None, str | None]]] = {}
        for kind, file_id, import_id in events:
            by_type.setdefault(kind, []).append((file_id, import_id))
        assert sorted(by_type) == ["document.processed", "file.processed", "import.completed"]
        assert len(by_type["file.processed"]) == len(set(by_type["file.processed"])) == FILES
        assert len(by_type["document.processed"]) == FILES
        assert (
            len(by_type["import.completed"]) == len(set(by_type["import.completed"])) == FILES // PER_REQUEST
        )
    finally:
        for worker in workers:
            worker.stop()
        engine.dispose()
