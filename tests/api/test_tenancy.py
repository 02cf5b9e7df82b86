"""Tenancy: one environment's ids are 404 to every other environment, and lists never mix."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import Service, Tenant, make_pdf, make_png

PDF = make_pdf(2, seed=3)
PNG = make_png("TENANCY")


@dataclass
class Owned:
    """What tenant A (acme/production) created."""

    import_id: str
    file_id: str
    document_id: str
    batch_id: str
    batch_file_id: str
    set_reference: str
    type_name: str


@pytest.fixture
def owned(service: Service) -> Owned:
    client, headers = service.client, service.tenant.headers
    upload = client.post(
        "/v1/ingest/uploads", headers=headers, files={"files": ("mine.pdf", PDF, "application/pdf")}
    )
    assert upload.status_code == 201, upload.text
    ref = upload.json()["files"][0]
    created = client.post(
        "/v1/document-types", headers=headers, json={"name": "contract", "keywords": ["agreement"]}
    )
    assert created.status_code == 201, created.text
    batch = client.post(
        "/v1/batches",
        headers=headers,
        files={"files": ("scan.png", PNG, "image/png")},
        data={"create_new_set": "true", "set_name": "A's set"},
    )
    assert batch.status_code == 201, batch.text
    set_reference = batch.json()["setReferenceNumber"]
    assert set_reference
    # A itself sees all of it
    assert client.get(f"/v1/ingest/files/{ref['id']}", headers=headers).status_code == 200
    assert client.get(f"/v1/sets/{set_reference}", headers=headers).json()["items"]
    return Owned(
        import_id=upload.json()["importId"],
        file_id=ref["id"],
        document_id=ref["documentId"],
        batch_id=batch.json()["batchId"],
        batch_file_id=batch.json()["files"][0]["id"],
        set_reference=set_reference,
        type_name="contract",
    )


@pytest.fixture(params=["other-account", "own-sandbox"])
def stranger(request: pytest.FixtureRequest, service: Service) -> Tenant:
    if request.param == "other-account":
        return service.new_tenant("other", "production")
    return service.new_tenant("acme", "sandbox")


def test_stranger_gets_404_on_every_id(service: Service, owned: Owned, stranger: Tenant) -> None:
    client, headers = service.client, stranger.headers
    calls = [
        ("GET", f"/v1/ingest/files/{owned.file_id}"),
        ("GET", f"/v1/ingest/files/{owned.file_id}/content"),
        ("POST", f"/v1/ingest/files/{owned.file_id}/reprocess"),
        ("GET", f"/v1/imports/{owned.import_id}"),
        ("POST", f"/v1/imports/{owned.import_id}/cancel"),
        ("GET", f"/v1/batches/{owned.batch_id}"),
        ("GET", f"/v1/imports/{owned.batch_id}"),
        ("GET", f"/v1/documents/{owned.document_id}"),
        ("GET", f"/v1/sets/{owned.set_reference}"),
        ("DELETE", f"/v1/document-types/{owned.type_name}"),
    ]
    for method, path in calls:
        response = client.request(method, path, headers=headers)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
        # the 404 of a foreign id reads exactly like that of an id that never existed
        for real in (owned.file_id, owned.import_id, owned.batch_id, owned.document_id, owned.set_reference):
            path = path.replace(real, "does-not-exist")
        never = client.request(method, path, headers=headers)
        assert never.status_code == 404
        assert {k: v for k, v in never.json().items() if k not in ("detail", "requestId", "instance")} == {
            k: v for k, v in response.json().items() if k not in ("detail", "requestId", "instance")
        }


def test_strangers_requests_change_nothing_of_the_owner(
    service: Service, owned: Owned, stranger: Tenant
) -> None:
    client = service.client
    client.post(f"/v1/imports/{owned.import_id}/cancel", headers=stranger.headers)
    client.post(f"/v1/ingest/files/{owned.file_id}/reprocess", headers=stranger.headers)
    client.delete(f"/v1/document-types/{owned.type_name}", headers=stranger.headers)
    imp = client.get(f"/v1/imports/{owned.import_id}", headers=service.tenant.headers).json()
    assert imp["cancelledAt"] is None
    assert imp["files"][0]["status"] == "processed"
    types = client.get("/v1/document-types", headers=service.tenant.headers).json()["items"]
    assert [t["name"] for t in types] == ["contract"]


def test_strangers_lists_do_not_show_the_owners_data(
    service: Service, owned: Owned, stranger: Tenant
) -> None:
    client, headers = service.client, stranger.headers
    imports = client.get("/v1/imports", headers=headers)
    assert imports.status_code == 200
    assert imports.json()["items"] == []
    documents = client.get("/v1/documents", headers=headers)
    assert documents.status_code == 200
    assert documents.json()["items"] == []
    for query in (f"import_id={owned.import_id}", f"set_reference={owned.set_reference}"):
        filtered = client.get(f"/v1/documents?{query}", headers=headers)
        assert filtered.status_code == 200
        assert filtered.json()["items"] == []
    types = client.get("/v1/document-types", headers=headers)
    assert types.status_code == 200
    assert types.json() == {"items": [], "nextCursor": None}
    usage = client.get("/v1/usage", headers=headers)
    assert usage.status_code == 200
    assert usage.json()["environmentId"] == stranger.environment_id
    assert usage.json()["items"] == []

    # positive control: the owner's lists do show them
    own = service.tenant.headers
    assert {i["id"] for i in client.get("/v1/imports", headers=own).json()["items"]} == {
        owned.import_id,
        owned.batch_id,
    }
    assert owned.document_id in {d["id"] for d in client.get("/v1/documents", headers=own).json()["items"]}
    usage_items = client.get("/v1/usage", headers=own).json()["items"]
    assert sum(day["filesIngested"] for day in usage_items) == 2


def test_stranger_cannot_add_to_the_owners_set(service: Service, owned: Owned, stranger: Tenant) -> None:
    response = service.client.post(
        "/v1/batches",
        headers=stranger.headers,
        files={"files": ("x.pdf", make_pdf(seed=9), "application/pdf")},
        data={"set_reference_number": owned.set_reference},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    own_set = service.client.get(f"/v1/sets/{owned.set_reference}", headers=service.tenant.headers).json()
    assert len(own_set["items"]) == 1


def test_same_bytes_in_another_environment_are_no_duplicate(
    service: Service, owned: Owned, stranger: Tenant
) -> None:
    client = service.client
    theirs = client.post(
        "/v1/ingest/uploads", headers=stranger.headers, files={"files": ("same.pdf", PDF, "application/pdf")}
    )
    assert theirs.status_code == 201
    their_id = theirs.json()["files"][0]["id"]
    their_file = client.get(f"/v1/ingest/files/{their_id}", headers=stranger.headers).json()
    assert their_file["duplicateOf"] is None
    # their copy of the bytes is theirs: readable by them, 404 to the owner
    content = client.get(f"/v1/ingest/files/{their_id}/content", headers=stranger.headers)
    assert content.status_code == 200
    assert content.content == PDF
    assert client.get(f"/v1/ingest/files/{their_id}", headers=service.tenant.headers).status_code == 404

    # positive control: the owner uploading the same bytes again is told it is a duplicate
    again = client.post(
        "/v1/ingest/uploads",
        headers=service.tenant.headers,
        files={"files": ("again.pdf", PDF, "application/pdf")},
    )
    again_id = again.json()["files"][0]["id"]
    again_file = client.get(f"/v1/ingest/files/{again_id}", headers=service.tenant.headers).json()
    assert again_file["duplicateOf"] == owned.file_id


def test_document_type_names_are_per_environment(service: Service, owned: Owned, stranger: Tenant) -> None:
    client = service.client
    created = client.post("/v1/document-types", headers=stranger.headers, json={"name": owned.type_name})
    assert created.status_code == 201, created.text
    assert [
        t["name"] for t in client.get("/v1/document-types", headers=stranger.headers).json()["items"]
    ] == [owned.type_name]
    # the owner creating it twice is a conflict
    again = client.post("/v1/document-types", headers=service.tenant.headers, json={"name": owned.type_name})
    assert again.status_code == 409
    # the stranger deleting theirs leaves the owner's in place
    assert client.delete(f"/v1/document-types/{owned.type_name}", headers=stranger.headers).status_code == 204
    own_types = client.get("/v1/document-types", headers=service.tenant.headers).json()["items"]
    assert [t["name"] for t in own_types] == [owned.type_name]


def test_owner_content_is_served_only_to_the_owner(service: Service, owned: Owned) -> None:
    content = service.client.get(f"/v1/ingest/files/{owned.file_id}/content", headers=service.tenant.headers)
    assert content.status_code == 200
    assert content.content == PDF
