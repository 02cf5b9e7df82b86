"""Webhook delivery: events written with the change they describe, sent signed, retried, in order.

How it fits together (each module's docstring says why it is built the way it is):

- ``outbox``: processing and intake record events (``file.processed``, ``file.failed``,
  ``file.rejected``, ``document.processed``, ``import.completed``) in the transaction that makes a
  file final, with one pending delivery per endpoint that wants them; ``dispatch`` queues those
  deliveries after the commit.
- ``delivery``: the queued task (``deliver``) claims one attempt, POSTs the envelope
  ``{"id", "type", "timestamp", "environmentId", "data"}`` and records the outcome; retries follow
  ``DOCINTAKE_WEBHOOK_RETRY_SCHEDULE``; the sweep re-queues deliveries whose task was lost.
- ``signing``: Standard Webhooks headers (``webhook-id`` = the event id, stable across retries and
  replays; ``webhook-timestamp``; ``webhook-signature`` with one ``v1,`` entry per valid secret).
- ``transport``: the request itself, through URL intake's SSRF checks (resolve, refuse non-public
  addresses unless allow-listed, connect to the checked address), no redirects.
- ``health``: failure counting; 410 Gone, or failing for long enough, disables the endpoint.

For the webhooks API (``services/webhooks.py``):

- ``queue_delivery(container, delivery_id)``: queue a pending, due delivery now (a replay: insert a
  new ``WebhookDelivery`` of the same event with ``next_attempt_at=now``, commit, then call this).
- ``send_ping(container, endpoint) -> AttemptResult``: send a signed ``webhook.test`` event to the
  endpoint synchronously (enabled or not) and return ``status_code``, ``latency_ms``, ``error``,
  ``response_body`` (first 2 KB) and ``ok``; nothing is stored, the failure count is untouched.
- ``resume_endpoint(container, endpoint_id)``: after re-enabling an endpoint, send what waited for
  it now (otherwise the sweep picks it up within a couple of minutes).

For other state changes (``document.updated`` after a review, a cancelled import's files): in the
transaction of the change, ``outbox.emit(session, type=..., environment_id=..., payload=...,
import_id=..., file_id=..., document_id=...)`` (give ``file_id`` so the event queues behind the
file's earlier ones), ``outbox.file_final(session, file_id)`` for a file your code made final, or
``outbox.complete_import(session, import_id)``; after the commit, ``outbox.dispatch(container,
session)``.
"""

from __future__ import annotations

from docintake.webhooks.delivery import (
    deliver,
    envelope,
    queue_delivery,
    resume_endpoint,
    send_ping,
    sweep_deliveries,
)
from docintake.webhooks.transport import AttemptResult

__all__ = [
    "AttemptResult",
    "deliver",
    "envelope",
    "queue_delivery",
    "resume_endpoint",
    "send_ping",
    "sweep_deliveries",
]
