"""Assertions and requests the API tests share."""

from __future__ import annotations

from typing import Any

from tests.conftest import Service, Tenant

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "requestId"}


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def get(service: Service, path: str, *, tenant: Tenant | None = None, **params: Any) -> dict[str, Any]:
    response = service.client.get(path, params=params, headers=(tenant or service.tenant).headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with this status (and code), carrying the response's request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["requestId"] == response.headers["x-request-id"]
    if code is not None:
        assert body["code"] == code
    return body


def asgi_scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """A bare HTTP scope, for driving the ASGI app by hand (to watch what it reads and sends)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
    }
