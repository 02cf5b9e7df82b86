"""Intake: every IncomingFile, whatever door it came through, is checked, stored and recorded here.

Two phases, for "nothing lost" without a long lock:
1. *prepare* (no database): sniff each file, store its bytes as a blob, unpack zips into prepared
   children, all within the request's unpack budget;
2. *record* (one short transaction): write the rows; tasks are queued only after the commit, so a
   worker never sees an id that does not exist yet. Every refusal is a row with a reason.

Before either phase, backpressure: while more tasks wait than ``DOCINTAKE_MAX_QUEUE_DEPTH``, intake
answers 503 with Retry-After instead of storing work the workers cannot reach in time.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from docintake import metrics
from docintake.clock import utcnow
from docintake.domain import DocumentStatus, FileSource, FileStatus
from docintake.errors import (
    FileProblem,
    FileRejected,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedUpload,
    ValidationFailed,
)
from docintake.intake.incoming import IncomingFile, clean_filename
from docintake.intake.sniff import Sniffed, sniff_file, supported_formats
from docintake.intake.urls import check_address, literal_ip, validate_url
from docintake.intake.zips import UnpackBudget, ZipLimits, unpack_zip
from docintake.services.auth import Principal
from docintake.services.container import Container
from docintake.services.options import IntakeOptions, check_document_type
from docintake.storage.blobs import blob_key
from docintake.storage.models import Document, DocumentSet, File, Import
from docintake.webhooks import outbox

log = logging.getLogger(__name__)
REFUSED = Sniffed("unsupported", None, "refused before its content was examined")
# How long a client refused for a full queue should wait: about what a few workers need to take
# a few hundred files off the queue; long enough that retries do not add to the load.
QUEUE_FULL_RETRY_AFTER_SECONDS = 30


@dataclass
class Prepared:
    """One file after the checks: where its bytes are, what it is, what becomes of it."""

    item: IncomingFile
    verdict: Sniffed
    status: FileStatus = FileStatus.queued
    blob_key: str | None = None
    problem: tuple[str, str] | None = None
    children: list[Prepared] = field(default_factory=list)

    def walk(self) -> list[Prepared]:
        return [self, *(p for child in self.children for p in child.walk())]


@dataclass
class IntakeOutcome:
    """What one intake request created: the import, its files in order, and every refusal."""

    import_: Import
    files: list[File] = field(default_factory=list)
    first_documents: dict[str, str] = field(default_factory=dict)
    problems: list[FileProblem] = field(default_factory=list)
    set_reference: str | None = None
    to_queue: list[str] = field(default_factory=list)


def _new_set_reference() -> str:
    return "SET-" + secrets.token_hex(5).upper()


class IntakeService:
    def __init__(self, container: Container) -> None:
        self.c = container
        self.limits = ZipLimits(container.settings.zip_max_ratio, container.settings.max_file_bytes)

    def new_budget(self) -> UnpackBudget:
        s = self.c.settings
        return UnpackBudget(bytes_left=s.zip_max_total_bytes, entries_left=s.zip_max_entries)

    # -- the request path ---------------------------------------------------------------------

    def ingest(
        self, principal: Principal, kind: str, options: IntakeOptions, items: list[IncomingFile]
    ) -> IntakeOutcome:
        """Record ``items`` as one import; raise (creating nothing) when not one of them is acceptable."""
        try:
            self.check_capacity()
            if not items:
                raise ValidationFailed("send at least one file or URL")
            budget = self.new_budget()
            prepared = [
                self.prepare(item, principal.environment_id, depth=0, budget=budget) for item in items
            ]
            if all(p.status is FileStatus.rejected for p in prepared):
                self._forget_blobs(principal.environment_id, prepared)
                self._refuse_all(prepared)
            with self.c.db.session() as session:
                outcome = self._record(session, principal, kind, options, prepared)
        finally:
            for item in items:
                item.discard()
        outbox.dispatch(self.c, session)
        self.enqueue(outcome.to_queue, priority=options.priority)
        return outcome

    def check_capacity(self) -> None:
        """Refuse new work while the queue is over its configured depth, before any byte is stored.

        A queue that cannot tell its depth does not refuse: intake already survives a queue outage
        (rows stay `queued` for the recovery sweep), and refusing everything would be worse."""
        limit = self.c.settings.max_queue_depth
        if limit <= 0:
            return
        try:
            depth = self.c.queue.depth()
        except Exception as exc:
            log.warning("could not read the queue depth (%s); accepting the request", type(exc).__name__)
            return
        if depth > limit:
            metrics.count_refusal("queue_full")
            raise ServiceUnavailable(
                f"the processing queue holds {depth} waiting tasks, more than its limit of {limit}; "
                f"retry in {QUEUE_FULL_RETRY_AFTER_SECONDS} seconds",
                code="queue_full",
                headers={"Retry-After": str(QUEUE_FULL_RETRY_AFTER_SECONDS)},
            )

    def enqueue(self, file_ids: list[str], *, priority: bool) -> None:
        """Queue recorded files. A queue outage loses nothing: the rows are committed `queued` and the
        stale-file sweep queues them again, so the upload still succeeds."""
        for file_id in file_ids:
            try:
                self.c.queue.enqueue_file(file_id, priority=priority)
            except ServiceUnavailable:
                log.warning("queue unavailable: file %s stays queued for the recovery sweep", file_id)

    def precheck(self, item: IncomingFile) -> Sniffed:
        """Sniff bytes, check URLs; an ``unsupported`` verdict means refused (``item.problem`` says why).

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

    def prepare(
        self, item: IncomingFile, environment_id: str, *, depth: int, budget: UnpackBudget
    ) -> Prepared:
        """Check one file and store its bytes; unpack a zip into prepared children (no database)."""
        verdict = self.precheck(item)
        prepared = Prepared(item, verdict)
        if item.spool is not None and item.sha256:
            prepared.blob_key = blob_key(environment_id, item.sha256)
            self.c.blobs.put_file(prepared.blob_key, item.spool)
            item.spool = None
        if item.problem is not None:
            prepared.status, prepared.problem = FileStatus.rejected, item.problem
        elif verdict.kind == "bundle":
            self._unpack(prepared, environment_id, depth, budget)
        return prepared

    def _unpack(self, prepared: Prepared, environment_id: str, depth: int, budget: UnpackBudget) -> None:
        max_depth = self.c.settings.zip_max_depth
        if depth >= max_depth:
            prepared.status = FileStatus.rejected
            prepared.problem = (
                "zip_too_deep",
                f"zips nested deeper than {max_depth} levels are not unpacked",
            )
            return
        assert prepared.blob_key is not None
        try:
            with self.c.blobs.local_path(prepared.blob_key) as path:
                members = unpack_zip(path, limits=self.limits, budget=budget, tmp_dir=self.c.settings.tmp_dir)
        except FileRejected as exc:
            prepared.status, prepared.problem = FileStatus.rejected, (exc.code, exc.message)
            return
        children = [
            IncomingFile(
                clean_filename(m.name, "unnamed", keep_path=True),
                FileSource.zip,
                spool=m.spool,
                size=m.size,
                sha256=m.sha256,
                problem=m.problem,
            )
            for m in members
        ]
        try:
            for child in children:
                prepared.children.append(self.prepare(child, environment_id, depth=depth + 1, budget=budget))
        finally:
            for child in children:
                child.discard()
        prepared.status = FileStatus.processed

    def _refuse_all(self, prepared: list[Prepared]) -> None:
        problems = [FileProblem(p.item.filename, *p.problem) for p in prepared if p.problem]
        names = ", ".join(f"{p.file!r} ({p.message})" for p in problems)
        if all(p.code == "file_too_large" for p in problems):
            raise PayloadTooLarge(f"no file could be accepted: {names}", errors=problems)
        raise UnsupportedUpload(f"no file could be accepted: {names}", errors=problems)

    def _forget_blobs(self, environment_id: str, prepared: list[Prepared]) -> None:
        """Blobs stored for a request that ends up refused, unless a recorded file already uses them."""
        keys = {p.blob_key for top in prepared for p in top.walk() if p.blob_key}
        if not keys:
            return
        with self.c.db.session() as session:
            used = set(session.scalars(select(File.blob_key).where(File.blob_key.in_(keys))))
        for key in keys - used:
            self.c.blobs.delete(key)

    def _record(
        self,
        session: Session,
        principal: Principal,
        kind: str,
        options: IntakeOptions,
        prepared: list[Prepared],
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
        for top in prepared:
            self.write(session, outcome, top, parent=None)
        # Files final already (refused, or zips once unpacked) have their events now; an import
        # whose every file is final at intake completes here.
        outbox.files_recorded(session, outcome.files)
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

    def write(
        self,
        session: Session,
        outcome: IntakeOutcome,
        prepared: Prepared,
        *,
        parent: File | None,
        existing: File | None = None,
    ) -> File:
        """The rows for one prepared file: the file, and a document or its zip children."""
        imp, item = outcome.import_, prepared.item
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
        if item.sha256:
            row.size, row.sha256, row.blob_key = item.size, item.sha256, prepared.blob_key
        elif item.size:
            row.size = item.size
        row.media_type = prepared.verdict.media_type
        session.flush()
        outcome.files.append(row)
        if row.sha256:
            row.duplicate_of = session.scalar(
                select(File.id)
                .where(File.environment_id == imp.environment_id, File.sha256 == row.sha256, File.id < row.id)
                .order_by(File.id)
                .limit(1)
            )
        if prepared.status is FileStatus.rejected:
            code, message = prepared.problem or ("rejected", "refused")
            row.status, row.error_code, row.error_message = FileStatus.rejected.value, code, message
            outcome.problems.append(FileProblem(row.filename, code, message))
        elif prepared.verdict.kind == "bundle":
            row.status, row.processed_at = FileStatus.processed.value, utcnow()
            for child in prepared.children:
                self.write(session, outcome, child, parent=row)
        elif item.source is FileSource.url and row.blob_key is None:
            outcome.to_queue.append(row.id)
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
