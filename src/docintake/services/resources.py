"""Reading and changing the tenant's resources. Every query is scoped to the caller's environment:
another environment's id is indistinguishable from an id that never existed (404)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, BinaryIO, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.domain import BUILTIN_DOCUMENT_TYPES, DocumentStatus, FileStatus, ReviewStatus
from docintake.errors import Conflict, NotFound, ValidationFailed
from docintake.schemas import DocumentOut, DocumentTypeIn, DocumentTypeOut, FileOut, ImportOut, Page, SetOut
from docintake.schemas.resources import DocumentOcrOut, ImportSummary, OcrPage, OcrWord, UsageDay, UsageOut
from docintake.services import views
from docintake.services.auth import Principal
from docintake.services.container import Container
from docintake.services.pages import page_png
from docintake.services.pagination import paginate
from docintake.storage.models import Base, Document, DocumentSet, DocumentType, File, Import, PageTextRow
from docintake.webhooks import outbox

M = TypeVar("M", bound=Base)


def owned(session: Session, model: type[M], resource_id: str, principal: Principal, label: str) -> M:
    """The row with this id in the principal's environment; another tenant's id does not exist (404)."""
    row = session.get(model, resource_id)
    if row is None or getattr(row, "environment_id", None) != principal.environment_id:
        raise NotFound(f"{label} {resource_id} not found")
    return row


class Resources:
    def __init__(self, container: Container) -> None:
        self.c = container

    # -- files -----------------------------------------------------------------------------

    def get_file(self, principal: Principal, file_id: str) -> FileOut:
        with self.c.db.session() as session:
            row = owned(session, File, file_id, principal, "file")
            imp = session.get(Import, row.import_id)
            assert imp is not None
            documents = session.scalars(select(Document).where(Document.file_id == row.id))
            return views.file_out(row, imp, documents)

    @contextmanager
    def open_file_content(self, principal: Principal, file_id: str) -> Iterator[tuple[FileOut, BinaryIO]]:
        meta = self.get_file(principal, file_id)
        with self.c.db.session() as session:
            key = owned(session, File, file_id, principal, "file").blob_key
        if key is None:
            raise NotFound(f"file {file_id} has no stored content")
        with self.c.blobs.open(key) as handle:
            yield meta, handle

    def reprocess_file(self, principal: Principal, file_id: str) -> FileOut:
        with self.c.db.session() as session:
            row = owned(session, File, file_id, principal, "file")
            imp = session.get(Import, row.import_id)
            assert imp is not None
            reprocessable = row.status in (FileStatus.failed.value, FileStatus.processed.value)
            if not reprocessable or (row.blob_key is None and row.source_url is None):
                raise Conflict(
                    f"file {file_id} is {row.status}; only failed or processed files can be reprocessed"
                )
            if row.media_type == "application/zip":
                raise Conflict("a zip container is not processed itself; reprocess its files")
            row.status, row.error_code, row.error_message, row.processed_at = (
                FileStatus.queued.value,
                None,
                None,
                None,
            )
            for document in session.scalars(select(Document).where(Document.file_id == row.id)):
                document.status = DocumentStatus.queued.value
                document.error_code = document.error_message = None
            priority = bool(imp.priority)
        self.c.queue.enqueue_file(file_id, priority=priority)
        return self.get_file(principal, file_id)

    # -- imports ---------------------------------------------------------------------------

    def get_import(self, principal: Principal, import_id: str) -> ImportOut:
        with self.c.db.session() as session:
            return views.import_out(session, owned(session, Import, import_id, principal, "import"))

    def list_imports(self, principal: Principal, limit: int, cursor: str | None) -> Page[ImportSummary]:
        with self.c.db.session() as session:
            query = select(Import).where(Import.environment_id == principal.environment_id)
            rows, next_cursor = paginate(session, query, Import.id, limit, cursor)
            files: dict[str, list[File]] = defaultdict(list)
            if rows:
                for f in session.scalars(select(File).where(File.import_id.in_([r.id for r in rows]))):
                    files[f.import_id].append(f)
            return Page(items=[views.import_summary(r, files[r.id]) for r in rows], next_cursor=next_cursor)

    def cancel_import(self, principal: Principal, import_id: str) -> ImportOut:
        """Fail the import's files not final yet (code ``cancelled``), with their ``file.failed``
        events and, the import then being complete, its ``import.completed``."""
        with self.c.db.session() as session:
            imp = owned(session, Import, import_id, principal, "import")
            if imp.cancelled_at is None:
                imp.cancelled_at = utcnow()
            pending = (FileStatus.queued.value, FileStatus.processing.value)
            message = "the import was cancelled before this file was processed"
            # A conditional update: a file a worker finishes meanwhile keeps its result and its
            # events; RETURNING says which files this cancel moved, so only theirs are emitted.
            cancelled = list(
                session.scalars(
                    update(File)
                    .where(File.import_id == imp.id, File.status.in_(pending))
                    .values(
                        status=FileStatus.failed.value,
                        error_code="cancelled",
                        error_message=message,
                        processed_at=utcnow(),
                        updated_at=utcnow(),
                    )
                    .returning(File.id)
                )
            )
            if cancelled:
                session.execute(
                    update(Document)
                    .where(Document.file_id.in_(cancelled), Document.status != DocumentStatus.processed.value)
                    .values(status=DocumentStatus.failed.value, error_code="cancelled", error_message=message)
                )
            for file_id in cancelled:
                outbox.file_final(session, file_id, complete=False)
            outbox.complete_import(session, imp.id)
            session.flush()
            session.expire_all()
            answer = views.import_out(session, imp)
        outbox.dispatch(self.c, session)
        return answer

    # -- documents -------------------------------------------------------------------------

    def get_document(self, principal: Principal, document_id: str) -> DocumentOut:
        with self.c.db.session() as session:
            return views.document_out(session, owned(session, Document, document_id, principal, "document"))

    def list_documents(
        self, principal: Principal, filters: dict[str, Any], limit: int, cursor: str | None
    ) -> Page[DocumentOut]:
        with self.c.db.session() as session:
            query = select(Document).where(Document.environment_id == principal.environment_id)
            if filters.get("import_id"):
                query = query.where(Document.import_id == filters["import_id"])
            if filters.get("type"):
                query = query.where(Document.type == filters["type"])
            if filters.get("status"):
                _check_enum("status", filters["status"], [s.value for s in DocumentStatus])
                query = query.where(Document.status == filters["status"])
            if filters.get("review_status"):
                _check_enum("review_status", filters["review_status"], [s.value for s in ReviewStatus])
                query = query.where(Document.review_status == filters["review_status"])
            if filters.get("set_reference"):
                query = query.join(DocumentSet, Document.set_id == DocumentSet.id).where(
                    DocumentSet.reference == filters["set_reference"]
                )
            rows, next_cursor = paginate(session, query, Document.id, limit, cursor)
            return Page(items=[views.document_out(session, d) for d in rows], next_cursor=next_cursor)

    def document_ocr(self, principal: Principal, document_id: str) -> DocumentOcrOut:
        """The words of the document's pages with boxes and confidences, in reading order."""
        with self.c.db.session() as session:
            document = owned(session, Document, document_id, principal, "document")
            query = select(PageTextRow).where(PageTextRow.file_id == document.file_id)
            if document.page_start is not None and document.page_end is not None:
                query = query.where(PageTextRow.number.between(document.page_start, document.page_end))
            pages = [
                OcrPage(
                    number=row.number,
                    source=row.source,
                    engine=row.engine,
                    rotation=row.rotation,
                    width=row.width,
                    height=row.height,
                    words=[OcrWord(text=w[0], confidence=w[1], box=w[2:6]) for w in row.words],
                )
                for row in session.scalars(query.order_by(PageTextRow.number))
            ]
            return DocumentOcrOut(document_id=document.id, pages=pages)

    def document_page_png(self, principal: Principal, document_id: str, number: int, dpi: int = 150) -> bytes:
        """Page ``number`` (1-based within the document's page range) as a PNG image.

        PDF pages are rendered as PDFium displays them (rotation applied, grayscale, like the
        image OCR reads) at ``dpi``; image pages are the file's frame, upright (EXIF applied),
        scaled down to at most the long side an A4 page has at ``dpi``. ``NotFound`` for another
        tenant's document or a page outside the document; ``Conflict`` when the file cannot be
        read (failed or rejected, no stored content yet, or broken). Rendered once, then served
        from the blob store (``services.pages``).
        """
        with self.c.db.session() as session:
            document = owned(session, Document, document_id, principal, "document")
            row = session.get(File, document.file_id)
            imp = session.get(Import, document.import_id)
            assert row is not None
            if row.status in (FileStatus.failed.value, FileStatus.rejected.value):
                reason = f": {row.error_message}" if row.error_message else ""
                raise Conflict(f"file {row.id} is {row.status}{reason}; its pages cannot be shown")
            if row.blob_key is None or row.media_type is None:
                raise Conflict(f"file {row.id} has no stored content yet; try again once it is processed")
            start, end = document.page_start, document.page_end
            key, media_type = row.blob_key, row.media_type
            password = imp.pdf_password if imp is not None else None
        missing = NotFound(f"document {document_id} has no page {number}")
        if number < 1 or (start is not None and end is not None and number > end - start + 1):
            raise missing
        file_page = (start or 1) + number - 1
        png = page_png(self.c.blobs, key, media_type, file_page, dpi, password, self.c.settings.tmp_dir)
        if png is None:
            raise missing
        return png

    def get_set(self, principal: Principal, reference: str, limit: int, cursor: str | None) -> SetOut:
        with self.c.db.session() as session:
            found = session.scalar(
                select(DocumentSet).where(
                    DocumentSet.environment_id == principal.environment_id, DocumentSet.reference == reference
                )
            )
            if found is None:
                raise NotFound(f"set {reference} not found")
            query = select(Document).where(Document.set_id == found.id)
            rows, next_cursor = paginate(session, query, Document.id, limit, cursor)
            return SetOut(
                reference=found.reference,
                name=found.name,
                created_at=found.created_at,
                items=[views.document_out(session, d) for d in rows],
                next_cursor=next_cursor,
            )

    # -- custom document types ---------------------------------------------------------------

    def create_document_type(self, principal: Principal, body: DocumentTypeIn) -> DocumentTypeOut:
        if body.name in BUILTIN_DOCUMENT_TYPES:
            raise Conflict(f"{body.name!r} is a built-in document type")
        with self.c.db.session() as session:
            exists = session.scalar(
                select(DocumentType).where(
                    DocumentType.environment_id == principal.environment_id, DocumentType.name == body.name
                )
            )
            if exists is not None:
                raise Conflict(f"document type {body.name!r} already exists")
            row = DocumentType(
                environment_id=principal.environment_id,
                name=body.name,
                description=body.description,
                keywords=body.keywords,
            )
            session.add(row)
            session.flush()
            return _type_out(row)

    def list_document_types(
        self, principal: Principal, limit: int, cursor: str | None
    ) -> Page[DocumentTypeOut]:
        with self.c.db.session() as session:
            query = select(DocumentType).where(DocumentType.environment_id == principal.environment_id)
            rows, next_cursor = paginate(session, query, DocumentType.id, limit, cursor)
            return Page(items=[_type_out(row) for row in rows], next_cursor=next_cursor)

    def delete_document_type(self, principal: Principal, name: str) -> None:
        with self.c.db.session() as session:
            row = session.scalar(
                select(DocumentType).where(
                    DocumentType.environment_id == principal.environment_id, DocumentType.name == name
                )
            )
            if row is None:
                raise NotFound(f"document type {name!r} not found")
            session.delete(row)

    # -- usage -----------------------------------------------------------------------------

    def usage(self, principal: Principal, start: date | None, end: date | None) -> UsageOut:
        end = end or utcnow().date()
        start = start or end - timedelta(days=30)
        if start > end:
            raise ValidationFailed("from must not be after to")
        days: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        with self.c.db.session() as session:
            base = (File.environment_id == principal.environment_id, File.media_type != "application/zip")
            ingested_day = func.date(File.created_at)
            for day, count, pages in session.execute(
                select(ingested_day, func.count(), func.coalesce(func.sum(File.pages), 0))
                .where(*base, File.status != FileStatus.rejected.value)
                .group_by(ingested_day)
            ):
                days[_as_date(day)]["files_ingested"] += count
                days[_as_date(day)]["pages_ingested"] += int(pages)
            processed_day = func.date(File.processed_at)
            for day, count, pages in session.execute(
                select(processed_day, func.count(), func.coalesce(func.sum(File.pages), 0))
                .where(*base, File.status == FileStatus.processed.value)
                .group_by(processed_day)
            ):
                days[_as_date(day)]["files_processed"] += count
                days[_as_date(day)]["pages_processed"] += int(pages)
        items = [
            UsageDay(
                date=day,
                files_ingested=v["files_ingested"],
                pages_ingested=v["pages_ingested"],
                files_processed=v["files_processed"],
                pages_processed=v["pages_processed"],
            )
            for day, v in sorted(days.items())
            if start <= day <= end
        ]
        return UsageOut(environment_id=principal.environment_id, items=items)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _check_enum(name: str, value: str, allowed: list[str]) -> None:
    if value not in allowed:
        raise ValidationFailed(f"{name} must be one of {', '.join(allowed)}")


def _type_out(row: DocumentType) -> DocumentTypeOut:
    return DocumentTypeOut(
        id=row.id,
        name=row.name,
        description=row.description,
        keywords=list(row.keywords),
        created_at=row.created_at,
    )
