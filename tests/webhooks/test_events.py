"""Events at the state changes: what an upload, a zip, a URL and a broken file send, signed and
verified with the Standard Webhooks reference library, each carrying the resource as GET shows it;
exactly one `import.completed` per import, and nothing from a run that lost a race."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from docintake.services import processing
from docintake.storage.models import Event, File, Import, WebhookDelivery
from tests.conftest import Service, make_pdf, make_zip
from tests.helpers import get
from tests.webhooks.helpers import add_endpoint, upload
from tests.webhooks.receiver import Receiver

BROKEN_PDF = b"%PDF-1.4\nnot really a pdf\n"
NOTES = b"just some notes, not a document\n"


def _events(service: Service, type_: str | None = None) -> list[Event]:
    with service.container.db.session() as session:
        query = select(Event).order_by(Event.id)
        if type_ is not None:
            query = query.where(Event.type == type_)
        return list(session.scalars(query))


def test_processed_upload_delivers_signed_events_with_the_resources(
    service: Service, receiver: Receiver
) -> None:
    """GIVEN an endpoint WHEN an import of two PDFs is processed THEN it receives file.processed and
    document.processed for each and one import.completed, each signed (verified by the reference
    library), with the event id as webhook-id and the resource exactly as GET returns it."""
    endpoint = add_endpoint(service, receiver.url)
    answer = upload(service, ("a.pdf", make_pdf(seed=1)), ("b.pdf", make_pdf(seed=2)))

    receiver.wait_for(5)
    assert Counter(r.type for r in receiver.requests) == {
        "file.processed": 2,
        "document.processed": 2,
        "import.completed": 1,
    }
    for request in receiver.requests:
        payload = request.verify(endpoint.secret)
        assert request.headers["webhook-id"] == payload["id"]
        assert request.headers["content-type"] == "application/json"
        assert payload["environmentId"] == service.tenant.environment_id
        assert payload["timestamp"].endswith("Z")
    assert {r.json["id"] for r in receiver.requests} == {e.id for e in _events(service)}

    for request in receiver.of_type("file.processed"):
        data = request.json["data"]
        assert data["status"] == "processed"
        assert data == get(service, f"/v1/ingest/files/{data['id']}")
    for request in receiver.of_type("document.processed"):
        data = request.json["data"]
        assert data == get(service, f"/v1/documents/{data['id']}")
    (completed,) = receiver.of_type("import.completed")
    assert completed.json["data"] == get(service, f"/v1/imports/{answer['importId']}")
    assert completed.json["data"]["status"] == "completed"
    # one file's events in order: the file before its document
    for file_id in (f["id"] for f in answer["files"]):
        types = [
            r.type for r in receiver.requests if r.json["data"].get("fileId", r.json["data"]["id"]) == file_id
        ]
        assert types == ["file.processed", "document.processed"]


def test_zip_children_and_refused_files_each_have_their_event(service: Service, receiver: Receiver) -> None:
    """GIVEN an upload of a zip (a PDF and a text file inside) and a refused text file WHEN it is
    processed THEN the zip's unpacking, each refusal and the PDF each send their event, and the
    import completes once, after the PDF."""
    add_endpoint(service, receiver.url)
    bundle = make_zip({"inside.pdf": make_pdf(seed=3), "notes.txt": NOTES})
    answer = upload(service, ("bundle.zip", bundle), ("readme.txt", NOTES))

    receiver.wait_for(6)
    by_type = Counter(r.type for r in receiver.requests)
    assert by_type == {
        "file.processed": 2,
        "file.rejected": 2,
        "document.processed": 1,
        "import.completed": 1,
    }
    rejected = {r.json["data"]["filename"] for r in receiver.of_type("file.rejected")}
    assert rejected == {"notes.txt", "readme.txt"}
    assert receiver.requests[-1].type == "import.completed"
    assert receiver.requests[-1].json["data"]["id"] == answer["importId"]


def test_an_import_final_at_intake_completes_at_intake(service: Service, receiver: Receiver) -> None:
    """GIVEN a zip whose every entry is refused WHEN it is uploaded THEN the import completes at once."""
    add_endpoint(service, receiver.url)
    answer = upload(service, ("bundle.zip", make_zip({"a.txt": NOTES, "b.txt": NOTES + b"!"})))
    receiver.wait_for(4)
    assert [r.type for r in receiver.requests] == [
        "file.processed",
        "file.rejected",
        "file.rejected",
        "import.completed",
    ]
    with service.container.db.session() as session:
        imp = session.get(Import, answer["importId"])
        assert imp is not None and imp.completed_at is not None


def test_a_broken_file_sends_file_failed(service: Service, receiver: Receiver) -> None:
    add_endpoint(service, receiver.url)
    upload(service, ("broken.pdf", BROKEN_PDF))
    receiver.wait_for(2)
    assert [r.type for r in receiver.requests] == ["file.failed", "import.completed"]
    failed = receiver.requests[0].json["data"]
    assert failed["status"] == "failed" and failed["error"]["code"]


def test_a_url_that_is_a_zip(service: Service, receiver: Receiver) -> None:
    """GIVEN a URL serving a zip WHEN the worker downloads it THEN the URL's file (unpacked), the
    refused entry, the PDF and its document send their events, and the import completes once."""
    add_endpoint(service, receiver.url)
    receiver.files["bundle.zip"] = make_zip({"in.pdf": make_pdf(seed=4), "notes.txt": NOTES})
    answer = service.client.post(
        "/v1/ingest/by-url", json={"urls": [receiver.file_url("bundle.zip")]}, headers=service.tenant.headers
    )
    assert answer.status_code == 201, answer.text
    receiver.wait_for(5)
    assert Counter(r.type for r in receiver.requests) == {
        "file.processed": 2,
        "file.rejected": 1,
        "document.processed": 1,
        "import.completed": 1,
    }
    url_file = answer.json()["files"][0]["id"]
    assert receiver.requests[0].json["data"]["id"] == url_file
    assert receiver.requests[-1].type == "import.completed"


def test_a_run_that_loses_the_race_emits_nothing(service: Service, receiver: Receiver) -> None:
    """GIVEN a processed file WHEN its task runs again, or a late failure is recorded THEN no event."""
    add_endpoint(service, receiver.url)
    answer = upload(service, ("a.pdf", make_pdf(seed=5)))
    before = len(_events(service))
    file_id = answer["files"][0]["id"]
    processing.process_file(service.container, file_id)
    processing.fail_file(service.container, file_id, "timeout", "too late")
    assert len(_events(service)) == before == 3
    assert len(receiver.requests) == 3


def test_only_endpoints_that_want_the_event_get_it(service: Service, receiver: Receiver) -> None:
    """GIVEN an endpoint for import.completed only, and one of another environment WHEN an upload is
    processed THEN the first gets one delivery and the other none."""
    wants = add_endpoint(service, receiver.url, events=["import.completed"])
    other = service.new_tenant("acme", "staging")
    add_endpoint(service, receiver.url + "/other", tenant=other)
    upload(service, ("a.pdf", make_pdf(seed=6)))
    receiver.wait_for(1)
    assert [r.type for r in receiver.requests] == ["import.completed"]
    assert receiver.requests[0].path == "/hook"
    receiver.requests[0].verify(wants.secret)
    with service.container.db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def _fail_at_once(service: Service, file_ids: list[str]) -> None:
    """Fail every file from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(file_ids))
    errors: list[BaseException] = []

    def finish(file_id: str) -> None:
        try:
            barrier.wait()
            processing.fail_file(service.container, file_id, "cancelled", "stopped")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=finish, args=(f,)) for f in file_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors


def test_one_import_completed_when_the_last_files_finish_at_once(service: Service) -> None:
    """GIVEN imports whose files are all pending WHEN threads finish every file at the same moment
    THEN each import is completed exactly once (PostgreSQL: the import row lock closes the race)."""
    env = service.tenant.environment_id
    for _round in range(5):
        with service.container.db.session() as session:
            imp = Import(environment_id=env, kind="upload", options={})
            session.add(imp)
            session.flush()
            rows = [
                File(
                    environment_id=env,
                    import_id=imp.id,
                    filename=f"{n}.pdf",
                    source="upload",
                    status="queued",
                )
                for n in range(4)
            ]
            session.add_all(rows)
            session.flush()
            import_id, file_ids = imp.id, [r.id for r in rows]
        _fail_at_once(service, file_ids)
        with service.container.db.session() as session:
            completed = session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.type == "import.completed", Event.import_id == import_id)
            )
            failed = session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.type == "file.failed", Event.import_id == import_id)
            )
        assert (completed, failed) == (1, 4)
