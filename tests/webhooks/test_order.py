"""Nothing lost and each file's events in order: with the receiver down for a while, and with two
real workers (a Huey consumer: delayed retries wait for its scheduler) racing through an import."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from docintake.storage.models import Event, WebhookDelivery
from tests.conftest import Service, make_pdf
from tests.webhooks.helpers import SHORT_SCHEDULE, add_endpoint, drive, upload, wait_until
from tests.webhooks.receiver import Received, Receiver, Reply

FILES = 3


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Enough retries, about 3 s of them, to outlast the receiver being down for one second.
    return {**SHORT_SCHEDULE, "webhook_retry_schedule": "0.2s,0.3s,0.4s,0.5s,0.5s,0.5s,0.5s,0.5s"}


def _file_of(request: Received) -> str | None:
    data = request.json["data"]
    if request.type.startswith("file."):
        return str(data["id"])
    return str(data["fileId"]) if request.type.startswith("document.") else None


def _assert_in_order(receiver: Receiver) -> None:
    """Per file: no request for a document before the file's event was accepted (2xx)."""
    accepted: set[str] = set()
    for request in receiver.requests:
        file_id = _file_of(request)
        if request.type == "file.processed":
            if 200 <= request.reply.status < 300:
                accepted.add(str(file_id))
        elif request.type == "document.processed":
            assert file_id in accepted, f"document.processed of {file_id} before its file.processed"


def _statuses(service: Service) -> Counter[str]:
    with service.container.db.session() as session:
        rows = session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
        return Counter({status: count for status, count in rows})


def test_no_event_is_lost_while_the_receiver_is_down(service: Service, receiver: Receiver) -> None:
    """GIVEN a receiver that is down (connections refused) WHEN an import of three files is processed
    and the receiver comes back a second later THEN every event arrives, verified, each file's in
    order, and every delivery ends succeeded."""
    endpoint = add_endpoint(service, receiver.url)
    receiver.stop()
    assert receiver.refuses_connections()
    upload(service, *((f"{n}.pdf", make_pdf(seed=10 + n)) for n in range(FILES)))
    assert receiver.requests == []
    restart = threading.Timer(1.0, receiver.start)
    restart.start()
    try:
        drive(service.container, timeout=20)
    finally:
        restart.join()

    with service.container.db.session() as session:
        events = set(session.scalars(select(Event.id)))
        retried = session.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.attempts > 1)
        )
    assert len(events) == 2 * FILES + 1
    assert {r.json["id"] for r in receiver.requests} == events
    assert len(receiver.requests) == len(events)  # every one accepted at its first arrival
    for request in receiver.requests:
        request.verify(endpoint.secret)
    _assert_in_order(receiver)
    assert retried and _statuses(service) == {"succeeded": len(events)}


def test_two_workers_deliver_every_event_once_in_order(live_service: Service, receiver: Receiver) -> None:
    """GIVEN two worker threads and a receiver that fails the first request of every event WHEN an
    import of four files is processed THEN each event is retried (through the queue's scheduler)
    and accepted once, each file's document after its file, and the import completes exactly once."""
    service = live_service
    endpoint = add_endpoint(service, receiver.url)
    first_seen: set[str] = set()
    lock = threading.Lock()

    def fail_first(request: Received) -> Reply:
        with lock:
            msg_id = request.headers["webhook-id"]
            if msg_id in first_seen:
                return Reply(200, delay=0.05)
            first_seen.add(msg_id)
            return Reply(500)

    receiver.responder = fail_first
    files = 4
    answer = upload(service, *((f"{n}.pdf", make_pdf(seed=20 + n)) for n in range(files)))

    def accepted() -> int:
        return len({r.json["id"] for r in receiver.requests if r.reply.status == 200})

    wait_until(lambda: accepted() == 2 * files + 1, timeout=60)
    wait_until(lambda: _statuses(service) == {"succeeded": 2 * files + 1}, timeout=10)
    ok = [r for r in receiver.requests if r.reply.status == 200]
    assert len(ok) == 2 * files + 1  # no event accepted twice
    assert Counter(r.type for r in ok)["import.completed"] == 1
    for request in receiver.requests:
        request.verify(endpoint.secret)
    _assert_in_order(receiver)
    with service.container.db.session() as session:
        completed = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.type == "import.completed", Event.import_id == answer["importId"])
        )
    assert completed == 1
