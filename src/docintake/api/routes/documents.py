"""Documents, custom document types and usage."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from docintake.api.deps import ContainerDep, CursorQuery, LimitQuery, PrincipalDep, ResourcesDep
from docintake.schemas import DocumentOut, DocumentTypeIn, DocumentTypeOut, Page
from docintake.schemas.resources import DocumentOcrOut, DocumentReviewIn, UsageOut
from docintake.services import review

router = APIRouter(prefix="/v1", tags=["documents"])


@router.get("/documents/{document_id}")
async def get_document(document_id: str, principal: PrincipalDep, resources: ResourcesDep) -> DocumentOut:
    return await run_in_threadpool(resources.get_document, principal, document_id)


@router.patch("/documents/{document_id}")
async def review_document(
    document_id: str, body: DocumentReviewIn, principal: PrincipalDep, container: ContainerDep
) -> DocumentOut:
    """A person's review: `reviewStatus` (`needsReview`, `approved`, `discarded`) and `fields`
    corrections by canonical name (`{"total_amount": "119.00", "due_date": null}`). A corrected
    field keeps the machine's value in `extracted_value` and is marked `reviewed`. Sends
    `document.updated`. 422 names a field that is not canonical; 409 when the document is not
    processed yet."""
    return await run_in_threadpool(review.review_document, container, principal, document_id, body)


@router.get("/documents/{document_id}/ocr")
async def document_ocr(document_id: str, principal: PrincipalDep, resources: ResourcesDep) -> DocumentOcrOut:
    """Every word of the document's pages with its box (fractions of the page) and confidence."""
    return await run_in_threadpool(resources.document_ocr, principal, document_id)


@router.get(
    "/documents/{document_id}/pages/{number}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The page as a PNG image."}},
)
async def document_page_image(
    document_id: str,
    number: int,
    principal: PrincipalDep,
    resources: ResourcesDep,
    dpi: Annotated[int, Query(ge=50, le=300, description="Resolution of a PDF page.")] = 150,
) -> Response:
    """Page `number` of the document (1 = its first page) as a PNG: a PDF page rendered at `dpi`,
    an image page upright (EXIF orientation applied). 404 outside the document, 409 when the
    file cannot be read."""
    png = await run_in_threadpool(resources.document_page_png, principal, document_id, number, dpi)
    return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get("/documents")
async def list_documents(
    principal: PrincipalDep,
    resources: ResourcesDep,
    import_id: str | None = None,
    type: str | None = None,
    status: str | None = None,
    review_status: str | None = None,
    set_reference: str | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DocumentOut]:
    """Documents, newest first, filtered by import, type, status, review status or set."""
    filters = {
        "import_id": import_id,
        "type": type,
        "status": status,
        "review_status": review_status,
        "set_reference": set_reference,
    }
    return await run_in_threadpool(resources.list_documents, principal, filters, limit, cursor)


@router.post("/document-types", status_code=201)
async def create_document_type(
    body: DocumentTypeIn, principal: PrincipalDep, resources: ResourcesDep
) -> DocumentTypeOut:
    """A custom document type, usable as `type` at intake and by classification."""
    return await run_in_threadpool(resources.create_document_type, principal, body)


@router.get("/document-types")
async def list_document_types(
    principal: PrincipalDep, resources: ResourcesDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[DocumentTypeOut]:
    """Custom document types, newest first."""
    return await run_in_threadpool(resources.list_document_types, principal, limit, cursor)


@router.delete("/document-types/{name}", status_code=204)
async def delete_document_type(name: str, principal: PrincipalDep, resources: ResourcesDep) -> Response:
    await run_in_threadpool(resources.delete_document_type, principal, name)
    return Response(status_code=204)


@router.get("/usage")
async def usage(
    principal: PrincipalDep,
    resources: ResourcesDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> UsageOut:
    """Files and pages ingested and processed per day (UTC), default the last 30 days."""
    return await run_in_threadpool(resources.usage, principal, start, end)
