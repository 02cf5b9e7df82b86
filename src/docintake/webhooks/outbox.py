"""Writing events where state changes: the outbox half of webhooks.

Processing and intake call these inside the transaction that makes a file final, after the
conditional update that proved this run made the change (a twin run that lost the race reaches
none of this, so it emits nothing). The event rows and their pending deliveries commit or roll
back with the change; ``dispatch`` then queues the deliveries, and a delivery whose task is lost
anyway is found by the sweep (``delivery.sweep_deliveries``).

``import.completed`` is emitted exactly once per import: when a change leaves no file of the import
queued or processing, the import row is locked and ``completed_at`` set by a conditional update
(``WHERE completed_at IS NULL``); only the transaction whose update matched emits. The lock closes
the race of two workers finishing the last two files at once, each seeing the other's file still
pending in its snapshot (PostgreSQL; SQLite has one writer at a time anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.domain import DocumentStatus, FileStatus
from docintake.services.events import record_event
from docintake.services.views import document_out, file_out, import_out
from docintake.storage.models import Document, Event, File, Import
from docintake.webhooks.delivery import queue_delivery

if TYPE_CHECKING:
    from docintake.services.container import Container

_PENDING_KEY = "docintake.webhook_deliveries"
_PENDING_FILE_STATUSES = (FileStatus.queued.value, FileStatus.processing.value)
_FILE_EVENTS = {
    FileStatus.processed.value: "file.processed",
    FileStatus.failed.value: "file.failed",
    FileStatus.rejected.value: "file.rejected",
}


def _wire(model: Any) -> dict[str, Any]:
    payload: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return payload


def emit(
    session: Session,
    *,
    type: str,
    environment_id: str,
    payload: dict[str, Any],
    import_id: str | None = None,
    file_id: str | None = None,
    document_id: str | None = None,
) -> Event:
    """``record_event``, and remember its deliveries for ``dispatch`` after the commit. For other
    events (e.g. ``document.updated`` after a review): pass the document's ``file_id`` so that
    the event is delivered after the file's earlier ones."""
    event, deliveries = record_event(
        session,
        type=type,
        environment_id=environment_id,
        payload=payload,
        import_id=import_id,
        file_id=file_id,
        document_id=document_id,
    )
    session.info.setdefault(_PENDING_KEY, []).extend(d.id for d in deliveries)
    return event


def file_final(session: Session, file_id: str, *, complete: bool = True) -> None:
    """Emit the events of a file that this transaction just made final: ``file.<status>`` with the
    file as ``GET`` shows it, ``document.processed`` for each processed document of a processed
    file, then ``import.completed`` if this was the import's last pending file."""
    session.flush()
    row = session.get(File, file_id, populate_existing=True)
    if row is None or row.status not in _FILE_EVENTS:
        return
    imp = session.get(Import, row.import_id, populate_existing=True)
    assert imp is not None
    documents = list(
        session.scalars(
            select(Document)
            .where(Document.file_id == row.id)
            .order_by(Document.index)
            .execution_options(populate_existing=True)
        )
    )
    ids = {"environment_id": row.environment_id, "import_id": row.import_id, "file_id": row.id}
    emit(session, type=_FILE_EVENTS[row.status], payload=_wire(file_out(row, imp, documents)), **ids)
    if row.status == FileStatus.processed.value:
        for document in documents:
            if document.status != DocumentStatus.processed.value:
                continue
            emit(
                session,
                type="document.processed",
                payload=_wire(document_out(session, document, imp)),
                document_id=document.id,
                **ids,
            )
    if complete:
        complete_import(session, row.import_id)


def files_recorded(session: Session, files: Iterable[File]) -> None:
    """Intake's share: events for the files it recorded already final (refused ones, unpacked
    zips), then the import's completion check, once."""
    imports: set[str] = set()
    for row in files:
        if row.status in _FILE_EVENTS:
            file_final(session, row.id, complete=False)
            imports.add(row.import_id)
    for import_id in sorted(imports):
        complete_import(session, import_id)


def complete_import(session: Session, import_id: str) -> bool:
    """Set ``completed_at`` and emit ``import.completed`` if no file of the import is pending any
    more and nobody did so before; True when this call did it."""
    session.flush()
    # Lock the import row (FOR UPDATE; a no-op on SQLite, whose writer already holds the database)
    # so the check below sees every file change committed before ours.
    locked = session.scalar(select(Import.completed_at).where(Import.id == import_id).with_for_update())
    if locked is not None:
        return False
    pending = session.scalar(
        select(func.count())
        .select_from(File)
        .where(File.import_id == import_id, File.status.in_(_PENDING_FILE_STATUSES))
    )
    if pending:
        return False
    moved = session.execute(
        update(Import)
        .where(Import.id == import_id, Import.completed_at.is_(None))
        .values(completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    imp = session.get(Import, import_id, populate_existing=True)
    assert imp is not None
    emit(
        session,
        type="import.completed",
        environment_id=imp.environment_id,
        import_id=imp.id,
        payload=_wire(import_out(session, imp)),
    )
    return True


def dispatch(container: Container, session: Session) -> None:
    """After ``session`` committed: queue the deliveries its events created, oldest first."""
    for delivery_id in session.info.pop(_PENDING_KEY, []):
        queue_delivery(container, delivery_id)
