"""Webhook endpoints of an environment: create, change, rotate secrets, read the delivery log,
replay and ping. Tenant-scoped like ``services.resources``: another environment's endpoint or
delivery id is indistinguishable from one that never existed (404).

Sending is the delivery engine's (``docintake.webhooks``); this module only writes rows and asks it
to queue or send. Secret values leave here only in the answer that creates them, and are never logged.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.errors import Conflict, FileRejected, NotFound, ValidationFailed
from docintake.intake.urls import check_address, literal_ip, validate_url
from docintake.schemas import (
    Page,
    WebhookAttemptOut,
    WebhookDeliveryOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatch,
    WebhookEndpointWithSecret,
    WebhookSecretOut,
    WebhookTestOut,
)
from docintake.services.auth import Principal
from docintake.services.container import Container
from docintake.services.events import EVENT_TYPES
from docintake.services.pagination import paginate
from docintake.services.resources import owned
from docintake.storage.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret
from docintake.webhooks import queue_delivery, resume_endpoint, send_ping
from docintake.webhooks.signing import SECRET_PREFIX

SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes
RESPONSE_BODY_CHARS = 2048
DELIVERY_STATUSES = ("pending", "succeeded", "failed")
DISABLED_BY_USER = "disabled through the API"
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def new_secret() -> str:
    """``whsec_`` + base64 of random bytes: the format the Standard Webhooks libraries read."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def check_events(events: Sequence[str]) -> list[str]:
    """The event types, de-duplicated in order; unknown ones are refused by name."""
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        names = list(dict.fromkeys(unknown))
        listed = ", ".join(repr(e) for e in names)
        raise ValidationFailed(
            f"unknown event type{'s' if len(names) > 1 else ''} {listed}; known: {', '.join(EVENT_TYPES)}",
            code="unknown_event_type",
        )
    return list(dict.fromkeys(events))


def _shown(url: str) -> str:
    """The URL as an error may repeat it: as sent, less any user name or password."""
    return _USERINFO.sub(r"\1", url.strip())[:300]


def check_url(url: str, container: Container) -> str:
    """The SSRF rules of URL intake, at the time they can be applied without DNS: http(s) only, no
    credentials, a valid host, and a literal IP must be public or allow-listed. Host names are
    resolved, and every address checked, by the delivery engine at each delivery."""
    try:
        clean = validate_url(url)
        ip = literal_ip(clean)
        if ip is not None:
            check_address(ip, container.settings.url_allowlist)
    except FileRejected as exc:
        raise ValidationFailed(
            f"webhook URL {_shown(url)!r} is refused: {exc.message}", code=exc.code
        ) from None
    return clean


class Webhooks:
    def __init__(self, container: Container) -> None:
        self.c = container

    # -- endpoints -------------------------------------------------------------------------

    def create_endpoint(self, principal: Principal, body: WebhookEndpointIn) -> WebhookEndpointWithSecret:
        url = check_url(body.url, self.c)
        events = check_events(body.events)
        now = utcnow()
        with self.c.db.session() as session:
            endpoint = WebhookEndpoint(
                environment_id=principal.environment_id,
                url=url,
                events=events,
                description=body.description,
                enabled=body.enabled,
                disabled_at=None if body.enabled else now,
                disabled_reason=None if body.enabled else DISABLED_BY_USER,
            )
            session.add(endpoint)
            session.flush()
            value = new_secret()
            session.add(WebhookSecret(endpoint_id=endpoint.id, secret=value))
            session.flush()
            out = _endpoint_out(endpoint, _secrets_of(session, [endpoint.id])[endpoint.id])
        return WebhookEndpointWithSecret(**out.model_dump(), secret=value)

    def list_endpoints(
        self, principal: Principal, limit: int, cursor: str | None
    ) -> Page[WebhookEndpointOut]:
        with self.c.db.session() as session:
            query = select(WebhookEndpoint).where(WebhookEndpoint.environment_id == principal.environment_id)
            rows, next_cursor = paginate(session, query, WebhookEndpoint.id, limit, cursor)
            by_endpoint = _secrets_of(session, [r.id for r in rows])
            return Page(items=[_endpoint_out(r, by_endpoint[r.id]) for r in rows], next_cursor=next_cursor)

    def get_endpoint(self, principal: Principal, endpoint_id: str) -> WebhookEndpointOut:
        with self.c.db.session() as session:
            endpoint = _owned_endpoint(session, principal, endpoint_id)
            return _endpoint_out(endpoint, _secrets_of(session, [endpoint.id])[endpoint.id])

    def update_endpoint(
        self, principal: Principal, endpoint_id: str, body: WebhookEndpointPatch
    ) -> WebhookEndpointOut:
        given = body.model_fields_set
        for name in ("url", "description", "enabled"):
            if name in given and getattr(body, name) is None:
                raise ValidationFailed(f"{name} cannot be null; leave it out to keep it")
        url = check_url(body.url, self.c) if body.url is not None else None
        events = check_events(body.events) if body.events is not None else None
        resumed = False
        with self.c.db.session() as session:
            endpoint = _owned_endpoint(session, principal, endpoint_id)
            if url is not None:
                endpoint.url = url
            if events is not None or "events" in given:
                endpoint.events = events or []
            if body.description is not None:
                endpoint.description = body.description
            if body.enabled is True and not endpoint.enabled:
                endpoint.enabled = True
                endpoint.disabled_reason = None
                endpoint.disabled_at = None
                endpoint.consecutive_failures = 0
                resumed = True
            elif body.enabled is False and endpoint.enabled:
                endpoint.enabled = False
                endpoint.disabled_reason = DISABLED_BY_USER
                endpoint.disabled_at = utcnow()
            endpoint.updated_at = utcnow()
            session.flush()
            out = _endpoint_out(endpoint, _secrets_of(session, [endpoint.id])[endpoint.id])
        if resumed:  # what waited while it was disabled goes out now, in order
            resume_endpoint(self.c, endpoint_id)
        return out

    def delete_endpoint(self, principal: Principal, endpoint_id: str) -> None:
        """The endpoint, its secrets and its delivery log (the database cascades)."""
        with self.c.db.session() as session:
            session.delete(_owned_endpoint(session, principal, endpoint_id))

    def rotate_secret(
        self, principal: Principal, endpoint_id: str, grace_seconds: int | None
    ) -> WebhookEndpointWithSecret:
        """A new secret; the current ones keep signing for ``grace_seconds`` (so receivers can
        switch without dropping a delivery), then expire. Secrets already expired are removed."""
        grace = timedelta(
            seconds=self.c.settings.webhook_secret_grace_seconds if grace_seconds is None else grace_seconds
        )
        now = utcnow()
        with self.c.db.session() as session:
            endpoint = _owned_endpoint(session, principal, endpoint_id)
            until = now + grace
            for old in session.scalars(select(WebhookSecret).where(WebhookSecret.endpoint_id == endpoint.id)):
                if old.expires_at is not None and old.expires_at <= now:
                    session.delete(old)
                elif old.expires_at is None or old.expires_at > until:
                    old.expires_at = until
            value = new_secret()
            session.add(WebhookSecret(endpoint_id=endpoint.id, secret=value, created_at=now))
            endpoint.updated_at = now
            session.flush()
            out = _endpoint_out(endpoint, _secrets_of(session, [endpoint.id])[endpoint.id])
        return WebhookEndpointWithSecret(**out.model_dump(), secret=value)

    # -- deliveries ------------------------------------------------------------------------

    def list_deliveries(
        self, principal: Principal, endpoint_id: str, status: str | None, limit: int, cursor: str | None
    ) -> Page[WebhookDeliveryOut]:
        if status is not None and status not in DELIVERY_STATUSES:
            raise ValidationFailed(f"status must be one of {', '.join(DELIVERY_STATUSES)}")
        with self.c.db.session() as session:
            endpoint = _owned_endpoint(session, principal, endpoint_id)
            query = select(WebhookDelivery).where(
                WebhookDelivery.environment_id == principal.environment_id,
                WebhookDelivery.endpoint_id == endpoint.id,
            )
            if status is not None:
                query = query.where(WebhookDelivery.status == status)
            rows, next_cursor = paginate(session, query, WebhookDelivery.id, limit, cursor)
            return Page(items=_deliveries_out(session, rows), next_cursor=next_cursor)

    def get_delivery(self, principal: Principal, endpoint_id: str, delivery_id: str) -> WebhookDeliveryOut:
        with self.c.db.session() as session:
            row = _owned_delivery(session, principal, endpoint_id, delivery_id)
            return _deliveries_out(session, [row])[0]

    def replay(self, principal: Principal, endpoint_id: str, delivery_id: str) -> WebhookDeliveryOut:
        """A new delivery of the same event (same event id, so receivers can still drop repeats),
        queued at once; the original and its log stay as they were."""
        with self.c.db.session() as session:
            original = _owned_delivery(session, principal, endpoint_id, delivery_id)
            endpoint = session.get(WebhookEndpoint, original.endpoint_id)
            assert endpoint is not None
            if not endpoint.enabled:
                raise Conflict(f"webhook {endpoint.id} is disabled; enable it before replaying deliveries")
            replay = WebhookDelivery(
                environment_id=original.environment_id,
                endpoint_id=original.endpoint_id,
                event_id=original.event_id,
                file_id=original.file_id,
                status="pending",
                next_attempt_at=utcnow(),
                replay_of=original.id,
            )
            session.add(replay)
            session.flush()
            replay_id = replay.id
        queue_delivery(self.c, replay_id)
        return self.get_delivery(principal, endpoint_id, replay_id)

    def ping(self, principal: Principal, endpoint_id: str) -> WebhookTestOut:
        """Send a signed ``webhook.test`` event now and answer how the receiver took it (nothing is
        stored or retried, and the endpoint's failure count is untouched)."""
        with self.c.db.session() as session:
            endpoint = _owned_endpoint(session, principal, endpoint_id)
            session.expunge(endpoint)
        # No session (nor database connection) is held while the receiver takes its time.
        outcome = send_ping(self.c, endpoint)
        return WebhookTestOut(
            success=outcome.ok,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            response_body=_truncated(outcome.response_body),
        )


def _owned_endpoint(session: Session, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    return owned(session, WebhookEndpoint, endpoint_id, principal, "webhook")


def _owned_delivery(
    session: Session, principal: Principal, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    _owned_endpoint(session, principal, endpoint_id)
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.environment_id != principal.environment_id or row.endpoint_id != endpoint_id:
        raise NotFound(f"delivery {delivery_id} not found")
    return row


def _secrets_of(session: Session, endpoint_ids: Iterable[str]) -> dict[str, list[WebhookSecret]]:
    ids = list(endpoint_ids)
    found: dict[str, list[WebhookSecret]] = defaultdict(list)
    if ids:
        query = (
            select(WebhookSecret).where(WebhookSecret.endpoint_id.in_(ids)).order_by(WebhookSecret.id.desc())
        )
        for row in session.scalars(query):
            found[row.endpoint_id].append(row)
    return found


def _endpoint_out(row: WebhookEndpoint, secret_rows: Sequence[WebhookSecret]) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=row.id,
        url=row.url,
        events=list(row.events),
        description=row.description,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
        secrets=[
            WebhookSecretOut(id=s.id, created_at=s.created_at, expires_at=s.expires_at) for s in secret_rows
        ],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _truncated(body: str | None) -> str | None:
    return None if body is None else body[:RESPONSE_BODY_CHARS]


def _deliveries_out(session: Session, rows: Sequence[WebhookDelivery]) -> list[WebhookDeliveryOut]:
    if not rows:
        return []
    event_query = select(Event.id, Event.type).where(Event.id.in_(sorted({r.event_id for r in rows})))
    types: dict[str, str] = {event_id: event_type for event_id, event_type in session.execute(event_query)}
    attempts: dict[str, list[WebhookAttempt]] = defaultdict(list)
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_([r.id for r in rows]))
        .order_by(WebhookAttempt.attempt, WebhookAttempt.id)
    )
    for attempt in session.scalars(query):
        attempts[attempt.delivery_id].append(attempt)
    return [
        WebhookDeliveryOut(
            id=row.id,
            endpoint_id=row.endpoint_id,
            event_id=row.event_id,
            event_type=types.get(row.event_id, ""),
            status=row.status,
            attempt_count=row.attempts,
            next_attempt_at=row.next_attempt_at,
            replay_of=row.replay_of,
            created_at=row.created_at,
            attempts=[
                WebhookAttemptOut(
                    attempt=a.attempt,
                    status_code=a.status_code,
                    latency_ms=a.latency_ms,
                    error=a.error,
                    response_body=_truncated(a.response_body),
                    created_at=a.created_at,
                )
                for a in attempts[row.id]
            ],
        )
        for row in rows
    ]
