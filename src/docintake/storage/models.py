"""SQLAlchemy models: the schema of record. Alembic migrations must agree with these.

Every tenant-owned row carries ``environment_id``; repositories filter by it on every query so
an id from another environment simply does not exist (404), never 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from docintake.clock import as_utc, utcnow
from docintake.ids import new_id


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def _id_column() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True, default=new_id)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Environment(Base):
    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    id: Mapped[str] = _id_column()
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessToken(Base):
    __tablename__ = "access_tokens"
    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class DocumentSet(Base):
    __tablename__ = "document_sets"
    __table_args__ = (UniqueConstraint("environment_id", "reference"),)
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Import(Base):
    """One intake request (an upload, a batch, a by-url call) and the options it carried."""

    __tablename__ = "imports"
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    info: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    set_id: Mapped[str | None] = mapped_column(ForeignKey("document_sets.id"), default=None)
    # Kept apart from ``options`` so it is never echoed back; the worker needs it in clear.
    pdf_password: Mapped[str | None] = mapped_column(String(500), default=None)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set once, by the conditional update that sees the last file final: exactly one
    # `import.completed` event per import, however many workers finish its files at once.
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class File(Base):
    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_env_sha", "environment_id", "sha256", "id"),
        Index("ix_files_import", "import_id"),
        Index("ix_files_env_status", "environment_id", "status"),
    )
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    parent_file_id: Mapped[str | None] = mapped_column(ForeignKey("files.id"), default=None)
    filename: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(20))
    source_url: Mapped[str | None] = mapped_column(Text, default=None)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    media_type: Mapped[str | None] = mapped_column(String(100), default=None)
    pages: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(60), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    duplicate_of: Mapped[str | None] = mapped_column(String(36), default=None)
    blob_key: Mapped[str | None] = mapped_column(String(300), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class Document(Base):
    """A logical document inside a file (a page range); a file may hold several."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("file_id", "index"),
        Index("ix_documents_env_import", "environment_id", "import_id"),
    )
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer, default=0)
    set_id: Mapped[str | None] = mapped_column(ForeignKey("document_sets.id"), default=None, index=True)
    type: Mapped[str | None] = mapped_column(String(100), default=None)
    type_hint: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(20))
    review_status: Mapped[str | None] = mapped_column(String(20), default=None)
    page_start: Mapped[int | None] = mapped_column(Integer, default=None)
    page_end: Mapped[int | None] = mapped_column(Integer, default=None)
    error_code: Mapped[str | None] = mapped_column(String(60), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PageTextRow(Base):
    """The words of one page of a file (text layer or OCR), for provenance and the /ocr endpoint.
    Kept out of the document's result so that stays small."""

    __tablename__ = "page_texts"
    __table_args__ = (UniqueConstraint("file_id", "number"),)
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    engine: Mapped[str | None] = mapped_column(String(100), default=None)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[float] = mapped_column()
    height: Mapped[float] = mapped_column()
    # [[text, confidence, x0, y0, x1, y1], ...]: compact, and the order is reading order
    words: Mapped[list[Any]] = mapped_column(default=list)


class DocumentType(Base):
    __tablename__ = "document_types"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("environment_id", "key"),)
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    content_type: Mapped[str | None] = mapped_column(String(100), default=None)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(Base):
    """Where an environment wants its events sent, and which ones."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[Any]] = mapped_column(default=list)  # event types; empty means all
    description: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookSecret(Base):
    """A signing secret of an endpoint. Kept in clear because signing needs it (it is shown to the
    user once and never logged); after a rotation the old one signs too until ``expires_at``."""

    __tablename__ = "webhook_secrets"
    id: Mapped[str] = _id_column()
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class Event(Base):
    """Something that happened to a resource, written in the same transaction as the change itself
    (an outbox), with the resource as ``GET`` showed it then: a stable id for receivers to drop
    repeats, and nothing lost if the process dies right after the commit."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_env", "environment_id", "id"),
        Index("ix_events_import", "import_id", "id"),
    )
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    file_id: Mapped[str | None] = mapped_column(String(36), default=None)
    document_id: Mapped[str | None] = mapped_column(String(36), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event owed to one endpoint (a replay is a new delivery of the same event)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_deliveries_endpoint", "endpoint_id", "id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_order", "endpoint_id", "file_id", "status"),
    )
    id: Mapped[str] = _id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    file_id: Mapped[str | None] = mapped_column(String(36), default=None)  # events of one file go in order
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, succeeded, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    replay_of: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookAttempt(Base):
    """One HTTP request of a delivery, for the delivery log."""

    __tablename__ = "webhook_attempts"
    id: Mapped[str] = _id_column()
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)  # the first 2 KB
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
