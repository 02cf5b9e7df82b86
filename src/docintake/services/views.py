"""Rows to wire schemas, in one place, so every endpoint shows a resource the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docintake.domain import FileStatus
from docintake.schemas import DocumentOut, FileErrorOut, FileOut, ImportOptionsOut, ImportOut
from docintake.schemas.resources import DocumentSummary, ImportSummary, PageRange
from docintake.storage.models import Document, DocumentSet, File, Import


def _error(code: str | None, message: str | None) -> FileErrorOut | None:
    return FileErrorOut(code=code, message=message or "") if code else None


def file_out(row: File, imp: Import, documents: Iterable[Document]) -> FileOut:
    return FileOut(
        id=row.id,
        import_id=row.import_id,
        filename=row.filename,
        source=row.source,
        source_url=row.source_url,
        size=row.size,
        sha256=row.sha256,
        media_type=row.media_type,
        pages=row.pages,
        status=row.status,
        error=_error(row.error_code, row.error_message),
        parent_file_id=row.parent_file_id,
        duplicate_of=row.duplicate_of,
        info=imp.info,
        documents=[
            DocumentSummary(id=d.id, index=d.index, status=d.status, type=d.type)
            for d in sorted(documents, key=lambda d: d.index)
        ],
        created_at=row.created_at,
        updated_at=row.updated_at,
        processed_at=row.processed_at,
    )


def _set_reference(session: Session, set_id: str | None) -> str | None:
    if set_id is None:
        return None
    found = session.get(DocumentSet, set_id)
    return found.reference if found else None


def import_status(imp: Import, counts: Counter[str]) -> str:
    if imp.cancelled_at is not None:
        return "cancelled"
    pending = counts[FileStatus.queued.value] + counts[FileStatus.processing.value]
    return "processing" if pending else "completed"


def import_summary(imp: Import, files: list[File]) -> ImportSummary:
    counts = Counter(f.status for f in files)
    return ImportSummary(
        id=imp.id,
        kind=imp.kind,
        status=import_status(imp, counts),
        counts=_counts(counts),
        created_at=imp.created_at,
    )


def _counts(counts: Counter[str]) -> dict[str, int]:
    return {status.value: counts[status.value] for status in FileStatus}


def import_out(session: Session, imp: Import) -> ImportOut:
    files = list(session.scalars(select(File).where(File.import_id == imp.id).order_by(File.id)))
    by_file: dict[str, list[Document]] = {}
    for document in session.scalars(select(Document).where(Document.import_id == imp.id)):
        by_file.setdefault(document.file_id, []).append(document)
    counts = Counter(f.status for f in files)
    opts = imp.options
    return ImportOut(
        id=imp.id,
        kind=imp.kind,
        status=import_status(imp, counts),
        options=ImportOptionsOut(
            type=opts.get("type"),
            processing_pref=opts.get("processingPref", "speed"),
            invoice_type=opts.get("invoiceType"),
            priority_flag=bool(opts.get("priorityFlag")),
            source_name=opts.get("sourceName"),
            pdf_password_given=bool(opts.get("pdfPasswordGiven")),
        ),
        info=imp.info,
        set_reference_number=_set_reference(session, imp.set_id),
        counts=_counts(counts),
        files=[file_out(f, imp, by_file.get(f.id, [])) for f in files],
        created_at=imp.created_at,
        cancelled_at=imp.cancelled_at,
    )


def _result_fields(result: dict[str, Any]) -> dict[str, Any]:
    """The stored pipeline result as the document's wire fields (unknown keys are not exposed)."""
    return {
        "type_confidence": result.get("typeConfidence"),
        "type_scores": result.get("typeScores") or {},
        "type_mismatch": result.get("typeMismatch"),
        "language": result.get("language"),
        "country": result.get("country"),
        "extraction": result.get("extraction"),
        "validation": result.get("validation") or [],
        "versions": result.get("versions") or {},
        "timings": result.get("timings") or {},
        "errors": result.get("errors") or [],
    }


def document_out(session: Session, document: Document, imp: Import | None = None) -> DocumentOut:
    imp = imp or session.get(Import, document.import_id)
    has_pages = document.page_start is not None and document.page_end is not None
    return DocumentOut(
        id=document.id,
        file_id=document.file_id,
        import_id=document.import_id,
        index=document.index,
        status=document.status,
        review_status=document.review_status,
        type=document.type,
        type_hint=document.type_hint,
        pages=PageRange(start=document.page_start, end=document.page_end) if has_pages else None,
        info=imp.info if imp else None,
        set_reference_number=_set_reference(session, document.set_id),
        error=_error(document.error_code, document.error_message),
        **_result_fields(document.result or {}),
        created_at=document.created_at,
        updated_at=document.updated_at,
    )
