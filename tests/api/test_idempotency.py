"""Idempotency-Key: a retried POST gets the first answer again and creates nothing new."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from docintake.clock import utcnow
from docintake.services.intake import IntakeService
from docintake.storage.models import IdempotencyRecord
from tests.conftest import Service, make_pdf, make_png

PDF = make_pdf(1, seed=5)
PNG = make_png("IDEMPOTENT")


def multipart(boundary: str, parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, dict[str, str]]:
    """A multipart body built by hand, so the boundary is ours to choose."""
    body = b""
    for field, filename, data in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def post_upload(service: Service, key: str | None, boundary: str, parts: Any, headers: Any = None) -> Any:
    body, content_headers = multipart(boundary, parts)
    all_headers = {**(headers or service.tenant.headers), **content_headers}
    if key is not None:
        all_headers["Idempotency-Key"] = key
    return service.client.post("/v1/ingest/uploads", headers=all_headers, content=body)


def import_ids(service: Service, headers: dict[str, str] | None = None) -> list[str]:
    response = service.client.get("/v1/imports", headers=headers or service.tenant.headers)
    assert response.status_code == 200
    return [item["id"] for item in response.json()["items"]]


FILES = [("files", "a.pdf", PDF), ("files", "b.png", PNG), ("info", None, b'{"order": 7}')]


def test_retry_with_a_different_boundary_replays_the_first_answer(service: Service) -> None:
    first = post_upload(service, "upload-1", "boundary-one", FILES)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    second = post_upload(service, "upload-1", "a-much-longer-and-different-boundary-2", FILES)
    assert second.status_code == first.status_code
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.json() == first.json()
    assert second.content == first.content
    assert second.headers["x-request-id"]
    assert import_ids(service) == [first.json()["importId"]]
    # a third try still replays
    third = post_upload(service, "upload-1", "boundary-three", FILES)
    assert third.json() == first.json()
    assert len(import_ids(service)) == 1


def test_retry_with_httpx_generated_boundaries(service: Service) -> None:
    headers = {**service.tenant.headers, "Idempotency-Key": "httpx-1"}

    def send() -> Any:
        return service.client.post(
            "/v1/ingest/uploads",
            headers=headers,
            files=[("files", ("a.pdf", PDF, "application/pdf"))],
            data={"type": "invoice"},
        )

    first, second = send(), send()
    assert first.request.headers["content-type"] != second.request.headers["content-type"]
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert len(import_ids(service)) == 1


def test_large_body_with_boundary_across_read_chunks(service: Service) -> None:
    """The request is fingerprinted in chunks; a boundary that straddles two of them still matches."""
    chunk = 256 * 1024
    head_len = len(multipart("B" * 10, [("files", "big.pdf", b"")])[0].split(b"\r\n\r\n", 1)[0]) + 4
    # pad the file so that the closing delimiter of the first request straddles the chunk edge
    padding = chunk - head_len - len(PDF) - 5
    big = PDF + b"\n%" + b"0" * (padding - 2)
    parts = [("files", "big.pdf", big), ("files", "b.png", PNG)]
    first = post_upload(service, "big-1", "B" * 10, parts)
    assert first.status_code == 201, first.text
    second = post_upload(service, "big-1", "C" * 37, parts)
    assert second.headers.get("idempotent-replayed") == "true", second.text
    assert second.json() == first.json()
    # and a one-byte change deep in the body is noticed
    changed = [("files", "big.pdf", big[:-1] + b"1"), ("files", "b.png", PNG)]
    third = post_upload(service, "big-1", "B" * 10, changed)
    assert third.status_code == 409
    assert len(import_ids(service)) == 1


@pytest.mark.parametrize(
    "other",
    [
        [("files", "a.pdf", make_pdf(1, seed=6)), ("files", "b.png", PNG), ("info", None, b'{"order": 7}')],
        [("files", "renamed.pdf", PDF), ("files", "b.png", PNG), ("info", None, b'{"order": 7}')],
        [("files", "a.pdf", PDF), ("files", "b.png", PNG), ("info", None, b'{"order": 8}')],
        [("files", "a.pdf", PDF), ("files", "b.png", PNG)],
    ],
    ids=["other-bytes", "other-filename", "other-info", "fewer-fields"],
)
def test_same_key_with_a_different_request_is_409(service: Service, other: Any) -> None:
    first = post_upload(service, "upload-2", "bnd1", FILES)
    assert first.status_code == 201
    second = post_upload(service, "upload-2", "bnd2", other)
    assert second.status_code == 409, second.text
    assert second.headers["content-type"] == "application/problem+json"
    body = second.json()
    assert body["code"] == "idempotency_key_reused"
    assert body["status"] == 409
    assert "idempotent-replayed" not in second.headers
    assert len(import_ids(service)) == 1


def test_same_key_on_another_endpoint_is_409(service: Service) -> None:
    headers = {**service.tenant.headers, "Idempotency-Key": "shared"}
    assert (
        service.client.post("/v1/document-types", headers=headers, json={"name": "lease"}).status_code == 201
    )
    response = service.client.post("/v1/ingest/by-url", headers=headers, json={"name": "lease"})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_keys_are_scoped_per_environment(service: Service) -> None:
    sandbox = service.new_tenant("acme", "sandbox")
    other = service.new_tenant("other", "production")
    first = post_upload(service, "shared-key", "bnd1", FILES)
    assert first.status_code == 201
    for tenant in (sandbox, other):
        theirs = post_upload(service, "shared-key", "bnd1", FILES, headers=tenant.headers)
        assert theirs.status_code == 201, theirs.text
        assert "idempotent-replayed" not in theirs.headers
        assert theirs.json()["importId"] != first.json()["importId"]
        assert theirs.json()["environmentId"] == tenant.environment_id
        assert import_ids(service, tenant.headers) == [theirs.json()["importId"]]
        # and within that environment it replays
        again = post_upload(service, "shared-key", "bnd9", FILES, headers=tenant.headers)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == theirs.json()
    # a different body under the same key elsewhere is not a conflict either
    different = post_upload(
        service, "another", "b", [("files", "x.png", PNG)], headers=service.tenant.headers
    )
    assert different.status_code == 201
    elsewhere = post_upload(service, "another", "b", [("files", "y.pdf", PDF)], headers=other.headers)
    assert elsewhere.status_code == 201
    assert import_ids(service) == [different.json()["importId"], first.json()["importId"]]


def test_json_error_answers_are_replayed_too(service: Service) -> None:
    headers = {**service.tenant.headers, "Idempotency-Key": "ftp-1"}
    payload = {"urls": ["ftp://example.com/invoice.pdf"]}
    first = service.client.post("/v1/ingest/by-url", headers=headers, json=payload)
    assert first.status_code == 400, first.text
    assert first.headers["content-type"] == "application/problem+json"
    second = service.client.post("/v1/ingest/by-url", headers=headers, json=payload)
    assert second.status_code == 400
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json() == first.json()
    conflict = service.client.post(
        "/v1/ingest/by-url", headers=headers, json={"urls": ["ftp://example.com/other.pdf"]}
    )
    assert conflict.status_code == 409


def test_json_create_is_replayed_instead_of_conflicting(service: Service) -> None:
    headers = {**service.tenant.headers, "Idempotency-Key": "type-1"}
    first = service.client.post("/v1/document-types", headers=headers, json={"name": "lease"})
    assert first.status_code == 201
    second = service.client.post("/v1/document-types", headers=headers, json={"name": "lease"})
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    # without the key, the same request is a real second attempt
    plain = service.client.post("/v1/document-types", headers=service.tenant.headers, json={"name": "lease"})
    assert plain.status_code == 409


def test_expired_record_lets_the_key_be_reused(service: Service) -> None:
    first = post_upload(service, "old-key", "b1", FILES)
    assert first.status_code == 201
    with service.container.db.session() as session:
        session.execute(
            update(IdempotencyRecord).values(
                created_at=utcnow() - timedelta(seconds=service.settings.idempotency_ttl_seconds + 60)
            )
        )
    # a different request under the expired key is simply new
    second = post_upload(service, "old-key", "b2", [("files", "c.png", make_png("other"))])
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert len(import_ids(service)) == 2
    # and the new request is now the one that is remembered
    third = post_upload(service, "old-key", "b3", [("files", "c.png", make_png("other"))])
    assert third.headers["idempotent-replayed"] == "true"
    assert third.json() == second.json()


def test_record_within_ttl_still_replays(service: Service) -> None:
    first = post_upload(service, "recent", "b1", FILES)
    with service.container.db.session() as session:
        session.execute(
            update(IdempotencyRecord).values(
                created_at=utcnow() - timedelta(seconds=service.settings.idempotency_ttl_seconds - 60)
            )
        )
    second = post_upload(service, "recent", "b2", FILES)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()


@pytest.mark.parametrize("settings_overrides", [{"idempotency_ttl_seconds": 0}])
def test_zero_ttl_setting_keeps_nothing(service: Service) -> None:
    first = post_upload(service, "k", "b1", FILES)
    second = post_upload(service, "k", "b2", FILES)
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["importId"] != first.json()["importId"]
    assert len(import_ids(service)) == 2


def test_key_longer_than_255_is_400(service: Service) -> None:
    response = post_upload(service, "k" * 256, "b", FILES)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"
    assert import_ids(service) == []
    ok = post_upload(service, "k" * 255, "b", FILES)
    assert ok.status_code == 201


def test_without_the_header_two_posts_create_two_imports(service: Service) -> None:
    first = post_upload(service, None, "b1", FILES)
    second = post_upload(service, None, "b1", FILES)
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert first.json()["importId"] != second.json()["importId"]
    assert len(import_ids(service)) == 2


def test_server_error_is_not_remembered(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    original = IntakeService.ingest
    calls = 0

    def flaky(self: IntakeService, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database hiccup")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(IntakeService, "ingest", flaky)
    from fastapi.testclient import TestClient

    client = TestClient(service.client.app, raise_server_exceptions=False)
    body, content_headers = multipart("b1", FILES)
    headers = {**service.tenant.headers, **content_headers, "Idempotency-Key": "retry-after-500"}
    failed = client.post("/v1/ingest/uploads", headers=headers, content=body)
    assert failed.status_code == 500
    retried = client.post("/v1/ingest/uploads", headers=headers, content=body)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert len(import_ids(service)) == 1


def test_get_requests_ignore_the_key(service: Service) -> None:
    headers = {**service.tenant.headers, "Idempotency-Key": "get-1"}
    assert service.client.get("/v1/imports", headers=headers).status_code == 200
    with service.container.db.session() as session:
        assert session.scalars(select(IdempotencyRecord)).all() == []
