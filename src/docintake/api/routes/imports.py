"""Imports (one per intake request) and batches (imports with batch options and document sets)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from docintake.api.deps import ContainerDep, CursorQuery, IntakeDep, LimitQuery, PrincipalDep, ResourcesDep
from docintake.api.forms import BATCH_FIELDS, batch_options, incoming_files, multipart_body, uploaded_form
from docintake.api.routes.ingest import run_intake
from docintake.errors import ValidationFailed
from docintake.schemas import ImportOut, IngestResponse, Page, SetOut
from docintake.schemas.resources import ImportSummary

router = APIRouter(prefix="/v1", tags=["imports"])


@router.get("/imports")
async def list_imports(
    principal: PrincipalDep, resources: ResourcesDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ImportSummary]:
    """Imports, newest first."""
    return await run_in_threadpool(resources.list_imports, principal, limit, cursor)


@router.get("/imports/{import_id}")
async def get_import(import_id: str, principal: PrincipalDep, resources: ResourcesDep) -> ImportOut:
    """An import's options, counts of files by status, and all its files (zip children included)."""
    return await run_in_threadpool(resources.get_import, principal, import_id)


@router.post("/imports/{import_id}/cancel")
async def cancel_import(import_id: str, principal: PrincipalDep, resources: ResourcesDep) -> ImportOut:
    """Stop the files not processed yet: they end `failed` with code `cancelled`."""
    return await run_in_threadpool(resources.cancel_import, principal, import_id)


@router.post("/batches", status_code=201, openapi_extra=multipart_body(BATCH_FIELDS))
async def create_batch(
    request: Request, principal: PrincipalDep, container: ContainerDep, intake: IntakeDep
) -> IngestResponse:
    """One zip or several files with batch options; can create or extend a document set."""
    async with uploaded_form(request, container) as form:
        options = batch_options(form)
        items = incoming_files(form, ["file", "files"], container.settings.max_file_bytes)
        if not items:
            raise ValidationFailed("send a zip or files in 'file' or 'files'")
        return await run_intake(intake, principal, "batch", options, items, batch=True)


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: str, principal: PrincipalDep, resources: ResourcesDep) -> ImportOut:
    return await run_in_threadpool(resources.get_import, principal, batch_id)


@router.get("/sets/{reference}")
async def get_set(
    reference: str,
    principal: PrincipalDep,
    resources: ResourcesDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> SetOut:
    """A document set and its documents, newest first."""
    return await run_in_threadpool(resources.get_set, principal, reference, limit, cursor)
