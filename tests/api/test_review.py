"""PATCH /v1/documents/{id}: a person's review (corrected fields, review status) and its
`document.updated` event."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from docintake.services import review
from docintake.storage.models import Event, WebhookDelivery, WebhookEndpoint
from tests.conftest import Service, Tenant, make_pdf
from tests.helpers import assert_problem, created, get
from tests.pdfgen import text_pdf


@pytest.fixture
def document(service: Service) -> dict[str, Any]:
    """A processed invoice (the service processes inline)."""
    answer = created(
        service.client.post(
            "/v1/ingest/uploads",
            headers=service.tenant.headers,
            files={"files": ("invoice.pdf", make_pdf(seed=7), "application/pdf")},
        )
    )
    found = get(service, f"/v1/documents/{answer['files'][0]['documentId']}")
    assert found["status"] == "processed"
    return found


def patch(service: Service, document_id: str, body: Any, *, tenant: Tenant | None = None) -> Any:
    return service.client.patch(
        f"/v1/documents/{document_id}", headers=(tenant or service.tenant).headers, json=body
    )


def events(service: Service, document_id: str) -> list[Event]:
    """The document's `document.updated` events (processing records `document.processed` too)."""
    with service.container.db.session() as session:
        query = select(Event).where(Event.document_id == document_id, Event.type == "document.updated")
        return list(session.scalars(query.order_by(Event.id)))


def test_review_corrects_fields_and_keeps_the_machine_values(
    service: Service, document: dict[str, Any]
) -> None:
    machine = document["extraction"]["fields"]
    assert machine["total_amount"]["value"] == "19.98"
    assert machine["total_amount"]["reviewed"] is False
    assert "due_date" not in machine

    response = patch(
        service,
        document["id"],
        {"reviewStatus": "approved", "fields": {"total_amount": "21.98", "due_date": "2024-04-30"}},
    )
    assert response.status_code == 200, response.text
    reviewed = response.json()
    assert reviewed["reviewStatus"] == "approved"
    fields = reviewed["extraction"]["fields"]
    total = fields["total_amount"]
    assert total["value"] == "21.98"
    assert total["reviewed"] is True
    assert total["extracted_value"] == "19.98"
    assert total["confidence"] == 1.0
    # where extraction read it is kept
    assert (total["text"], total["page"], total["box"]) == (
        machine["total_amount"]["text"],
        machine["total_amount"]["page"],
        machine["total_amount"]["box"],
    )
    added = fields["due_date"]
    assert added == {
        "value": "2024-04-30",
        "text": None,
        "confidence": 1.0,
        "page": None,
        "box": None,
        "reviewed": True,
        "extracted_value": None,
    }
    # untouched fields stay as extraction left them
    for name, value in machine.items():
        if name != "total_amount":
            assert fields[name] == value
    assert reviewed["extraction"]["line_items"] == document["extraction"]["line_items"]

    # GET shows the same, and the review status filter finds it
    again = get(service, f"/v1/documents/{document['id']}")
    assert again == reviewed
    listed = get(service, "/v1/documents", review_status="approved")
    assert [d["id"] for d in listed["items"]] == [document["id"]]

    # one document.updated event, carrying the document as GET shows it
    (event,) = events(service, document["id"])
    assert event.type == "document.updated"
    assert event.environment_id == service.tenant.environment_id
    assert (event.import_id, event.file_id) == (document["importId"], document["fileId"])
    assert event.payload == again


def test_a_second_review_keeps_the_first_machine_value(service: Service, document: dict[str, Any]) -> None:
    assert patch(service, document["id"], {"fields": {"total_amount": "1.00"}}).status_code == 200
    second = patch(service, document["id"], {"fields": {"total_amount": None}})
    assert second.status_code == 200, second.text
    total = second.json()["extraction"]["fields"]["total_amount"]
    assert total["value"] is None  # the reviewer says the document has no total
    assert total["extracted_value"] == "19.98"
    assert total["reviewed"] is True
    # a status-only review leaves the fields alone
    third = patch(service, document["id"], {"reviewStatus": "discarded"})
    assert third.status_code == 200
    assert third.json()["reviewStatus"] == "discarded"
    assert third.json()["extraction"] == second.json()["extraction"]
    assert [e.type for e in events(service, document["id"])] == ["document.updated"] * 3


def test_unknown_field_is_400_naming_it_and_changes_nothing(
    service: Service, document: dict[str, Any]
) -> None:
    response = patch(
        service,
        document["id"],
        {
            "reviewStatus": "approved",
            "fields": {"total_amount": "1.00", "totl_amount": "1.00", "TotalAmount": "2"},
        },
    )
    problem = assert_problem(response, 400, "unknown_field")
    assert "'totl_amount'" in problem["detail"] and "'TotalAmount'" in problem["detail"]
    assert "'total_amount'" not in problem["detail"].split(":")[0]
    assert get(service, f"/v1/documents/{document['id']}") == document
    assert events(service, document["id"]) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reviewStatus": "rejected-ish"},
        {"reviewStatus": "approved", "extra": 1},
        {"fields": {"total_amount": 12.5}},
        {"fields": ["total_amount"]},
    ],
)
def test_malformed_reviews_are_400(service: Service, document: dict[str, Any], body: Any) -> None:
    assert_problem(patch(service, document["id"], body), 400, "validation_error")
    assert events(service, document["id"]) == []


def test_a_document_not_processed_yet_is_409(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service.container.queue, "enqueue_file", lambda *a, **k: None, raising=False)
    answer = created(
        service.client.post(
            "/v1/ingest/uploads",
            headers=service.tenant.headers,
            files={"files": ("queued.pdf", make_pdf(seed=8), "application/pdf")},
        )
    )
    document_id = answer["files"][0]["documentId"]
    problem = assert_problem(patch(service, document_id, {"reviewStatus": "approved"}), 409, "conflict")
    assert "queued" in problem["detail"]
    assert events(service, document_id) == []


@pytest.fixture(params=["other-account", "own-sandbox"])
def stranger(request: pytest.FixtureRequest, service: Service) -> Tenant:
    if request.param == "other-account":
        return service.new_tenant("other", "production")
    return service.new_tenant("acme", "sandbox")


def test_another_environments_document_is_404(
    service: Service, document: dict[str, Any], stranger: Tenant
) -> None:
    body = {"reviewStatus": "approved", "fields": {"total_amount": "0.01"}}
    foreign = assert_problem(patch(service, document["id"], body, tenant=stranger), 404, "not_found")
    never = assert_problem(patch(service, "does-not-exist", body, tenant=stranger), 404, "not_found")
    assert foreign["title"] == never["title"]
    # even with a bad field name, a foreign id reads as missing
    assert_problem(patch(service, document["id"], {"fields": {"nope": "1"}}, tenant=stranger), 404)
    assert get(service, f"/v1/documents/{document['id']}") == document
    assert events(service, document["id"]) == []


def test_review_is_delivered_to_webhook_endpoints(
    service: Service, document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deliveries are written with the event, and handed to the queue once committed."""
    with service.container.db.session() as session:
        wants = WebhookEndpoint(
            environment_id=service.tenant.environment_id,
            url="http://127.0.0.1:9/hook",
            events=["document.updated"],
        )
        other = WebhookEndpoint(
            environment_id=service.tenant.environment_id,
            url="http://127.0.0.1:9/other",
            events=["file.failed"],
        )
        session.add_all([wants, other])
        session.flush()
        wanted_id = wants.id
    queued: list[str] = []
    monkeypatch.setattr(review, "queue_delivery", lambda container, delivery_id: queued.append(delivery_id))
    assert patch(service, document["id"], {"reviewStatus": "approved"}).status_code == 200
    (event,) = events(service, document["id"])
    with service.container.db.session() as session:
        deliveries = list(
            session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id))
        )
    assert [d.endpoint_id for d in deliveries] == [wanted_id]
    assert queued == [deliveries[0].id]


def test_review_is_described_in_openapi(service: Service) -> None:
    schema = service.client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/documents/{document_id}"]["patch"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/DocumentReviewIn")
    review_in = schema["components"]["schemas"]["DocumentReviewIn"]
    assert set(review_in["properties"]) == {"reviewStatus", "fields"}


def test_the_checks_run_again_on_the_reviewed_values(service: Service) -> None:
    lines = [
        "INVOICE No 2024-0042",
        "Date 05.03.2024",
        "Subtotal 100.00",
        "VAT 19% 19.00",
        "Total 119.00 EUR",
    ]
    answer = created(
        service.client.post(
            "/v1/ingest/uploads",
            headers=service.tenant.headers,
            files={"files": ("invoice.pdf", text_pdf([lines]), "application/pdf")},
        )
    )
    document = get(service, f"/v1/documents/{answer['files'][0]['documentId']}")
    checks = {c["check"]: c for c in document["validation"]}
    assert checks["subtotal_plus_tax"]["status"] == "pass", document["extraction"]["fields"]

    reviewed = patch(service, document["id"], {"fields": {"total_amount": "129.00"}}).json()
    checks = {c["check"]: c for c in reviewed["validation"]}
    assert checks["subtotal_plus_tax"]["status"] == "fail"
    assert "129.00" in checks["subtotal_plus_tax"]["reason"]
    assert get(service, f"/v1/documents/{document['id']}")["validation"] == reviewed["validation"]
