"""Webhook endpoints of the environment, their signing secrets and their delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response
from fastapi.concurrency import run_in_threadpool

from docintake.api.deps import ContainerDep, CursorQuery, LimitQuery, PrincipalDep
from docintake.schemas import (
    Page,
    SecretRotateIn,
    WebhookDeliveryOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatch,
    WebhookEndpointWithSecret,
    WebhookTestOut,
)
from docintake.services.webhooks import Webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def get_webhooks(container: ContainerDep) -> Webhooks:
    return Webhooks(container)


WebhooksDep = Annotated[Webhooks, Depends(get_webhooks)]


@router.post("", status_code=201)
async def create_webhook(
    body: WebhookEndpointIn, principal: PrincipalDep, webhooks: WebhooksDep
) -> WebhookEndpointWithSecret:
    """An endpoint for the environment's events (`events` empty: all of them). The answer holds its
    signing secret, once: no later answer shows it. Private, loopback and link-local addresses are
    refused unless allow-listed (`DOCINTAKE_URL_ALLOWLIST`); host names are checked at each delivery."""
    return await run_in_threadpool(webhooks.create_endpoint, principal, body)


@router.get("")
async def list_webhooks(
    principal: PrincipalDep, webhooks: WebhooksDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[WebhookEndpointOut]:
    """Webhook endpoints, newest first."""
    return await run_in_threadpool(webhooks.list_endpoints, principal, limit, cursor)


@router.get("/{webhook_id}")
async def get_webhook(webhook_id: str, principal: PrincipalDep, webhooks: WebhooksDep) -> WebhookEndpointOut:
    return await run_in_threadpool(webhooks.get_endpoint, principal, webhook_id)


@router.patch("/{webhook_id}")
async def update_webhook(
    webhook_id: str, body: WebhookEndpointPatch, principal: PrincipalDep, webhooks: WebhooksDep
) -> WebhookEndpointOut:
    """Change the fields sent; `enabled: true` re-enables an endpoint disabled after failures."""
    return await run_in_threadpool(webhooks.update_endpoint, principal, webhook_id, body)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, principal: PrincipalDep, webhooks: WebhooksDep) -> Response:
    """The endpoint, its secrets and its delivery log; nothing more is sent to it."""
    await run_in_threadpool(webhooks.delete_endpoint, principal, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/secret/rotate")
async def rotate_webhook_secret(
    webhook_id: str,
    principal: PrincipalDep,
    webhooks: WebhooksDep,
    body: Annotated[SecretRotateIn | None, Body()] = None,
) -> WebhookEndpointWithSecret:
    """A new signing secret, shown once; the current ones keep signing beside it for `graceSeconds`
    (default `DOCINTAKE_WEBHOOK_SECRET_GRACE_SECONDS`, 24 h), so a receiver can switch over without
    rejecting a delivery."""
    grace = body.grace_seconds if body is not None else None
    return await run_in_threadpool(webhooks.rotate_secret, principal, webhook_id, grace)


@router.get("/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: str,
    principal: PrincipalDep,
    webhooks: WebhooksDep,
    status: str | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[WebhookDeliveryOut]:
    """Deliveries to the endpoint, newest first (`status`: pending, succeeded or failed), each with
    its attempts: status code, latency, error and the start of the receiver's answer."""
    return await run_in_threadpool(webhooks.list_deliveries, principal, webhook_id, status, limit, cursor)


@router.post("/{webhook_id}/deliveries/{delivery_id}/replay", status_code=202)
async def replay_delivery(
    webhook_id: str, delivery_id: str, principal: PrincipalDep, webhooks: WebhooksDep
) -> WebhookDeliveryOut:
    """Send the delivery's event again, as a new delivery (`replayOf` the original) queued at once.
    The event keeps its id, so a receiver that already has it can drop it."""
    return await run_in_threadpool(webhooks.replay, principal, webhook_id, delivery_id)


@router.post("/{webhook_id}/test")
async def test_webhook(webhook_id: str, principal: PrincipalDep, webhooks: WebhooksDep) -> WebhookTestOut:
    """Send a signed `webhook.test` event now, enabled or not, and answer how the receiver took it
    (not retried, not logged as a delivery)."""
    return await run_in_threadpool(webhooks.ping, principal, webhook_id)
