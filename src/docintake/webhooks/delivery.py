"""Sending deliveries: one attempt per task run, retried on the schedule, in order per file.

A run of ``deliver`` goes through three short steps, none holding a transaction while the receiver
takes its time:

1. *claim* (one transaction): the delivery must be pending, due, its endpoint enabled, and no
   earlier delivery of the same endpoint and file still pending (else it is deferred until that
   one is done: events of one file arrive in the order they happened). The claim is a conditional
   update of ``attempts`` (``WHERE attempts = <seen>``), so of two twin task runs only one sends,
   and it parks ``next_attempt_at`` one lease ahead: a worker that dies mid-request leaves the
   delivery due again for the sweep (at-least-once, never lost).
2. *send* (no transaction): POST the signed envelope (``transport.post``).
3. *record* (one transaction): the attempt for the log; success, a retry at the next point of the
   schedule, or failure; the endpoint's failure count, and disabling it on 410 Gone or when it
   keeps failing. Then the next task: the retry, or the delivery the finished one held back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.errors import ServiceUnavailable
from docintake.ids import new_id
from docintake.services.container import Container
from docintake.storage.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret
from docintake.webhooks import health
from docintake.webhooks.schedule import retry_delay
from docintake.webhooks.signing import signed_headers
from docintake.webhooks.transport import AttemptResult, post

log = logging.getLogger(__name__)
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
LEASE_EXTRA_SECONDS = 60.0  # a claimed attempt is presumed lost this long after its timeout
ORDER_RECHECK_SECONDS = 1.0  # a held-back delivery looks again this long after the one before it is due
CLOCK_SKEW_SECONDS = 1.0  # a task may run this much before the due time another machine computed
LOST_AFTER_SECONDS = 60.0  # the sweep re-queues a delivery due longer than this (its task was lost)
SWEEP_BATCH = 500
PING_TYPE = "webhook.test"


@dataclass(frozen=True)
class _Claim:
    delivery_id: str
    endpoint_id: str
    file_id: str | None
    attempt: int
    url: str
    msg_id: str
    body: bytes
    secrets: list[str]


def envelope(event: Event) -> dict[str, Any]:
    """What the receiver gets: the event's id, type, time and environment, and the resource as
    ``GET`` showed it when the event happened (built from the stored event, so every attempt and
    replay sends the same bytes apart from the signature headers)."""
    return {
        "id": event.id,
        "type": event.type,
        "timestamp": _iso(event.created_at),
        "environmentId": event.environment_id,
        "data": event.payload,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def valid_secrets(session: Session, endpoint_id: str, now: datetime) -> list[str]:
    """Every secret of the endpoint that signs now: the current one, and after a rotation the
    previous ones until they expire."""
    rows = session.scalars(
        select(WebhookSecret.secret)
        .where(
            WebhookSecret.endpoint_id == endpoint_id,
            or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now),
        )
        .order_by(WebhookSecret.id.desc())
    )
    return list(rows)


def queue_delivery(c: Container, delivery_id: str, *, delay: float = 0) -> None:
    """Queue a delivery's task (high priority). A queue that is down loses nothing: the delivery
    is committed and pending, and the sweep queues it again once it is overdue."""
    try:
        c.queue.enqueue_delivery(delivery_id, delay=delay)
    except ServiceUnavailable:
        log.warning("queue unavailable: delivery %s is left to the sweep", delivery_id)


def deliver(c: Container, delivery_id: str) -> str | None:
    """Make the delivery's next attempt if it is due; the delivery's status afterwards, or None
    when this run had nothing to do (not pending or not due, held back, or a twin sent it)."""
    claim = _claim(c, delivery_id)
    if not isinstance(claim, _Claim):
        if claim is not None:  # held back behind an earlier delivery of the same file
            queue_delivery(c, delivery_id, delay=claim)
        return None
    now = utcnow()
    if claim.secrets:
        headers = signed_headers(claim.secrets, claim.msg_id, int(now.timestamp()), claim.body)
        result = post(c.settings, claim.url, claim.body, headers)
    else:
        result = AttemptResult(None, None, "the endpoint has no valid signing secret; nothing was sent")
    status, follow_ups = _record(c, claim, result)
    for next_id, delay in follow_ups:
        queue_delivery(c, next_id, delay=delay)
    return status


def _claim(c: Container, delivery_id: str) -> _Claim | float | None:
    """The claimed attempt; a delay (seconds) when held back by an earlier delivery; else None."""
    now = utcnow()
    lease = timedelta(seconds=c.settings.webhook_timeout_seconds * 3 + LEASE_EXTRA_SECONDS)
    with c.db.session() as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None or row.status != PENDING:
            return None
        endpoint = session.get(WebhookEndpoint, row.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return None  # stays pending: it goes out when the endpoint is enabled again
        due = row.next_attempt_at
        if due is not None and due > now + timedelta(seconds=CLOCK_SKEW_SECONDS):
            return None  # early: the task queued for its due time (or the sweep) sends it
        before = _earlier_pending(session, row)
        if before is not None:
            wait_until = max(before.next_attempt_at or now, now) + timedelta(seconds=ORDER_RECHECK_SECONDS)
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row.id, WebhookDelivery.attempts == row.attempts)
                .values(next_attempt_at=wait_until)
            )
            return (wait_until - now).total_seconds()
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == row.id,
                WebhookDelivery.status == PENDING,
                WebhookDelivery.attempts == row.attempts,
            )
            .values(attempts=row.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None  # a twin run claimed it first
        event = session.get(Event, row.event_id)
        assert event is not None
        return _Claim(
            delivery_id=row.id,
            endpoint_id=endpoint.id,
            file_id=row.file_id,
            attempt=row.attempts + 1,
            url=endpoint.url,
            msg_id=event.id,
            body=_body(envelope(event)),
            secrets=valid_secrets(session, endpoint.id, now),
        )


def _earlier_pending(session: Session, row: WebhookDelivery) -> WebhookDelivery | None:
    """The oldest delivery that must go before ``row``: same endpoint, same file, still pending."""
    if row.file_id is None:
        return None
    return session.scalar(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == row.endpoint_id,
            WebhookDelivery.file_id == row.file_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.id < row.id,
        )
        .order_by(WebhookDelivery.id)
        .limit(1)
    )


def _record(c: Container, claim: _Claim, result: AttemptResult) -> tuple[str, list[tuple[str, float]]]:
    """Log the attempt and decide what follows; returns the status and the tasks to queue."""
    now = utcnow()
    follow_ups: list[tuple[str, float]] = []
    with c.db.session() as session:
        session.add(
            WebhookAttempt(
                delivery_id=claim.delivery_id,
                attempt=claim.attempt,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                error=result.error,
                response_body=result.response_body,
                created_at=now,
            )
        )
        session.flush()
        next_at: datetime | None = None
        enabled = True
        if result.ok:
            status = SUCCEEDED
            health.succeeded(session, claim.endpoint_id)
        elif result.status_code == 410:
            status = FAILED
            enabled = not health.disable(session, claim.endpoint_id, "the endpoint answered 410 Gone")
        else:
            delay = retry_delay(c.settings, claim.attempt, result.retry_after)
            status = PENDING if delay is not None else FAILED
            next_at = now + timedelta(seconds=delay) if delay is not None else None
            enabled = not health.failed(session, claim.endpoint_id, c.settings, result, now)
            if delay is not None and enabled:
                follow_ups.append((claim.delivery_id, delay))
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == claim.delivery_id,
                WebhookDelivery.status == PENDING,
                WebhookDelivery.attempts == claim.attempt,
            )
            .values(status=status, next_attempt_at=next_at)
        )
        if status != PENDING and enabled:
            follow_ups += _release_next(session, claim, now)
    return status, follow_ups


def _release_next(session: Session, claim: _Claim, now: datetime) -> list[tuple[str, float]]:
    """The delivery of the same file that waited for this one, made due now (the hand-off that
    keeps ordered deliveries moving without waiting for their re-check)."""
    if claim.file_id is None:
        return []
    successor = session.scalar(
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.endpoint_id == claim.endpoint_id,
            WebhookDelivery.file_id == claim.file_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.id > claim.delivery_id,
        )
        .order_by(WebhookDelivery.id)
        .limit(1)
    )
    if successor is None:
        return []
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == successor, WebhookDelivery.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    return [(successor, 0.0)]


def sweep_deliveries(
    c: Container, *, lost_after_seconds: float = LOST_AFTER_SECONDS, limit: int = SWEEP_BATCH
) -> list[str]:
    """Queue again the pending deliveries of enabled endpoints that are overdue by more than
    ``lost_after_seconds``: their task was lost (queue down, worker killed mid-request). A twin
    of a task that still exists is harmless: the claim lets one send. Run every minute."""
    cutoff = utcnow() - timedelta(seconds=lost_after_seconds)
    with c.db.session() as session:
        due = list(
            session.scalars(
                select(WebhookDelivery.id)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(
                    WebhookDelivery.status == PENDING,
                    WebhookEndpoint.enabled.is_(True),
                    or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= cutoff),
                )
                .order_by(WebhookDelivery.id)
                .limit(limit)
            )
        )
    for delivery_id in due:
        queue_delivery(c, delivery_id)
    return due


def resume_endpoint(c: Container, endpoint_id: str) -> int:
    """After an endpoint is enabled again: make its pending deliveries due now and queue them
    (oldest first; the order rule keeps each file's events in sequence). Returns how many."""
    now = utcnow()
    with c.db.session() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING)
            .values(next_attempt_at=now)
        )
        pending = list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING)
                .order_by(WebhookDelivery.id)
            )
        )
    for delivery_id in pending:
        queue_delivery(c, delivery_id)
    return len(pending)


def send_ping(c: Container, endpoint: WebhookEndpoint) -> AttemptResult:
    """Send a signed ``webhook.test`` event to the endpoint now, enabled or not, and return how it
    went. Nothing is stored and the endpoint's failure count is untouched: a ping is the user
    checking their receiver, not an event owed to it (the answer is its log)."""
    now = utcnow()
    with c.db.session() as session:
        secrets = valid_secrets(session, endpoint.id, now)
    if not secrets:
        return AttemptResult(None, None, "the endpoint has no valid signing secret; nothing was sent")
    msg_id = new_id()
    body = _body(
        {
            "id": msg_id,
            "type": PING_TYPE,
            "timestamp": _iso(now),
            "environmentId": endpoint.environment_id,
            "data": {"webhookId": endpoint.id},
        }
    )
    return post(c.settings, endpoint.url, body, signed_headers(secrets, msg_id, int(now.timestamp()), body))
