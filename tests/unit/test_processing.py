"""The worker's bookkeeping: duplicated tasks are harmless and files of dead workers are recovered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from docintake.clock import utcnow
from docintake.services import processing
from docintake.storage.models import File
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
