"""The worker's bookkeeping: duplicated tasks are harmless and files of dead workers are recovered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import func, select, update

from docintake.clock import utcnow
from docintake.errors import StorageUnavailable
from docintake.pipeline.runner import DocumentPart, PipelineOutcome
from docintake.services import processing
from docintake.storage.blobs import BlobStore
from docintake.storage.models import Document, File
from tests.conftest import Service, make_pdf


def _upload(service: Service) -> str:
    files = [("files", ("a.pdf", make_pdf(2), "application/pdf"))]
    answer = service.client.post("/v1/ingest/uploads", files=files, headers=service.tenant.headers)
    assert answer.status_code == 201
    return str(answer.json()["files"][0]["id"])


def _file(service: Service, file_id: str) -> dict[str, object]:
    body = service.client.get(f"/v1/ingest/files/{file_id}", headers=service.tenant.headers).json()
    assert isinstance(body, dict)
    return body


def test_a_second_run_of_the_same_task_changes_nothing(service: Service) -> None:
    """GIVEN a processed file WHEN its task runs again THEN the file and its documents stay as they were."""
    file_id = _upload(service)
    before = _file(service, file_id)
    processing.process_file(service.container, file_id)
    after = _file(service, file_id)
    assert before == after
    assert after["status"] == "processed"


def test_stale_processing_file_is_requeued_then_processed(service: Service) -> None:
    """GIVEN a file left `processing` by a worker that died WHEN the sweeper runs past the lease
    THEN the file is queued again and (inline queue) ends processed."""
    file_id = _upload(service)
    with service.container.db.session() as session:
        session.execute(
            update(File)
            .where(File.id == file_id)
            .values(status="processing", attempts=1, updated_at=utcnow() - timedelta(hours=1))
        )
    assert processing.recover_stale(service.container, lease_seconds=60) == [file_id]
    assert _file(service, file_id)["status"] == "processed"


def test_file_that_keeps_killing_workers_fails_for_good(service: Service) -> None:
    file_id = _upload(service)
    with service.container.db.session() as session:
        session.execute(
            update(File)
            .where(File.id == file_id)
            .values(status="processing", attempts=3, updated_at=utcnow() - timedelta(hours=1))
        )
    assert processing.recover_stale(service.container, lease_seconds=60) == []
    body = _file(service, file_id)
    assert body["status"] == "failed"
    assert body["error"] == {"code": "worker_crashed", "message": body["error"]["message"]}  # type: ignore[index]


def test_recent_processing_file_is_left_alone(service: Service) -> None:
    file_id = _upload(service)
    with service.container.db.session() as session:
        session.execute(
            update(File).where(File.id == file_id).values(status="processing", updated_at=utcnow())
        )
    assert processing.recover_stale(service.container, lease_seconds=600) == []
    assert _file(service, file_id)["status"] == "processing"


def test_queued_file_whose_task_was_lost_is_queued_again(service: Service) -> None:
    """GIVEN a file committed `queued` whose task never reached the queue (the queue was down)
    WHEN the sweep runs past the lease THEN it is queued again and ends processed."""
    file_id = _upload(service)
    with service.container.db.session() as session:
        session.execute(
            update(File)
            .where(File.id == file_id)
            .values(status="queued", updated_at=utcnow() - timedelta(hours=1))
        )
    assert processing.recover_stale(service.container, lease_seconds=60) == [file_id]
    assert _file(service, file_id)["status"] == "processed"


def test_a_result_never_overwrites_a_cancel(service: Service) -> None:
    """GIVEN a file cancelled while its worker was still running WHEN the worker records its result
    THEN the file stays failed/cancelled and its document failed."""
    file_id = _upload(service)
    with service.container.db.session() as session:
        session.execute(update(File).where(File.id == file_id).values(status="processing"))
        session.execute(update(Document).where(Document.file_id == file_id).values(status="processing"))
    import_id = _file(service, file_id)["importId"]
    cancelled = service.client.post(f"/v1/imports/{import_id}/cancel", headers=service.tenant.headers)
    assert cancelled.status_code == 200
    outcome = PipelineOutcome(page_count=2, documents=[DocumentPart(1, 2)], errors=[], timings={}, fatal=None)
    processing._record(service.container, file_id, outcome)
    body = _file(service, file_id)
    assert (body["status"], body["error"]["code"]) == ("failed", "cancelled")  # type: ignore[index]
    assert body["documents"][0]["status"] == "failed"  # type: ignore[index]


class FlakyBlobStore:
    """The service's real blob store, whose reads fail the first ``failures`` times as a store
    that is down would (writes at intake go through)."""

    def __init__(self, inner: BlobStore, failures: int) -> None:
        self.inner, self.failures, self.reads = inner, failures, 0

    def put_file(self, key: str, spool: Path) -> None:
        self.inner.put_file(key, spool)

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self.inner.open(key)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        self.reads += 1
        if self.reads <= self.failures:
            raise StorageUnavailable("the blob store did not answer (test outage)")
        with self.inner.local_path(key) as path:
            yield path

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def check(self) -> None:
        self.inner.check()


def _attempts(service: Service, file_id: str) -> int:
    with service.container.db.session() as session:
        return int(session.scalar(select(File.attempts).where(File.id == file_id)) or 0)


def _documents(service: Service, file_id: str) -> int:
    with service.container.db.session() as session:
        return int(session.scalar(select(func.count()).where(Document.file_id == file_id)) or 0)


@pytest.fixture
def flaky(service: Service) -> Iterator[FlakyBlobStore]:
    store = FlakyBlobStore(service.container.blobs, failures=0)
    original, service.container.blobs = service.container.blobs, store
    yield store
    service.container.blobs = original


def test_blob_store_outage_is_retried_then_the_file_is_processed(
    service: Service, flaky: FlakyBlobStore
) -> None:
    """GIVEN a blob store that fails once WHEN a file is processed THEN the task runs again (the
    inline queue skips the backoff) and the file ends processed with one set of documents."""
    flaky.failures = 1
    file_id = _upload(service)
    body = _file(service, file_id)
    assert (body["status"], body["error"]) == ("processed", None)
    assert (flaky.reads, _attempts(service, file_id), _documents(service, file_id)) == (2, 2, 1)


def test_blob_store_that_stays_down_fails_the_file_after_three_attempts(
    service: Service, flaky: FlakyBlobStore
) -> None:
    flaky.failures = 99
    file_id = _upload(service)
    body = _file(service, file_id)
    assert (body["status"], body["error"]["code"]) == ("failed", "storage_unavailable")  # type: ignore[index]
    assert "gave up after 3 attempts" in body["error"]["message"]  # type: ignore[index]
    assert flaky.reads == 3


def test_corrupt_file_fails_at_once_without_retry(service: Service, flaky: FlakyBlobStore) -> None:
    """GIVEN a PDF that cannot be opened WHEN it is processed THEN it fails after exactly one
    attempt with the pipeline's error code (a retry cannot make broken bytes readable)."""
    files = [("files", ("broken.pdf", b"%PDF-1.4\nnot really a pdf\n", "application/pdf"))]
    answer = service.client.post("/v1/ingest/uploads", files=files, headers=service.tenant.headers)
    assert answer.status_code == 201
    file_id = str(answer.json()["files"][0]["id"])
    body = _file(service, file_id)
    assert body["status"] == "failed"
    assert body["error"]["code"] not in ("storage_unavailable", "database_unavailable")  # type: ignore[index]
    assert (flaky.reads, _attempts(service, file_id)) == (1, 1)


def test_retry_takes_over_its_own_claim_but_not_a_newer_one(service: Service) -> None:
    """GIVEN a file left `processing` by a run that could not hand it back (database down)
    WHEN its retry carries an older claim THEN it does nothing; WHEN it carries the current one
    THEN it processes the file."""
    file_id = _upload(service)
    with service.container.db.session() as session:
        session.execute(
            update(File).where(File.id == file_id).values(status="processing", attempts=2, processed_at=None)
        )
    assert processing.process_file(service.container, file_id, claimed=1) is None
    assert (_file(service, file_id)["status"], _attempts(service, file_id)) == ("processing", 2)
    assert processing.process_file(service.container, file_id, claimed=2) is None
    assert (_file(service, file_id)["status"], _attempts(service, file_id)) == ("processed", 3)
    assert _documents(service, file_id) == 1
