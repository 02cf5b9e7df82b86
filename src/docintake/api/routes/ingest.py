"""Intake endpoints: multipart uploads, URLs, one-file variants, and the file resource."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from docintake.api.deps import ContainerDep, IntakeDep, PrincipalDep, ResourcesDep
from docintake.api.forms import (
    UPLOAD_FIELDS,
    incoming_files,
    incoming_urls,
    json_options,
    multipart_body,
    upload_options,
    uploaded_form,
)
from docintake.errors import ValidationFailed
from docintake.intake.incoming import IncomingFile
from docintake.schemas import ByUrlRequest, FileOut, IngestResponse
from docintake.schemas.resources import FileProblemOut, FileRef, OneUrlRequest
from docintake.services.auth import Principal
from docintake.services.intake import IntakeOutcome, IntakeService
from docintake.services.options import IntakeOptions

router = APIRouter(prefix="/v1/ingest", tags=["ingest"])


def ingest_answer(principal: Principal, outcome: IntakeOutcome, *, batch: bool = False) -> IngestResponse:
    return IngestResponse(
        account_id=principal.account_id,
        environment_id=principal.environment_id,
        import_id=outcome.import_.id,
        files=[
            FileRef(
                filename=f.filename, id=f.id, document_id=outcome.first_documents.get(f.id), status=f.status
            )
            for f in outcome.files
        ],
        errors=[FileProblemOut(file=p.file, code=p.code, message=p.message) for p in outcome.problems],
        batch_id=outcome.import_.id if batch else None,
        set_reference_number=outcome.set_reference,
    )


async def run_intake(
    intake: IntakeService,
    principal: Principal,
    kind: str,
    options: IntakeOptions,
    items: list[IncomingFile],
    *,
    batch: bool = False,
) -> IngestResponse:
    outcome = await run_in_threadpool(intake.ingest, principal, kind, options, items)
    return ingest_answer(principal, outcome, batch=batch)


@router.post("/uploads", status_code=201, openapi_extra=multipart_body(UPLOAD_FIELDS))
async def upload(
    request: Request, principal: PrincipalDep, container: ContainerDep, intake: IntakeDep
) -> IngestResponse:
    """Upload files (and/or URLs) in one import; answers at once, processing goes on in the background."""
    async with uploaded_form(request, container) as form:
        options = upload_options(form)
        items = incoming_files(form, ["files", "file"], container.settings.max_file_bytes)
        items += incoming_urls(form.fields.get("urls", []))
        if not items:
            raise ValidationFailed("send at least one file in 'files' or one URL in 'urls'")
        return await run_intake(intake, principal, "upload", options, items)


@router.post("/document", status_code=201, openapi_extra=multipart_body(UPLOAD_FIELDS))
async def upload_one(
    request: Request, principal: PrincipalDep, container: ContainerDep, intake: IntakeDep
) -> IngestResponse:
    """Upload exactly one file (field `file` or `files`)."""
    async with uploaded_form(request, container) as form:
        items = incoming_files(form, ["file", "files"], container.settings.max_file_bytes)
        if len(items) != 1:
            raise ValidationFailed(f"send exactly one file in 'file' (got {len(items)})")
        return await run_intake(intake, principal, "document", upload_options(form), items)


@router.post("/by-url", status_code=201)
async def by_url(body: ByUrlRequest, principal: PrincipalDep, intake: IntakeDep) -> IngestResponse:
    """Import documents from http(s) URLs; the worker downloads them (private addresses are refused)."""
    return await run_intake(intake, principal, "url", json_options(body), incoming_urls(body.urls))


@router.post("/document/by-url", status_code=201)
async def one_by_url(body: OneUrlRequest, principal: PrincipalDep, intake: IntakeDep) -> IngestResponse:
    return await run_intake(intake, principal, "url", json_options(body), incoming_urls([body.url]))


@router.get("/files/{file_id}")
async def get_file(file_id: str, principal: PrincipalDep, resources: ResourcesDep) -> FileOut:
    return await run_in_threadpool(resources.get_file, principal, file_id)


@router.get("/files/{file_id}/content", response_class=StreamingResponse)
def file_content(file_id: str, principal: PrincipalDep, resources: ResourcesDep) -> StreamingResponse:
    """The original bytes, as received."""
    context = resources.open_file_content(principal, file_id)
    meta, handle = context.__enter__()

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := handle.read(256 * 1024):
                yield chunk
        finally:
            context.__exit__(None, None, None)

    disposition = f"attachment; filename*=UTF-8''{quote(meta.filename, safe='')}"
    headers = {"Content-Disposition": disposition}
    if meta.size is not None:
        headers["Content-Length"] = str(meta.size)
    return StreamingResponse(
        chunks(), media_type=meta.media_type or "application/octet-stream", headers=headers
    )


@router.post("/files/{file_id}/reprocess", status_code=202)
async def reprocess(file_id: str, principal: PrincipalDep, resources: ResourcesDep) -> FileOut:
    """Queue a failed or processed file again; its documents keep their ids."""
    return await run_in_threadpool(resources.reprocess_file, principal, file_id)
