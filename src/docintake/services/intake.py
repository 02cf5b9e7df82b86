"""Intake: every IncomingFile, whatever door it came through, is recorded, stored and queued here.

The order matters for "nothing lost": rows and blobs are written in one transaction, tasks are
queued only after it commits (a worker never sees an id that does not exist yet), and every
refusal is a row with a reason rather than a silent drop.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from docintake.clock import utcnow
from docintake.domain import DocumentStatus, FileSource, FileStatus
from docintake.errors import FileProblem, FileRejected, PayloadTooLarge, UnsupportedUpload, ValidationFailed
from docintake.intake.incoming import IncomingFile
from docintake.intake.sniff import Sniffed, sniff_file, supported_formats
from docintake.intake.urls import check_address, literal_ip, validate_url
from docintake.intake.zips import ByteBudget, ZipLimits, unpack_zip
from docintake.services.auth import Principal
from docintake.services.container import Container
from docintake.services.options import IntakeOptions, check_document_type
from docintake.storage.blobs import blob_key
from docintake.storage.models import Document, DocumentSet, File, Import


@dataclass
class IntakeOutcome:
    """What one intake request created: the import, its files in order, and every refusal."""

    import_: Import
    files: list[File] = field(default_factory=list)
    first_documents: dict[str, str] = field(default_factory=dict)
    problems: list[FileProblem] = field(default_factory=list)
    set_reference: str | None = None
    to_queue: list[str] = field(default_factory=list)


REFUSED = Sniffed("unsupported", None, "refused before its content was examined")


def _new_set_reference() -> str:
    return "SET-" + secrets.token_hex(5).upper()


class IntakeService:
    def __init__(self, container: Container) -> None:
        self.c = container
        s = container.settings
        self.limits = ZipLimits(s.zip_max_entries, s.zip_max_total_bytes, s.zip_max_ratio, s.max_file_bytes)

    # -- the request path ---------------------------------------------------------------------

    def ingest(
        self, principal: Principal, kind: str, options: IntakeOptions, items: list[IncomingFile]
    ) -> IntakeOutcome:
        """Record ``items`` as one import; raise (creating nothing) when not one of them is acceptable."""
        verdicts = [self.precheck(item) for item in items]
        try:
            if not items:
                raise ValidationFailed("send at least one file or URL")
            if all(verdict.kind == "unsupported" for verdict in verdicts):
                self._refuse_all(items)
            with self.c.db.session() as session:
                outcome = self._record(session, principal, kind, options, items, verdicts)
                top_level = [row for row in outcome.files if row.parent_file_id is None]
                if all(row.status == FileStatus.rejected.value for row in top_level):
                    # e.g. a lone zip bomb: refused while unpacking; roll back and answer like above.
                    for item, row in zip(items, top_level, strict=True):
                        item.problem = (row.error_code or "rejected", row.error_message or "refused")
                    self._refuse_all(items)
        finally:
            for item in items:
                item.discard()
        for file_id in outcome.to_queue:
            self.c.queue.enqueue_file(file_id, priority=options.priority)
        return outcome

    def precheck(self, item: IncomingFile) -> Sniffed:
        """Sniff uploaded bytes, check URLs; an ``unsupported`` verdict means refused (``item.problem`` says why).

        A URL not fetched yet is only checked; once the worker has downloaded it (``spool`` set),
        its bytes are sniffed like an upload's."""
        if item.problem is not None:
            return REFUSED
        if item.source is FileSource.url and item.spool is None:
            try:
                assert item.source_url is not None
                item.source_url = validate_url(item.source_url)
                ip = literal_ip(item.source_url)
                if ip is not None:
                    check_address(ip, self.c.settings.url_allowlist)
            except FileRejected as exc:
                item.problem = (exc.code, exc.message)
                return REFUSED
            return Sniffed("document", None)
        assert item.spool is not None
        verdict = sniff_file(item.spool, item.filename)
        if verdict.kind == "unsupported":
            item.problem = (verdict.code, f"{verdict.reason}; send {supported_formats()}")
        return verdict

    def _refuse_all(self, items: list[IncomingFile]) -> None:
        problems = [FileProblem(item.filename, *item.problem) for item in items if item.problem]
        names = ", ".join(f"{p.file!r} ({p.message})" for p in problems)
        if all(p.code == "file_too_large" for p in problems):
            raise PayloadTooLarge(f"no file could be accepted: {names}", errors=problems)
        raise UnsupportedUpload(f"no file could be accepted: {names}", errors=problems)

    def _record(
        self,
        session: Session,
        principal: Principal,
        kind: str,
        options: IntakeOptions,
        items: list[IncomingFile],
        verdicts: list[Sniffed],
    ) -> IntakeOutcome:
        env = principal.environment_id
        doc_type = check_document_type(session, env, options.document_type)
        document_set = self._resolve_set(session, env, options)
        imp = Import(
            environment_id=env,
            kind=kind,
            options={**options.public(), "type": doc_type},
            info=options.info,
            set_id=document_set.id if document_set else None,
            pdf_password=options.password,
            priority=1 if options.priority else 0,
        )
        session.add(imp)
        session.flush()
        outcome = IntakeOutcome(import_=imp, set_reference=document_set.reference if document_set else None)
        for item, verdict in zip(items, verdicts, strict=True):
            budget = ByteBudget(self.c.settings.zip_max_total_bytes)  # per uploaded zip, nested ones included
            self.register(session, outcome, item, verdict, parent=None, depth=0, budget=budget)
        return outcome

    def _resolve_set(self, session: Session, env: str, options: IntakeOptions) -> DocumentSet | None:
        if options.set_reference:
            found = session.scalar(
                select(DocumentSet).where(
                    DocumentSet.environment_id == env, DocumentSet.reference == options.set_reference
                )
            )
            if found is None:
                raise ValidationFailed(f"unknown set_reference_number {options.set_reference!r}")
            return found
        if options.create_new_set:
            created = DocumentSet(
                environment_id=env, reference=_new_set_reference(), name=options.set_name or ""
            )
            session.add(created)
            session.flush()
            return created
        return None

    # -- shared by the request path and the worker (URL downloads) ----------------------------

    def register(
        self,
        session: Session,
        outcome: IntakeOutcome,
        item: IncomingFile,
        verdict: Sniffed,
        *,
        parent: File | None,
        depth: int,
        budget: ByteBudget,
        existing: File | None = None,
    ) -> File:
        """Turn one IncomingFile into a file row (and a document, or children for a zip)."""
        imp = outcome.import_
        row = existing or File(
            environment_id=imp.environment_id,
            import_id=imp.id,
            parent_file_id=parent.id if parent else None,
            filename=item.filename,
            source=item.source.value,
            source_url=item.source_url,
            status=FileStatus.queued.value,
        )
        if existing is None:
            session.add(row)
        if item.spool is not None or item.size:
            row.size = item.size
        row.sha256 = item.sha256
        row.media_type = verdict.media_type
        if item.spool is not None and item.sha256:
            key = blob_key(imp.environment_id, item.sha256)
            self.c.blobs.put_file(key, item.spool)
            item.spool = None
            row.blob_key = key
        session.flush()
        outcome.files.append(row)
        if row.sha256:
            row.duplicate_of = session.scalar(
                select(File.id)
                .where(
                    File.environment_id == imp.environment_id, File.sha256 == row.sha256, File.id != row.id
                )
                .order_by(File.id)
                .limit(1)
            )
        if item.problem is not None or verdict.kind == "unsupported":
            code, message = item.problem or ("rejected", "refused")
            row.status, row.error_code, row.error_message = FileStatus.rejected.value, code, message
            outcome.problems.append(FileProblem(row.filename, code, message))
        elif item.source is FileSource.url and row.blob_key is None:
            outcome.to_queue.append(row.id)
        elif verdict.kind == "bundle":
            self._unpack(session, outcome, row, depth, budget)
        else:
            document = Document(
                environment_id=imp.environment_id,
                import_id=imp.id,
                file_id=row.id,
                index=0,
                set_id=imp.set_id,
                type_hint=imp.options.get("type"),
                status=DocumentStatus.queued.value,
            )
            session.add(document)
            session.flush()
            outcome.first_documents[row.id] = document.id
            outcome.to_queue.append(row.id)
        return row

    def _unpack(
        self, session: Session, outcome: IntakeOutcome, row: File, depth: int, budget: ByteBudget
    ) -> None:
        if depth >= self.c.settings.zip_max_depth:
            row.status, row.error_code = FileStatus.rejected.value, "zip_too_deep"
            row.error_message = (
                f"zips nested deeper than {self.c.settings.zip_max_depth} levels are not unpacked"
            )
            outcome.problems.append(FileProblem(row.filename, row.error_code, row.error_message))
            return
        assert row.blob_key is not None
        try:
            with self.c.blobs.local_path(row.blob_key) as path:
                members = unpack_zip(path, limits=self.limits, budget=budget, tmp_dir=self.c.settings.tmp_dir)
        except FileRejected as exc:
            row.status, row.error_code, row.error_message = FileStatus.rejected.value, exc.code, exc.message
            outcome.problems.append(FileProblem(row.filename, exc.code, exc.message))
            return
        children = [
            IncomingFile(
                m.name, FileSource.zip, spool=m.spool, size=m.size, sha256=m.sha256, problem=m.problem
            )
            for m in members
        ]
        try:
            for child in children:
                verdict = self.precheck(child)
                self.register(session, outcome, child, verdict, parent=row, depth=depth + 1, budget=budget)
        finally:
            for child in children:
                child.discard()
        row.status = FileStatus.processed.value
        row.processed_at = utcnow()
