"""Errors are RFC 9457 problem details everywhere; request ids; probes; OpenAPI; the error tree."""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from docintake import errors
from docintake.api.problems import from_error
from docintake.logs import RequestIdFilter
from docintake.services.resources import Resources
from tests.conftest import Service, make_pdf
from tests.helpers import PROBLEM, asgi_scope, assert_problem

# -- every kind of error ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"urls": "notalist"}},
        {"json": {"urls": []}},
        {"json": {}},
        {},
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
    ],
    ids=["urls-not-a-list", "urls-empty", "urls-missing", "no-body", "broken-json"],
)
def test_json_validation_errors_are_400_not_422(service: Service, kwargs: dict[str, Any]) -> None:
    headers = {**service.tenant.headers, **kwargs.pop("headers", {})}
    response = service.client.post("/v1/ingest/by-url", headers=headers, **kwargs)
    assert_problem(response, 400, "validation_error")


def test_upload_without_files_is_400(service: Service) -> None:
    response = service.client.post(
        "/v1/ingest/uploads", headers=service.tenant.headers, files={"info": (None, '{"a": 1}')}
    )
    assert_problem(response, 400, "validation_error")


def test_upload_that_is_not_multipart_is_400(service: Service) -> None:
    response = service.client.post("/v1/ingest/uploads", headers=service.tenant.headers, json={"files": []})
    assert_problem(response, 400)


def test_bad_query_parameter_is_400(service: Service) -> None:
    response = service.client.get("/v1/imports?limit=0", headers=service.tenant.headers)
    assert_problem(response, 400, "validation_error")
    response = service.client.get("/v1/documents?status=bogus", headers=service.tenant.headers)
    assert_problem(response, 400, "validation_error")


def test_unsupported_only_file_is_400_naming_it(service: Service) -> None:
    response = service.client.post(
        "/v1/ingest/uploads",
        headers=service.tenant.headers,
        files={"files": ("notes.bin", b"\x00\x01 just bytes", "application/octet-stream")},
    )
    body = assert_problem(response, 400)
    assert [e["file"] for e in body["errors"]] == ["notes.bin"]
    assert all({"file", "code", "message"} <= e.keys() for e in body["errors"])


def test_401_is_a_problem(service: Service) -> None:
    response = service.client.get("/v1/imports")
    assert_problem(response, 401, "unauthorized")
    assert "www-authenticate" in response.headers


def test_403_is_a_problem(service: Service) -> None:
    assert_problem(service.client.get("/v1/api-keys", headers=service.tenant.headers), 403, "forbidden")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/ingest/files/00000000-0000-0000-0000-000000000000",
        "/v1/ingest/files/nope/content",
        "/v1/imports/nope",
        "/v1/batches/nope",
        "/v1/documents/nope",
        "/v1/sets/SET-NOPE",
    ],
)
def test_unknown_id_is_404_problem(service: Service, path: str) -> None:
    assert_problem(service.client.get(path, headers=service.tenant.headers), 404, "not_found")


def test_unknown_route_is_404_problem(service: Service) -> None:
    assert_problem(service.client.get("/v1/nothing-here", headers=service.tenant.headers), 404, "not_found")
    # outside /v1 no credentials are needed to learn that nothing is there
    assert_problem(service.client.get("/nothing-here"), 404, "not_found")


def test_unknown_v1_route_without_credentials_is_401(service: Service) -> None:
    assert_problem(service.client.get("/v1/nothing-here"), 401)


def test_wrong_method_is_405_problem(service: Service) -> None:
    response = service.client.get("/v1/ingest/uploads", headers=service.tenant.headers)
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]
    response = service.client.put("/v1/imports", headers=service.tenant.headers)
    assert_problem(response, 405)


def test_conflict_is_409_problem(service: Service) -> None:
    client, headers = service.client, service.tenant.headers
    assert client.post("/v1/document-types", headers=headers, json={"name": "lease"}).status_code == 201
    assert_problem(client.post("/v1/document-types", headers=headers, json={"name": "lease"}), 409)
    assert_problem(client.post("/v1/document-types", headers=headers, json={"name": "invoice"}), 409)


def test_reprocessing_a_queued_or_rejected_file_is_409(service: Service) -> None:
    client, headers = service.client, service.tenant.headers
    answer = client.post(
        "/v1/ingest/uploads",
        headers=headers,
        files=[
            ("files", ("ok.pdf", make_pdf(), "application/pdf")),
            ("files", ("bad.bin", b"\x00\x01 junk", "application/octet-stream")),
        ],
    ).json()
    rejected = next(f for f in answer["files"] if f["status"] == "rejected")
    assert_problem(client.post(f"/v1/ingest/files/{rejected['id']}/reprocess", headers=headers), 409)


@pytest.mark.parametrize("settings_overrides", [{"max_request_bytes": 4096}])
def test_request_larger_than_the_limit_is_413(service: Service) -> None:
    big = make_pdf(1) + b"%" + b"x" * 8192
    response = service.client.post(
        "/v1/ingest/uploads", headers=service.tenant.headers, files={"files": ("big.pdf", big)}
    )
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize("settings_overrides", [{"max_request_bytes": 4096}])
def test_chunked_request_larger_than_the_limit_is_413(service: Service) -> None:
    """No Content-Length to go by: the cap applies while the body streams in."""
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()

    def chunks() -> Iterator[bytes]:
        yield head + make_pdf(1)
        for _ in range(8):
            yield b"x" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    response = service.client.post(
        "/v1/ingest/uploads",
        headers={**service.tenant.headers, "content-type": f"multipart/form-data; boundary={boundary}"},
        content=chunks(),
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert service.client.get("/v1/imports", headers=service.tenant.headers).json()["items"] == []


@pytest.mark.parametrize("settings_overrides", [{"max_request_bytes": 4096}])
def test_413_with_idempotency_key_is_a_problem_too(service: Service) -> None:
    response = service.client.post(
        "/v1/ingest/uploads",
        headers={**service.tenant.headers, "Idempotency-Key": "big-1"},
        files={"files": ("big.pdf", make_pdf(1) + b"x" * 8192)},
    )
    assert_problem(response, 413)


def test_unexpected_exception_is_a_500_problem_without_details(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret-detail")

    monkeypatch.setattr(Resources, "list_imports", boom)
    client = TestClient(service.client.app, raise_server_exceptions=False)
    response = client.get("/v1/imports", headers={**service.tenant.headers, "X-Request-Id": "trace-500"})
    body = assert_problem(response, 500, "internal_error")
    assert "secret-detail" not in response.text
    assert "RuntimeError" not in response.text
    assert body["requestId"] == "trace-500"
    assert response.headers["x-request-id"] == "trace-500"
    # the service is still fine afterwards
    monkeypatch.undo()
    assert client.get("/v1/imports", headers=service.tenant.headers).status_code == 200


# -- request ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "authenticated"),
    [
        ("GET", "/healthz", False),
        ("GET", "/readyz", False),
        ("GET", "/openapi.json", False),
        ("GET", "/v1/imports", False),
        ("GET", "/v1/imports", True),
        ("GET", "/v1/imports/nope", True),
        ("POST", "/v1/ingest/by-url", True),
        ("DELETE", "/v1/imports", True),
    ],
)
def test_every_response_has_a_request_id(
    service: Service, method: str, path: str, authenticated: bool
) -> None:
    headers = service.tenant.headers if authenticated else {}
    response = service.client.request(method, path, headers=headers)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,100}", response.headers["x-request-id"])


def test_request_ids_are_unique(service: Service) -> None:
    ids = {service.client.get("/healthz").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize(
    ("path", "authenticated"), [("/v1/imports/nope", True), ("/v1/imports", False), ("/healthz", False)]
)
def test_client_request_id_is_echoed(service: Service, path: str, authenticated: bool) -> None:
    headers = {"X-Request-Id": "client-req_42.a", **(service.tenant.headers if authenticated else {})}
    response = service.client.get(path, headers=headers)
    assert response.headers["x-request-id"] == "client-req_42.a"
    if response.status_code >= 400:
        assert response.json()["requestId"] == "client-req_42.a"


@pytest.mark.parametrize("bad", ["has spaces", "x" * 101, "semi;colon", "new\tline"])
def test_invalid_request_id_is_replaced(service: Service, bad: str) -> None:
    response = service.client.get("/v1/imports", headers={"X-Request-Id": bad})
    assert response.status_code == 401
    request_id = response.headers["x-request-id"]
    assert request_id != bad
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,100}", request_id)
    assert response.json()["requestId"] == request_id


# -- probes and OpenAPI ----------------------------------------------------------------------


def test_healthz_needs_no_auth(service: Service) -> None:
    response = service.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_needs_no_auth_and_checks_everything(service: Service) -> None:
    response = service.client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "blobStore": "ok", "queue": "ok"}


def test_readyz_is_503_when_a_dependency_fails(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    def down() -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(service.container.blobs, "check", down)
    response = service.client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["blobStore"] != "ok"
    assert "disk gone" not in response.text


def test_openapi_describes_the_multipart_upload(service: Service) -> None:
    response = service.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    operation = spec["paths"]["/v1/ingest/uploads"]["post"]
    content = operation["requestBody"]["content"]
    assert "multipart/form-data" in content
    files = content["multipart/form-data"]["schema"]["properties"]["files"]
    assert files["type"] == "array"
    assert files["items"]["format"] == "binary"
    for path in ("/v1/ingest/by-url", "/v1/imports/{import_id}", "/v1/batches", "/v1/auth/token"):
        assert path in spec["paths"]
    assert service.client.get("/docs").status_code == 200


# -- the error tree --------------------------------------------------------------------------


def _error_classes() -> list[type[errors.DocintakeError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.DocintakeError) and cls.__module__ == errors.__name__
    ]


EXPECTED_STATUS = {
    "DocintakeError": 500,
    "BadRequest": 400,
    "ValidationFailed": 400,
    "UnsupportedUpload": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "Conflict": 409,
    "PayloadTooLarge": 413,
    "ServiceUnavailable": 503,
}


def test_error_tree_is_known() -> None:
    names = {cls.__name__ for cls in _error_classes()}
    assert set(EXPECTED_STATUS) <= names
    codes = [cls.code for cls in _error_classes()]
    assert len(codes) == len(set(codes)), "every error class has its own code"


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_maps_to_a_problem_with_its_status(cls: type[errors.DocintakeError]) -> None:
    exc = cls(
        "something went wrong",
        errors=[errors.FileProblem("a.pdf", "bad_thing", "it was bad")],
        headers={"X-Extra": "1"},
    )
    response = from_error(exc, "/v1/somewhere")
    assert response.status_code == cls.status
    if cls.__name__ in EXPECTED_STATUS:
        assert cls.status == EXPECTED_STATUS[cls.__name__]
    assert 400 <= cls.status <= 599
    assert response.media_type == PROBLEM
    assert response.headers["x-extra"] == "1"
    body = json.loads(bytes(response.body))
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == cls.status
    assert body["code"] == cls.code
    assert re.fullmatch(r"[a-z][a-z_]*", body["code"])
    assert body["title"] == cls.title
    assert body["detail"] == "something went wrong"
    assert body["type"].endswith(cls.code)
    assert body["instance"] == "/v1/somewhere"
    assert body["errors"] == [{"file": "a.pdf", "code": "bad_thing", "message": "it was bad"}]


def test_error_code_override_is_used() -> None:
    body = json.loads(bytes(from_error(errors.Conflict("busy", code="idempotency_key_reused")).body))
    assert body["code"] == "idempotency_key_reused"
    assert body["status"] == 409


def test_request_id_with_a_trailing_newline_is_replaced(service: Service) -> None:
    """Straight to the ASGI app: HTTP parsers would refuse this header before it reached us."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = asgi_scope("GET", "/healthz", [(b"x-request-id", b"abc\n")])
    anyio.run(service.client.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    request_ids = [v for k, v in start["headers"] if k.lower() == b"x-request-id"]
    assert len(request_ids) == 1
    assert request_ids[0] != b"abc\n"
    assert re.fullmatch(rb"[A-Za-z0-9._-]{1,100}", request_ids[0])


def test_request_id_is_in_the_logs(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="docintake.access"):
        service.client.get("/v1/imports", headers={**service.tenant.headers, "X-Request-Id": "log-me-7"})
    lines = [r for r in caplog.records if r.name == "docintake.access"]
    assert any(
        getattr(r, "request_id", None) == "log-me-7" and "/v1/imports" in r.getMessage() for r in lines
    )


def test_openapi_documents_problem_details_not_422(service: Service) -> None:
    """The schema tells clients what they really get: 400/401 problem details, never FastAPI's 422."""
    schema = service.client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert "422" not in operation["responses"], path
            assert "application/problem+json" in operation["responses"]["400"]["content"], path
