"""Helpers of the webhook tests: endpoints written straight into the database (the API has its
own tests), uploads, and ``drive``, which stands in for Huey's scheduler when tasks run inline."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from docintake.clock import utcnow
from docintake.services.container import Container
from docintake.storage.models import WebhookDelivery, WebhookEndpoint, WebhookSecret
from docintake.webhooks import sweep_deliveries
from docintake.webhooks.signing import SECRET_PREFIX
from tests.conftest import Service, Tenant

SHORT_SCHEDULE = {
    "url_allowlist": ["127.0.0.0/8"],
    "webhook_retry_schedule": "0.2s,0.4s",
    "webhook_retry_jitter": 0.2,
    "webhook_timeout_seconds": 0.5,
    "webhook_retry_after_max_seconds": 5,
}


@dataclass
class Endpoint:
    id: str
    secret: str


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def add_endpoint(
    service: Service,
    url: str,
    *,
    events: list[str] | None = None,
    tenant: Tenant | None = None,
    secret: str | None = None,
) -> Endpoint:
    """An enabled endpoint with one secret, inserted as the API would create it."""
    value = secret or new_secret()
    with service.container.db.session() as session:
        endpoint = WebhookEndpoint(
            environment_id=(tenant or service.tenant).environment_id, url=url, events=events or []
        )
        session.add(endpoint)
        session.flush()
        session.add(WebhookSecret(endpoint_id=endpoint.id, secret=value))
        return Endpoint(endpoint.id, value)


def upload(service: Service, *files: tuple[str, bytes]) -> dict[str, Any]:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    answer = service.client.post("/v1/ingest/uploads", files=parts, headers=service.tenant.headers)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _pending(container: Container) -> Any:
    return (
        select(func.count(), func.min(WebhookDelivery.next_attempt_at))
        .select_from(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == "pending", WebhookEndpoint.enabled.is_(True))
    )


def drive(container: Container, timeout: float = 15.0) -> None:
    """Play the scheduler for the inline queue: until no delivery of an enabled endpoint is
    pending, sleep until the next one is due, then run the sweep (which queues, here runs, it)."""
    deadline = time.monotonic() + timeout
    while True:
        with container.db.session() as session:
            count, due = session.execute(_pending(container)).one()
        if not count:
            return
        assert time.monotonic() < deadline, f"{count} deliveries still pending"
        if due is not None:
            wait = min((due - utcnow()).total_seconds(), deadline - time.monotonic())
            time.sleep(max(wait, 0.0) + 0.01)
        sweep_deliveries(container, lost_after_seconds=0)


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)
