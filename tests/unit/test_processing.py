"""The worker's bookkeeping: duplicated tasks are harmless and files of dead workers are recovered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from docintake.clock import utcnow
from docintake.pipeline.runner import DocumentPart, PipelineOutcome
from docintake.services import processing
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
