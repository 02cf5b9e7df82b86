"""Whether an endpoint still deserves requests: failure counting and disabling.

Every failed attempt adds one to the endpoint's ``consecutive_failures`` and any success resets it.
An endpoint is disabled once the count reaches ``DOCINTAKE_WEBHOOK_DISABLE_AFTER_FAILURES`` *and*
it has been failing without a single success for ``DOCINTAKE_WEBHOOK_DISABLE_AFTER_SECONDS``: a
count alone would disable a receiver that was down for ten minutes while a burst of events piled
up, a duration alone one that failed twice a day apart. A 410 Gone disables it at once (the
receiver says it is gone for good). A disabled endpoint is not sent to; its pending deliveries
wait, and go out when it is enabled again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.settings import Settings
from docintake.storage.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from docintake.webhooks.transport import AttemptResult


def succeeded(session: Session, endpoint_id: str) -> None:
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.consecutive_failures != 0)
        # a counter, not a change the user made: updated_at stays as it was
        .values(consecutive_failures=0, updated_at=WebhookEndpoint.updated_at)
    )


def failed(
    session: Session, endpoint_id: str, settings: Settings, result: AttemptResult, now: datetime
) -> bool:
    """Count a failed attempt; True when the endpoint was disabled by it."""
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(
            consecutive_failures=WebhookEndpoint.consecutive_failures + 1,
            updated_at=WebhookEndpoint.updated_at,
        )
    )
    failures = session.scalar(
        select(WebhookEndpoint.consecutive_failures).where(WebhookEndpoint.id == endpoint_id)
    )
    if failures is None or failures < settings.webhook_disable_after_failures:
        return False
    since = failing_since(session, endpoint_id) or now
    if now - since < timedelta(seconds=settings.webhook_disable_after_seconds):
        return False
    reason = (
        f"disabled after {failures} failed requests in a row since {since.isoformat(timespec='seconds')}; "
        f"the last: {result.error or 'no answer'}"
    )
    return disable(session, endpoint_id, reason)


def failing_since(session: Session, endpoint_id: str) -> datetime | None:
    """When the endpoint's current run of failures began: its first attempt after its last success."""
    ok = and_(WebhookAttempt.status_code >= 200, WebhookAttempt.status_code < 300)
    of_endpoint = and_(
        WebhookAttempt.delivery_id == WebhookDelivery.id, WebhookDelivery.endpoint_id == endpoint_id
    )
    last_ok = session.scalar(select(func.max(WebhookAttempt.created_at)).where(of_endpoint, ok))
    query = select(func.min(WebhookAttempt.created_at)).where(of_endpoint)
    if last_ok is not None:
        query = query.where(WebhookAttempt.created_at > last_ok)
    first: datetime | None = session.scalar(query)
    return first


def disable(session: Session, endpoint_id: str, reason: str) -> bool:
    """Disable the endpoint with ``reason`` unless it already is; True when this call did it."""
    moved = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, disabled_at=utcnow())
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]
