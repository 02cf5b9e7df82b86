"""What a worker does with one queued file: download it if it is a URL, run the pipeline, record.

Safe to run twice (at-least-once queues): a file already final is left alone, documents are
upserted by (file, index), and a file cancelled while it was being processed stays cancelled.

Failures are of two kinds. Permanent ones (a corrupt file, a URL answering 404) fail the file at
once with their code. Transient ones (the database, the blob store or a remote server down) are
handed back to the task queue as a ``RetryLater``, which runs the file again after a backoff a few
times before failing it: the database may be what is down, so a retry never depends on having
written anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.domain import DocumentStatus, FileSource, FileStatus
from docintake.errors import DocintakeError, FileRejected, StorageUnavailable
from docintake.intake.incoming import IncomingFile, clean_filename
from docintake.intake.urls import fetch_url
from docintake.pipeline.model import PageText
from docintake.pipeline.runner import PipelineContext, PipelineOutcome, run_pipeline
from docintake.pipeline.stages import default_stages
from docintake.services.container import Container
from docintake.services.intake import IntakeOutcome, IntakeService
from docintake.storage.models import Document, File, Import, PageTextRow
from docintake.webhooks import outbox

log = logging.getLogger(__name__)


def fail_file(
    c: Container, file_id: str, code: str, message: str, *, status: FileStatus = FileStatus.failed
) -> None:
    """Record a final failure on the file and its unfinished documents (no-op if already final)."""
    with c.db.session() as session:
        _finish(session, file_id, status, code, message, only_from=PENDING)
    outbox.dispatch(c, session)


PENDING = (FileStatus.queued.value, FileStatus.processing.value)
TRANSIENT_ATTEMPTS = 3  # runs in all, the first included
RETRY_BASE_SECONDS = 30.0
RETRY_GROWTH = 4  # 30 s, then 2 min: long enough for a restart or a failover
# Errors meaning "the database did not answer", not "the statement is wrong".
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


@dataclass(frozen=True)
class RetryLater:
    """A run stopped by a transient failure. ``claimed`` is the file's ``attempts`` count of this
    run's claim when it could not hand the file back to `queued` (the database was down): the
    next run may then take it over from `processing` (see ``_claim``)."""

    error: DocintakeError
    claimed: int | None = None


def retry_delay(runs: int) -> float:
    """Seconds before run number ``runs + 1`` (exponential backoff)."""
    return float(RETRY_BASE_SECONDS * RETRY_GROWTH ** (runs - 1))


def transient_error(exc: BaseException) -> DocintakeError | None:
    """The user-facing error of a failure worth retrying, or None for one that is not."""
    if isinstance(exc, DocintakeError):
        return exc if exc.retryable else None
    if isinstance(exc, DATABASE_DOWN) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return StorageUnavailable("the database is unavailable", code="database_unavailable")
    return None


def _finish(
    session: Session,
    file_id: str,
    status: FileStatus,
    code: str | None,
    message: str | None,
    *,
    only_from: tuple[str, ...] = (FileStatus.processing.value,),
    pages: int | None = None,
    emit: bool = True,
) -> bool:
    """Move a file to a final status only if it is still in ``only_from``: a conditional UPDATE, so
    a cancel, a twin run or the recovery sweep that got there first is never overwritten. Only the
    run whose update matched records the file's events (``emit=False``: the caller will, once it
    has written the documents)."""
    values: dict[str, Any] = {
        "status": status.value,
        "error_code": code,
        "error_message": message,
        "processed_at": utcnow(),
        "updated_at": utcnow(),
    }
    if pages is not None:
        values["pages"] = pages
    moved = session.execute(
        update(File).where(File.id == file_id, File.status.in_(only_from)).values(**values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if status is not FileStatus.processed:
        session.execute(
            update(Document)
            .where(Document.file_id == file_id, Document.status != DocumentStatus.processed.value)
            .values(status=DocumentStatus.failed.value, error_code=code, error_message=message)
        )
    if emit:
        outbox.file_final(session, file_id)
    return True


def _claim(c: Container, file_id: str, claimed: int | None = None) -> dict[str, Any] | None:
    """Move the file from queued to processing, atomically; None when another run owns it or it is final.

    The conditional UPDATE is what makes a duplicated task harmless: of two workers handed the same
    file, exactly one sees its update match a row. A retry whose previous run could not hand the
    file back (``claimed``) takes it over from `processing` only if nobody claimed it since: every
    claim increments ``attempts``, so a stale ``claimed`` matches nothing.
    """
    mine = File.status == FileStatus.queued.value
    if claimed is not None:
        mine = or_(mine, and_(File.status == FileStatus.processing.value, File.attempts == claimed))
    with c.db.session() as session:
        moved = session.execute(
            update(File)
            .where(File.id == file_id, mine)
            .values(status=FileStatus.processing.value, attempts=File.attempts + 1, updated_at=utcnow())
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = session.get(File, file_id)
        assert row is not None
        imp = session.get(Import, row.import_id)
        assert imp is not None
        for document in session.scalars(select(Document).where(Document.file_id == row.id)):
            document.status = DocumentStatus.processing.value
        return {
            "source": row.source,
            "attempts": row.attempts,
            "url": row.source_url,
            "blob_key": row.blob_key,
            "media_type": row.media_type,
            "filename": row.filename,
            "password": imp.pdf_password,
            "options": dict(imp.options),
        }


def recover_stale(c: Container, lease_seconds: int, max_attempts: int = 3) -> list[str]:
    """Queue again what no worker will finish: files left `processing` past the lease (their worker
    died; after ``max_attempts`` they fail for good, as a file that kills its worker every time
    would) and files `queued` that long (their task was lost, e.g. the queue was down at intake;
    a duplicate task is harmless, the claim is atomic)."""
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    requeue: list[tuple[str, bool]] = []
    with c.db.session() as session:
        stale = session.execute(
            select(File.id, File.status, File.attempts, Import.priority)
            .join(Import, Import.id == File.import_id)
            .where(File.status.in_(PENDING), File.updated_at < cutoff)
        ).all()
        for file_id, status, attempts, priority in stale:
            if status == FileStatus.processing.value and attempts >= max_attempts:
                message = f"processing stopped {attempts} times without finishing (worker crashed)"
                _finish(session, file_id, FileStatus.failed, "worker_crashed", message)
                continue
            moved = session.execute(
                update(File)
                .where(File.id == file_id, File.status == status, File.updated_at < cutoff)
                .values(status=FileStatus.queued.value, updated_at=utcnow())
            )
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                requeue.append((file_id, bool(priority)))
    outbox.dispatch(c, session)
    for file_id, priority in requeue:
        log.warning("re-queueing file %s: no worker finished it within the lease", file_id)
        c.queue.enqueue_file(file_id, priority=priority)
    return [file_id for file_id, _ in requeue]


def process_file(c: Container, file_id: str, *, claimed: int | None = None) -> RetryLater | None:
    """Process one queued file; a ``RetryLater`` asks the caller (the task queue) to run it again."""
    claim: dict[str, Any] | None = None
    try:
        claim = _claim(c, file_id, claimed)
        if claim is not None:
            _run(c, file_id, claim)
    except Exception as exc:
        error = transient_error(exc)
        if error is None:
            raise
        log.warning("file %s: transient failure: %s (%s)", file_id, error.message, type(exc).__name__)
        return _release(c, file_id, claim["attempts"] if claim else None, error)
    return None


def _run(c: Container, file_id: str, claim: dict[str, Any]) -> None:
    if claim["source"] == FileSource.url.value and claim["blob_key"] is None:
        try:
            downloaded = _download(c, file_id, claim["url"])
        except DocintakeError as exc:
            if exc.retryable:
                raise
            status = FileStatus.rejected if isinstance(exc, FileRejected) else FileStatus.failed
            fail_file(c, file_id, exc.code, exc.message, status=status)
            return
        if downloaded is None:  # a zip (unpacked into children) or refused content: nothing to run
            return
        claim = {**claim, **downloaded}
    with c.blobs.local_path(claim["blob_key"]) as path:
        ctx = PipelineContext(
            path=path,
            media_type=claim["media_type"],
            filename=claim["filename"],
            password=claim["password"],
            type_hint=claim["options"].get("type"),
            processing_pref=claim["options"].get("processingPref", "speed"),
        )
        outcome = run_pipeline(default_stages(c.settings), ctx)
    _record(c, file_id, outcome)


def _release(c: Container, file_id: str, claimed: int | None, error: DocintakeError) -> RetryLater | None:
    """Hand the file back to `queued` (with the error, for whoever looks meanwhile) so that any run
    may take it; when the database refuses even that, the retry carries the claim instead."""
    if claimed is None:
        return RetryLater(error)
    try:
        with c.db.session() as session:
            moved = session.execute(
                update(File)
                .where(
                    File.id == file_id,
                    File.status == FileStatus.processing.value,
                    File.attempts == claimed,
                )
                .values(
                    status=FileStatus.queued.value,
                    error_code=error.code,
                    error_message=error.message,
                    updated_at=utcnow(),
                )
            )
    except Exception as exc:
        if transient_error(exc) is None:
            raise
        return RetryLater(error, claimed)
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return None  # cancelled, or re-queued by the sweep meanwhile: that run is the retry
    return RetryLater(error)


def give_up(c: Container, file_id: str, error: DocintakeError, runs: int) -> None:
    """Fail a file whose transient failure outlasted the retries; if the database is still down,
    the stale-file sweep finds the file later."""
    try:
        fail_file(c, file_id, error.code, f"{error.message} (gave up after {runs} attempts)")
    except Exception as exc:
        if transient_error(exc) is None:
            raise
        log.error("file %s: could not record giving up (%s): left to the sweep", file_id, exc)


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
            outbox.files_recorded(session, outcome.files)  # the URL's file, if final, and refused children
    finally:
        item.discard()
    outbox.dispatch(c, session)
    intake.enqueue(queued, priority=priority)
    return result


def _record(c: Container, file_id: str, outcome: PipelineOutcome) -> None:
    errors = [{"stage": e.stage, "code": e.code, "message": e.message} for e in outcome.errors]
    with c.db.session() as session:
        fatal = outcome.fatal
        status = FileStatus.failed if fatal else FileStatus.processed
        code, message = (fatal.code, fatal.message) if fatal else (None, None)
        # The status moves first, conditionally: if a cancel or a twin run got there first, nothing
        # of this run is written.
        if not _finish(session, file_id, status, code, message, pages=outcome.page_count or None, emit=False):
            return
        row = session.get(File, file_id)
        imp = session.get(Import, row.import_id) if row else None
        assert row is not None and imp is not None
        existing = {d.index: d for d in session.scalars(select(Document).where(Document.file_id == row.id))}
        if fatal is not None:
            for failed in existing.values():
                failed.result = {"errors": errors, "timings": outcome.timings}
        else:
            _write_documents(session, row, imp, existing, outcome, errors)
        outbox.file_final(session, file_id)
    outbox.dispatch(c, session)


def _write_documents(
    session: Session,
    row: File,
    imp: Import,
    existing: dict[int, Document],
    outcome: PipelineOutcome,
    errors: list[dict[str, str]],
) -> None:
    """Upsert the documents of a processed file by (file, index); drop those a new split lost."""
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
    _store_pages(session, row, outcome.pages)


def _store_pages(session: Session, row: File, pages: list[PageText]) -> None:
    """Replace the file's page texts (a reprocess must not leave the previous run's words)."""
    session.execute(delete(PageTextRow).where(PageTextRow.file_id == row.id))
    for page in pages:
        session.add(
            PageTextRow(
                environment_id=row.environment_id,
                file_id=row.id,
                number=page.number,
                source=page.source,
                engine=page.engine,
                rotation=page.rotation,
                width=page.width,
                height=page.height,
                words=[[w.text, round(w.confidence, 3), *w.box.as_list()] for w in page.words],
            )
        )
