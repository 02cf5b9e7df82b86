"""What a worker does with one queued file: download it if it is a URL, run the pipeline, record.

Safe to run twice (at-least-once queues): a file already final is left alone, documents are
upserted by (file, index), and a file cancelled while it was being processed stays cancelled.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.domain import DocumentStatus, FileSource, FileStatus
from docintake.errors import DocintakeError, FileRejected
from docintake.intake.incoming import IncomingFile, clean_filename
from docintake.intake.urls import fetch_url
from docintake.pipeline import default_stages
from docintake.pipeline.runner import PipelineContext, PipelineOutcome, run_pipeline
from docintake.services.container import Container
from docintake.services.intake import IntakeOutcome, IntakeService
from docintake.storage.models import Document, File, Import

log = logging.getLogger(__name__)


def fail_file(
    c: Container, file_id: str, code: str, message: str, *, status: FileStatus = FileStatus.failed
) -> None:
    """Record a final failure on the file and its unfinished documents (no-op if already final)."""
    with c.db.session() as session:
        row = session.get(File, file_id)
        if row is None or FileStatus(row.status).is_final:
            return
        _set_final(session, row, status, code, message)


def _set_final(
    session: Session, row: File, status: FileStatus, code: str | None, message: str | None
) -> None:
    row.status, row.error_code, row.error_message = status.value, code, message
    row.processed_at = utcnow()
    if status is not FileStatus.processed:
        for document in session.scalars(select(Document).where(Document.file_id == row.id)):
            if document.status != DocumentStatus.processed.value:
                document.status = DocumentStatus.failed.value
                document.error_code, document.error_message = code, message


def _claim(c: Container, file_id: str) -> dict[str, Any] | None:
    """Move the file from queued to processing, atomically; None when another run owns it or it is final.

    The conditional UPDATE is what makes a duplicated task harmless: of two workers handed the same
    file, exactly one sees its update match a row.
    """
    with c.db.session() as session:
        claimed = session.execute(
            update(File)
            .where(File.id == file_id, File.status == FileStatus.queued.value)
            .values(status=FileStatus.processing.value, attempts=File.attempts + 1, updated_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = session.get(File, file_id)
        assert row is not None
        imp = session.get(Import, row.import_id)
        assert imp is not None
        for document in session.scalars(select(Document).where(Document.file_id == row.id)):
            document.status = DocumentStatus.processing.value
        return {
            "source": row.source,
            "url": row.source_url,
            "blob_key": row.blob_key,
            "media_type": row.media_type,
            "filename": row.filename,
            "password": imp.pdf_password,
            "options": dict(imp.options),
        }


def recover_stale(c: Container, lease_seconds: int, max_attempts: int = 3) -> list[str]:
    """Files left `processing` past the lease belonged to a worker that died: queue them again, or
    fail them for good after ``max_attempts`` (a file that kills its worker every time)."""
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    requeue: list[str] = []
    with c.db.session() as session:
        stale = session.scalars(
            select(File).where(File.status == FileStatus.processing.value, File.updated_at < cutoff)
        )
        for row in stale:
            if row.attempts >= max_attempts:
                message = f"processing stopped {row.attempts} times without finishing (worker crashed)"
                _set_final(session, row, FileStatus.failed, "worker_crashed", message)
            else:
                row.status = FileStatus.queued.value
                requeue.append(row.id)
    for file_id in requeue:
        log.warning("re-queueing file %s: its worker stopped while processing it", file_id)
        c.queue.enqueue_file(file_id)
    return requeue


def process_file(c: Container, file_id: str) -> None:
    claim = _claim(c, file_id)
    if claim is None:
        return
    if claim["source"] == FileSource.url.value and claim["blob_key"] is None:
        try:
            claim = _download(c, file_id, claim["url"])
        except DocintakeError as exc:
            status = FileStatus.rejected if isinstance(exc, FileRejected) else FileStatus.failed
            fail_file(c, file_id, exc.code, exc.message, status=status)
            return
        if claim is None:  # a zip (unpacked into children) or refused content: nothing to run
            return
    with c.blobs.local_path(claim["blob_key"]) as path:
        ctx = PipelineContext(
            path=path,
            media_type=claim["media_type"],
            filename=claim["filename"],
            password=claim["password"],
            type_hint=claim["options"].get("type"),
            processing_pref=claim["options"].get("processingPref", "speed"),
        )
        outcome = run_pipeline(default_stages(), ctx)
    _record(c, file_id, outcome)


def _download(c: Container, file_id: str, url: str) -> dict[str, Any] | None:
    """Fetch the URL, then hand the bytes to intake exactly like an upload (same sniff, same zip rules)."""
    fetched = fetch_url(url, settings=c.settings, dest_dir=c.settings.tmp_dir)
    item = IncomingFile(
        clean_filename(fetched.filename, "download"),
        FileSource.url,
        spool=fetched.path,
        size=fetched.size,
        sha256=fetched.sha256,
        source_url=url,
    )
    intake = IntakeService(c)
    try:
        with c.db.session() as session:
            row = session.get(File, file_id)
            env = row.environment_id if row else ""
        prepared = intake.prepare(item, env, depth=0, budget=intake.new_budget())
        with c.db.session() as session:
            row = session.get(File, file_id)
            imp = session.get(Import, row.import_id) if row else None
            if row is None or imp is None or FileStatus(row.status).is_final:
                return None
            row.filename = item.filename
            outcome = IntakeOutcome(import_=imp)
            intake.write(session, outcome, prepared, parent=None, existing=row)
            queued = [fid for fid in outcome.to_queue if fid != file_id]
            priority = bool(imp.priority)
            result = None
            if row.status == FileStatus.processing.value:
                result = {
                    "blob_key": row.blob_key,
                    "media_type": row.media_type,
                    "filename": row.filename,
                    "password": imp.pdf_password,
                    "options": dict(imp.options),
                }
            elif row.processed_at is None:
                row.processed_at = utcnow()
    finally:
        item.discard()
    intake.enqueue(queued, priority=priority)
    return result


def _record(c: Container, file_id: str, outcome: PipelineOutcome) -> None:
    with c.db.session() as session:
        row = session.get(File, file_id)
        if row is None or row.status != FileStatus.processing.value:
            return  # cancelled (or finished by a twin run) meanwhile
        row.pages = outcome.page_count or None
        errors = [{"stage": e.stage, "code": e.code, "message": e.message} for e in outcome.errors]
        existing = {d.index: d for d in session.scalars(select(Document).where(Document.file_id == row.id))}
        imp = session.get(Import, row.import_id)
        assert imp is not None
        if outcome.fatal is not None:
            for failed in existing.values():
                failed.result = {"errors": errors, "timings": outcome.timings}
            _set_final(session, row, FileStatus.failed, outcome.fatal.code, outcome.fatal.message)
            return
        for index, part in enumerate(outcome.documents):
            document: Document | None = existing.pop(index, None)
            if document is None:
                document = Document(
                    environment_id=row.environment_id,
                    import_id=row.import_id,
                    file_id=row.id,
                    index=index,
                    set_id=imp.set_id,
                    type_hint=imp.options.get("type"),
                    status=DocumentStatus.processing.value,
                )
                session.add(document)
            document.page_start, document.page_end = part.page_start, part.page_end
            document.type = part.type
            document.status = DocumentStatus.processed.value
            document.error_code = document.error_message = None
            document.result = {**part.result, "errors": errors, "timings": outcome.timings}
        for stale in existing.values():
            session.delete(stale)
        _set_final(session, row, FileStatus.processed, None, None)
