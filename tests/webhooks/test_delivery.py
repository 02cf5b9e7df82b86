"""Delivering one event against a real receiver: retries on the (shortened) schedule after 500s and
timeouts, Retry-After, 410 and endpoints that keep failing, rotation, twin tasks, the sweep, SSRF
refusal, replay and the test ping. Requests are real HTTP on loopback; ``drive`` replaces Huey's
scheduler (the inline queue has none) by waiting for each due time and running the sweep."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from email.utils import formatdate

import pytest
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import WebhookVerificationError

from docintake.clock import utcnow
from docintake.services.events import record_event
from docintake.storage.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret
from docintake.webhooks import deliver, queue_delivery, send_ping, sweep_deliveries
from docintake.webhooks.schedule import parse_retry_after
from tests.conftest import Service
from tests.webhooks.helpers import Endpoint, add_endpoint, drive, new_secret
from tests.webhooks.receiver import Receiver, Reply

SCHEDULE = (0.2, 0.4)
JITTER = 0.2
SLACK = 1.5  # scheduling overhead allowed on a busy machine (the default schedule waits minutes)


def _emit(service: Service, *, file_id: str | None = "file-1", queue: bool = True) -> str:
    """One event with one delivery per endpoint; queued (inline: its first attempt runs now)."""
    with service.container.db.session() as session:
        _, deliveries = record_event(
            session,
            type="file.processed",
            environment_id=service.tenant.environment_id,
            payload={"id": file_id, "status": "processed", "filename": "Rechnung Müller.pdf"},
            file_id=file_id,
        )
        ids = [d.id for d in deliveries]
    if queue:
        for delivery_id in ids:
            queue_delivery(service.container, delivery_id)
    assert len(ids) == 1
    return ids[0]


def _delivery(service: Service, delivery_id: str) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    with service.container.db.session() as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert row is not None
        attempts = session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.attempt)
        )
        return row, list(attempts)


def _endpoint(service: Service, endpoint: Endpoint) -> WebhookEndpoint:
    with service.container.db.session() as session:
        row = session.get(WebhookEndpoint, endpoint.id)
        assert row is not None
        return row


def _gaps(receiver: Receiver) -> list[float]:
    return [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]


def test_retries_after_500s_follow_the_schedule(service: Service, receiver: Receiver) -> None:
    """GIVEN a receiver answering 500 twice WHEN an event is delivered THEN it is retried after the
    schedule's waits (with jitter), with the same webhook-id, until the 200; the log has all three."""
    endpoint = add_endpoint(service, receiver.url)
    receiver.answer(Reply(500, body=b"boom"), Reply(503))
    delivery_id = _emit(service)
    drive(service.container)

    assert [r.reply.status for r in receiver.requests] == [500, 503, 200]
    for gap, wait in zip(_gaps(receiver), SCHEDULE, strict=True):
        assert wait * (1 - JITTER) - 0.01 <= gap <= wait * (1 + JITTER) + SLACK, _gaps(receiver)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    for request in receiver.requests:
        assert request.verify(endpoint.secret)["data"]["filename"] == "Rechnung Müller.pdf"
    row, attempts = _delivery(service, delivery_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("succeeded", 3, None)
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
    assert attempts[0].response_body == "boom" and attempts[0].error == "HTTP 500"
    assert all(a.latency_ms is not None for a in attempts)
    assert _endpoint(service, endpoint).consecutive_failures == 0


def test_a_delivery_fails_once_the_schedule_is_spent(service: Service, receiver: Receiver) -> None:
    add_endpoint(service, receiver.url)
    receiver.responder = lambda _request: Reply(500)
    delivery_id = _emit(service)
    drive(service.container)
    time.sleep(0.3)
    sweep_deliveries(service.container, lost_after_seconds=0)
    row, attempts = _delivery(service, delivery_id)
    assert (row.status, row.attempts, len(attempts), len(receiver.requests)) == ("failed", 3, 3, 3)


def test_a_timeout_is_retried(service: Service, receiver: Receiver) -> None:
    """GIVEN a receiver slower than the timeout once WHEN an event is delivered THEN the attempt is
    logged as a timeout and the retry, after the first wait, succeeds."""
    add_endpoint(service, receiver.url)
    receiver.answer(Reply(200, delay=1.5))
    delivery_id = _emit(service)
    drive(service.container)
    row, attempts = _delivery(service, delivery_id)
    assert row.status == "succeeded"
    assert attempts[0].status_code is None and "timed out" in (attempts[0].error or "")
    assert attempts[0].latency_ms is not None and attempts[0].latency_ms >= 450
    assert attempts[1].status_code == 200
    assert len(receiver.requests) == 2 and _gaps(receiver)[0] >= 0.5 + SCHEDULE[0] * (1 - JITTER) - 0.01


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_respected(service: Service, receiver: Receiver, form: str) -> None:
    """GIVEN a 429 with Retry-After (seconds or an HTTP date) longer than the schedule's wait WHEN
    the delivery is retried THEN not sooner than the receiver asked."""
    add_endpoint(service, receiver.url)
    value = "1" if form == "seconds" else formatdate(time.time() + 2, usegmt=True)
    receiver.answer(Reply(429, headers={"Retry-After": value}))
    delivery_id = _emit(service)
    drive(service.container)
    assert [r.reply.status for r in receiver.requests] == [429, 200]
    assert _gaps(receiver)[0] >= 1.0
    assert _delivery(service, delivery_id)[0].status == "succeeded"


def test_a_long_retry_after_is_capped(service: Service, receiver: Receiver) -> None:
    add_endpoint(service, receiver.url)
    receiver.answer(Reply(503, headers={"Retry-After": "86400"}))
    before = utcnow()
    delivery_id = _emit(service)
    row, _ = _delivery(service, delivery_id)
    assert row.status == "pending" and row.next_attempt_at is not None
    assert timedelta(seconds=4.9) <= row.next_attempt_at - before <= timedelta(seconds=6)  # the cap is 5 s


def test_parse_retry_after() -> None:
    now = utcnow()
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(formatdate(now.timestamp() + 30, usegmt=True), now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now.timestamp() - 30, usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_410_disables_the_endpoint(service: Service, receiver: Receiver) -> None:
    """GIVEN a receiver answering 410 Gone WHEN an event is delivered THEN the endpoint is disabled
    at once with the reason, and owed no later events."""
    endpoint = add_endpoint(service, receiver.url)
    receiver.answer(Reply(410))
    first = _emit(service)
    assert _delivery(service, first)[0].status == "failed"
    row = _endpoint(service, endpoint)
    assert not row.enabled and row.disabled_at is not None
    assert "410" in (row.disabled_reason or "")
    with service.container.db.session() as session:  # a disabled endpoint is owed no new events
        _, deliveries = record_event(
            session, type="file.failed", environment_id=service.tenant.environment_id, payload={}
        )
    assert deliveries == []
    assert len(receiver.requests) == 1


def test_an_endpoint_that_keeps_failing_is_disabled_with_its_reason(
    service: Service, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a receiver that always answers 500 WHEN its failures reach the count but have not
    lasted long enough THEN it stays enabled; once they have lasted, the next failure disables it."""
    endpoint = add_endpoint(service, receiver.url)
    receiver.responder = lambda _request: Reply(500)
    monkeypatch.setattr(service.settings, "webhook_disable_after_failures", 3)
    monkeypatch.setattr(service.settings, "webhook_disable_after_seconds", 3600)
    first = _emit(service)
    drive(service.container)
    assert _delivery(service, first)[0].status == "failed"
    row = _endpoint(service, endpoint)
    assert row.enabled and row.consecutive_failures == 3  # failing, but not for an hour yet

    monkeypatch.setattr(service.settings, "webhook_disable_after_seconds", 0.5)
    second = _emit(service, file_id="file-2")
    row = _endpoint(service, endpoint)
    assert not row.enabled and row.disabled_at is not None
    assert row.disabled_reason is not None and row.disabled_reason.startswith(
        "disabled after 4 failed requests"
    )
    assert "HTTP 500" in row.disabled_reason
    assert _delivery(service, second)[0].status == "pending"  # waits for the endpoint to be enabled again
    assert sweep_deliveries(service.container, lost_after_seconds=0) == []
    assert len(receiver.requests) == 4


def test_during_a_rotation_both_secrets_sign(service: Service, receiver: Receiver) -> None:
    """GIVEN an endpoint whose old secret is in its grace period, a new one, and one expired WHEN an
    event is delivered THEN the old and the new secret each verify the same request; the expired not."""
    old, expired = new_secret(), new_secret()
    endpoint = add_endpoint(service, receiver.url, secret=old)
    new = new_secret()
    with service.container.db.session() as session:
        session.execute(
            update(WebhookSecret)
            .where(WebhookSecret.endpoint_id == endpoint.id)
            .values(expires_at=utcnow() + timedelta(hours=1))
        )
        session.add(WebhookSecret(endpoint_id=endpoint.id, secret=new))
        session.add(
            WebhookSecret(endpoint_id=endpoint.id, secret=expired, expires_at=utcnow() - timedelta(seconds=1))
        )
    _emit(service)
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(old) == request.verify(new)
    with pytest.raises(WebhookVerificationError):
        request.verify(expired)


def test_twin_tasks_send_once(service: Service, receiver: Receiver) -> None:
    """GIVEN one delivery WHEN two task runs start it at the same moment THEN one request is sent."""
    add_endpoint(service, receiver.url)
    receiver.responder = lambda _request: Reply(200, delay=0.3)
    delivery_id = _emit(service, queue=False)
    barrier = threading.Barrier(2)
    outcomes: list[str | None] = []

    def run() -> None:
        barrier.wait()
        outcomes.append(deliver(service.container, delivery_id))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes, key=str) == [None, "succeeded"]
    assert len(receiver.requests) == 1


def test_the_sweep_sends_a_delivery_whose_task_was_lost(service: Service, receiver: Receiver) -> None:
    """GIVEN a delivery committed but never queued (queue down), overdue WHEN the sweep runs THEN
    it is sent; a delivery claimed by a running attempt (within its lease) is left alone."""
    add_endpoint(service, receiver.url)
    lost = _emit(service, queue=False)
    assert sweep_deliveries(service.container) == []  # not overdue yet
    with service.container.db.session() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == lost)
            .values(next_attempt_at=utcnow() - timedelta(minutes=2))
        )
    assert sweep_deliveries(service.container) == [lost]
    assert _delivery(service, lost)[0].status == "succeeded"
    in_flight = _emit(service, file_id="file-2", queue=False)
    with service.container.db.session() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == in_flight)
            .values(attempts=1, next_attempt_at=utcnow() + timedelta(seconds=60))
        )
    assert sweep_deliveries(service.container, lost_after_seconds=0) == []
    assert len(receiver.requests) == 1


def test_a_replay_sends_the_same_event_id(service: Service, receiver: Receiver) -> None:
    endpoint = add_endpoint(service, receiver.url)
    original = _emit(service)
    with service.container.db.session() as session:
        row = session.get(WebhookDelivery, original)
        assert row is not None
        replay = WebhookDelivery(
            environment_id=row.environment_id,
            endpoint_id=row.endpoint_id,
            event_id=row.event_id,
            file_id=row.file_id,
            replay_of=row.id,
        )
        session.add(replay)
        session.flush()
        replay_id = replay.id
    queue_delivery(service.container, replay_id)
    first, again = receiver.requests
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert first.body == again.body
    again.verify(endpoint.secret)
    assert _delivery(service, replay_id)[0].status == "succeeded"


def test_redirects_are_not_followed(service: Service, receiver: Receiver) -> None:
    add_endpoint(service, receiver.url)
    receiver.answer(Reply(307, headers={"Location": receiver.url + "/elsewhere"}))
    delivery_id = _emit(service)
    _, (attempt,) = _delivery(service, delivery_id)
    assert attempt.status_code == 307 and "redirects are not followed" in (attempt.error or "")
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_a_non_public_address_is_refused_unless_allow_listed(
    service: Service, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a loopback URL that is not allow-listed WHEN an event is delivered THEN nothing reaches
    it and the attempt says why."""
    add_endpoint(service, receiver.url)
    monkeypatch.setattr(service.settings, "url_allowlist", [])
    delivery_id = _emit(service)
    row, (attempt,) = _delivery(service, delivery_id)
    assert row.status == "pending" and attempt.status_code is None
    assert "non-public address" in (attempt.error or "")
    assert receiver.requests == []


def test_the_ping_is_signed_and_leaves_nothing_behind(service: Service, receiver: Receiver) -> None:
    endpoint = add_endpoint(service, receiver.url)
    with service.container.db.session() as session:
        row = session.get(WebhookEndpoint, endpoint.id)
        assert row is not None
        session.expunge(row)
    result = send_ping(service.container, row)
    assert result.ok and result.status_code == 200 and result.response_body == "ok"
    (request,) = receiver.requests
    payload = request.verify(endpoint.secret)
    assert payload["type"] == "webhook.test" and payload["data"] == {"webhookId": endpoint.id}
    receiver.answer(Reply(500, body=b"down"))
    failed = send_ping(service.container, row)
    assert not failed.ok and failed.status_code == 500 and failed.response_body == "down"
    with service.container.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert _endpoint(service, endpoint).consecutive_failures == 0
