"""Wire shapes of webhook endpoints, their secrets and their delivery log."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from docintake.schemas.common import WireModel

MAX_GRACE_SECONDS = 30 * 24 * 3600


class WebhookEndpointIn(WireModel):
    url: str = Field(max_length=2048, description="http(s) URL; private addresses are refused")
    events: list[str] = Field(
        default_factory=list, max_length=50, description="event types to send; empty means all"
    )
    description: str = Field(default="", max_length=500)
    enabled: bool = True


class WebhookEndpointPatch(WireModel):
    """Only the fields sent change; ``events: []`` means all events."""

    url: str | None = Field(default=None, max_length=2048)
    events: list[str] | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(
        default=None, description="true re-enables an endpoint disabled after failures and resets its count"
    )


class WebhookSecretOut(WireModel):
    """A signing secret's metadata; its value is shown only when it is created."""

    id: str
    created_at: datetime
    expires_at: datetime | None = Field(description="null: signs until rotated; else signs until then")


class WebhookEndpointOut(WireModel):
    id: str
    url: str
    events: list[str] = Field(description="event types sent; empty means all")
    description: str
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    secrets: list[WebhookSecretOut] = Field(description="newest first")
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointOut):
    secret: str = Field(
        description="The new signing secret (whsec_...). Shown once: GET and lists never show it again."
    )


class SecretRotateIn(WireModel):
    grace_seconds: int | None = Field(
        default=None,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="How long the current secrets keep signing beside the new one "
        "(default DOCINTAKE_WEBHOOK_SECRET_GRACE_SECONDS, 24 h).",
    )


class WebhookAttemptOut(WireModel):
    attempt: int
    status_code: int | None
    latency_ms: int | None
    error: str | None
    response_body: str | None = Field(description="the first 2 KB of the receiver's answer")
    created_at: datetime


class WebhookDeliveryOut(WireModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str = Field(description="pending, succeeded or failed")
    attempt_count: int
    next_attempt_at: datetime | None
    replay_of: str | None = Field(description="the delivery this one replays")
    created_at: datetime
    attempts: list[WebhookAttemptOut] = Field(description="HTTP requests made, in order")


class WebhookTestOut(WireModel):
    """The outcome of one signed ping."""

    success: bool = Field(description="the receiver answered 2xx")
    status_code: int | None
    latency_ms: int | None
    error: str | None
    response_body: str | None = None
