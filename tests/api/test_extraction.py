"""What a client reads back after processing: type, fields with evidence, line items, validation."""

from __future__ import annotations

from typing import Any

from tests.conftest import Service
from tests.helpers import created, get
from training.synthetic import generate, render_multi_pdf_with_ranges, render_pdf

CANONICAL = {
    "supplier_name", "supplier_address", "supplier_street", "supplier_postcode", "supplier_city",
    "supplier_country", "supplier_tax_id", "supplier_iban", "supplier_email", "supplier_phone",
    "customer_name", "customer_address", "customer_tax_id", "invoice_number", "purchase_order_number",
    "issue_date", "due_date", "transaction_time", "payment_terms", "currency", "subtotal_amount",
    "tax_amount", "total_amount", "amount_due",
}  # fmt: skip
CHECKS = {
    "line_items_sum", "subtotal_plus_tax", "tax_lines_consistent", "supplier_tax_id", "customer_tax_id",
    "supplier_iban", "due_after_issue", "amount_due_le_total",
}  # fmt: skip


def _upload(service: Service, name: str, data: bytes, **form: str) -> dict[str, Any]:
    answer = service.client.post(
        "/v1/ingest/uploads",
        files=[("files", (name, data, "application/pdf"))],
        data=form,
        headers=service.tenant.headers,
    )
    return created(answer)


def test_processed_invoice_has_typed_fields_with_evidence_and_validation(service: Service) -> None:
    truth = generate(1, doc_type="invoice", language="en")  # a seed the golden tests also pin
    body = _upload(service, "invoice.pdf", render_pdf(truth, 1))
    document = get(service, f"/v1/documents/{body['files'][0]['documentId']}")

    assert document["status"] == "processed"
    assert document["type"] == "invoice" and 0.5 < document["typeConfidence"] <= 1
    scores = document["typeScores"]
    assert set(scores) == {"invoice", "receipt", "creditNote", "purchaseOrder", "deliveryNote",
                           "bankStatement", "other"}  # fmt: skip
    assert max(scores, key=scores.get) == "invoice"
    assert document["language"] == "en"
    assert document["country"] is None  # this Malaysian supplier prints no country, and none is guessed
    fields = document["extraction"]["fields"]
    assert set(fields) <= CANONICAL  # snake_case canonical names inside extraction, never camelCase
    for name in ("total_amount", "issue_date", "invoice_number", "currency"):
        assert fields[name]["value"] == truth.fields[name], name
    total = fields["total_amount"]
    assert total["page"] == 1 and 0 < total["confidence"] <= 1
    x0, y0, x1, y1 = total["box"]
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    assert total["text"]  # as printed
    items = document["extraction"]["line_items"]
    assert items and set(items[0]) >= {"description", "quantity", "unit_price", "amount", "box"}
    assert {check["check"] for check in document["validation"]} == CHECKS
    assert all(check["status"] in {"pass", "fail", "skipped"} for check in document["validation"])
    assert document["versions"]["model"].startswith("fields-")
    assert {"pages", "text", "split", "extract"} <= set(document["timings"])
    assert document["errors"] == []


def test_type_hint_is_kept_but_a_clear_mismatch_is_reported(service: Service) -> None:
    truth = generate(1, doc_type="invoice", language="en")
    body = _upload(service, "invoice.pdf", render_pdf(truth, 1), type="bankStatement")
    document = get(service, f"/v1/documents/{body['files'][0]['documentId']}")
    assert document["type"] == "bankStatement"
    assert document["typeMismatch"] and "invoice" in document["typeMismatch"]


def test_a_pdf_of_several_invoices_becomes_several_documents(service: Service) -> None:
    docs = [
        generate(seed, doc_type="invoice", language=lang) for seed, lang in ((0, "en"), (1, "de"), (2, "fr"))
    ]
    data, ranges = render_multi_pdf_with_ranges(docs, 0)
    body = _upload(service, "bundle.pdf", data)
    file = get(service, f"/v1/ingest/files/{body['files'][0]['id']}")
    assert file["status"] == "processed"
    documents = [get(service, f"/v1/documents/{ref['id']}") for ref in file["documents"]]
    assert [(d["pages"]["start"], d["pages"]["end"]) for d in documents] == ranges
    for document, truth in zip(documents, docs, strict=True):
        assert document["extraction"]["fields"]["total_amount"]["value"] == truth.fields["total_amount"]
    assert [d["language"] for d in documents] == ["en", "de", "fr"]
    assert [d["country"] for d in documents][1:] == ["DE", "BE"]  # the French one is from Namur
