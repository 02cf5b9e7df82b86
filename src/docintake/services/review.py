"""A person's review of a document: corrected field values and a review status.

Corrections are written into the document's stored result, beside what extraction found: the
field's ``value`` becomes the reviewer's (confidence 1.0, ``reviewed: true``) and the machine's
value stays in ``extracted_value`` (the first machine value, however many reviews follow), while
``text``, ``page`` and ``box`` keep pointing at where extraction read it; the validation checks run
again on the reviewed values. A ``document.updated``
event carrying the document as ``GET`` shows it afterwards is recorded in the same transaction,
and its webhook deliveries are queued once that has committed.
"""

from __future__ import annotations

import copy
from typing import Any

from docintake.clock import utcnow
from docintake.domain import DocumentStatus
from docintake.errors import Conflict, NotFound, ValidationFailed
from docintake.extraction.model import FIELD_NAMES, Field, LineItem, TaxLine
from docintake.extraction.validate import validate
from docintake.schemas import DocumentOut
from docintake.schemas.resources import DocumentReviewIn
from docintake.services import views
from docintake.services.auth import Principal
from docintake.services.container import Container
from docintake.services.events import record_event
from docintake.storage.models import Document
from docintake.webhooks import queue_delivery


def _corrected(result: dict[str, Any], corrections: dict[str, str | None]) -> dict[str, Any]:
    result = copy.deepcopy(result)
    extraction = result.get("extraction") or {}
    extraction.setdefault("line_items", [])
    extraction.setdefault("tax_lines", [])
    fields: dict[str, Any] = extraction.setdefault("fields", {})
    for name, value in corrections.items():
        found = fields.get(name)
        if found is None:
            found = {"value": None, "text": None, "confidence": 0.0, "page": None, "box": None}
        machine = found["extracted_value"] if found.get("reviewed") else found.get("value")
        fields[name] = {
            **found,
            "value": value,
            "confidence": 1.0,
            "reviewed": True,
            "extracted_value": machine,
        }
    result["extraction"] = extraction
    result["validation"] = _revalidated(extraction)
    return result


def _revalidated(extraction: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks again, on the values as reviewed: a corrected total that now adds up passes, and a
    correction that breaks a sum says so, like extraction's own values would."""
    fields = {
        name: Field(str(found["value"]), found.get("text") or "", float(found.get("confidence") or 0.0))
        for name, found in extraction.get("fields", {}).items()
        if found.get("value") is not None
    }
    item_keys = ("description", "product_code", "quantity", "unit", "unit_price", "tax_rate", "amount")
    items = [LineItem(**{k: row.get(k) for k in item_keys}) for row in extraction.get("line_items", [])]
    taxes = [
        TaxLine(rate=row.get("rate"), base_amount=row.get("base_amount"), tax_amount=row.get("tax_amount"))
        for row in extraction.get("tax_lines", [])
    ]
    return [check.as_dict() for check in validate(fields, items, taxes)]


def review_document(
    container: Container, principal: Principal, document_id: str, body: DocumentReviewIn
) -> DocumentOut:
    """Apply a review (``NotFound`` for another environment's document, ``ValidationFailed`` with
    code ``unknown_field`` for a field name that is not canonical, ``Conflict`` for a document not
    processed yet)."""
    if body.review_status is None and not body.fields:
        raise ValidationFailed("send reviewStatus, fields, or both")
    with container.db.session() as session:
        document = session.get(Document, document_id, with_for_update=True)
        if document is None or document.environment_id != principal.environment_id:
            raise NotFound(f"document {document_id} not found")
        unknown = sorted(set(body.fields) - set(FIELD_NAMES))
        if unknown:
            raise ValidationFailed(
                f"unknown field {', '.join(repr(name) for name in unknown)}: fields are canonical names "
                f"({', '.join(FIELD_NAMES)})",
                code="unknown_field",
            )
        if document.status != DocumentStatus.processed.value:
            raise Conflict(
                f"document {document_id} is {document.status}; only a processed document can be reviewed"
            )
        if body.fields:
            document.result = _corrected(document.result or {}, body.fields)
        if body.review_status is not None:
            document.review_status = body.review_status.value
        document.updated_at = utcnow()
        session.flush()
        out = views.document_out(session, document)
        _, deliveries = record_event(
            session,
            type="document.updated",
            environment_id=document.environment_id,
            payload=out.model_dump(mode="json"),
            import_id=document.import_id,
            file_id=document.file_id,
            document_id=document.id,
        )
        delivery_ids = [delivery.id for delivery in deliveries]
    _queue(container, delivery_ids)
    return out


def _queue(container: Container, delivery_ids: list[str]) -> None:
    """Hand the committed deliveries to the task queue. One that cannot be queued now is not lost:
    it is pending in the database, and the delivery sweep sends it."""
    for delivery_id in delivery_ids:
        queue_delivery(container, delivery_id)
