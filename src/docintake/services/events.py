"""Events: what happened to a file, document or import, recorded in the transaction that made it
happen (an outbox), and fanned out to the environment's webhook endpoints as deliveries.

Writing the event and its deliveries with the state change itself is what makes delivery reliable:
if the change commits, so does every delivery owed for it, and a worker that dies a moment later
loses nothing (a sweep sends deliveries whose task was lost); if the change rolls back (a twin run
lost the race), no event exists. Sending happens after the commit, in queued tasks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docintake.storage.models import Event, WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "file.processed",
    "file.failed",
    "file.rejected",
    "document.processed",
    "document.updated",
    "import.completed",
)


def record_event(
    session: Session,
    *,
    type: str,  # the event type, as receivers see it
    environment_id: str,
    payload: dict[str, Any],
    import_id: str | None = None,
    file_id: str | None = None,
    document_id: str | None = None,
) -> tuple[Event, list[WebhookDelivery]]:
    """Add the event and one pending delivery per enabled endpoint that wants it, in ``session``.

    ``payload`` is the resource as ``GET`` shows it now (wire JSON). The caller commits; the new
    deliveries (flushed, so their ids exist) are to be queued after the commit."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = Event(
        environment_id=environment_id,
        type=type,
        import_id=import_id,
        file_id=file_id,
        document_id=document_id,
        payload=payload,
    )
    session.add(event)
    session.flush()
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.environment_id == environment_id, WebhookEndpoint.enabled.is_(True)
        )
    )
    deliveries = [
        WebhookDelivery(
            environment_id=environment_id,
            endpoint_id=endpoint.id,
            event_id=event.id,
            file_id=file_id,
        )
        for endpoint in endpoints
        if not endpoint.events or type in endpoint.events
    ]
    session.add_all(deliveries)
    session.flush()
    return event, deliveries
