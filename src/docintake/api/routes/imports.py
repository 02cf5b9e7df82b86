"""Imports (one per intake request) and batches (imports with batch options and document sets)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from docintake.api.deps import ContainerDep, CursorQuery, IntakeDep, LimitQuery, PrincipalDep, ResourcesDep
from docintake.api.forms import BATCH_FIELDS, batch_options, incoming_files, multipart_body, uploaded_form
from docintake.api.routes.ingest import run_intake
from docintake.errors import ValidationFailed
from docintake.schemas import ImportOut, IngestResponse, Page, SetOut
from docintake.schemas.resources import ImportSummary, StreamTokenOut
from docintake.services import auth as auth_service
from docintake.services.progress import ImportProgress

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


@router.get(
    "/imports/{import_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-Sent Events until the import completes.",
        },
        204: {"description": "The client (by its Last-Event-ID) already saw the import complete."},
    },
)
async def import_events(
    import_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    last_event_id: Annotated[
        str | None, Header(description="Sent by EventSource when it reconnects.")
    ] = None,
    token: Annotated[
        str | None,
        Query(description="A stream token from POST .../events/token, for clients that cannot send headers."),
    ] = None,
) -> Response:
    """The import's progress as Server-Sent Events: each file's status on connect, then every change
    (`file.status`: `{fileId, filename, status, errorCode}`), then `import.completed` (the import's
    status and counts) once no file is queued or processing, and the stream ends. Comments keep the
    connection alive; `id` lines let EventSource resume without repeats after a reconnect."""
    progress = ImportProgress(container, principal.environment_id, import_id)
    if not await run_in_threadpool(progress.open, last_event_id):
        return Response(status_code=204)
    events = progress.events()
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(events.aclose),  # also when the client went away mid-stream
    )


@router.post("/imports/{import_id}/events/token", status_code=201)
async def import_events_token(
    import_id: str, principal: PrincipalDep, container: ContainerDep
) -> StreamTokenOut:
    """A token that opens this import's event stream, and nothing else, for about five minutes:
    `GET /v1/imports/{id}/events?token=...` (a browser's EventSource cannot send headers)."""

    def issue() -> StreamTokenOut:
        with container.db.session() as session:
            token, expires_at = auth_service.issue_stream_token(session, principal, import_id)
        return StreamTokenOut(token=token, expires_at=expires_at)

    return await run_in_threadpool(issue)


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
