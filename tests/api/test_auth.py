"""Authentication: API keys, users and access tokens, /v1/api-keys, and auth-before-body."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import anyio
import pytest
from sqlalchemy import select

from docintake.clock import utcnow
from docintake.services.auth import create_user, revoke_api_key
from docintake.storage.models import AccessToken, ApiKey, User
from tests.conftest import Service, make_pdf
from tests.helpers import PROBLEM, asgi_scope

PASSWORD = "correct horse battery"


def add_user(service: Service, username: str = "alice", password: str = PASSWORD) -> None:
    with service.container.db.session() as session:
        create_user(session, service.tenant.environment_id, username, password)


def login(service: Service, username: str = "alice", password: str = PASSWORD) -> str:
    response = service.client.post("/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["accessToken"]
    assert isinstance(token, str)
    return token


@pytest.fixture
def user_headers(service: Service) -> dict[str, str]:
    add_user(service)
    return {"x-access-token": login(service)}


def assert_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "unauthorized"
    # RFC 9110: every 401 names the authentication scheme
    assert response.headers["www-authenticate"].lower().startswith("bearer")


# -- API keys --------------------------------------------------------------------------------


def test_missing_credentials_is_401_problem_with_www_authenticate(service: Service) -> None:
    response = service.client.get("/v1/imports")
    assert_401(response)
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    assert response.headers["x-request-id"]


def test_valid_key_is_accepted(service: Service) -> None:
    assert service.client.get("/v1/imports", headers=service.tenant.headers).status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "nonsense",
        "dik_00000000_" + "0" * 64,
        "",
    ],
)
def test_wrong_key_is_401(service: Service, key: str) -> None:
    assert_401(service.client.get("/v1/imports", headers={"x-api-key": key}))


def test_right_prefix_wrong_secret_is_401(service: Service) -> None:
    prefix = service.tenant.key.rsplit("_", 1)[0]
    assert_401(service.client.get("/v1/imports", headers={"x-api-key": f"{prefix}_{'f' * 64}"}))


def test_key_revoked_through_service_is_401(service: Service) -> None:
    prefix = service.tenant.key.rsplit("_", 1)[0]
    with service.container.db.session() as session:
        revoke_api_key(session, prefix)
    assert_401(service.client.get("/v1/imports", headers=service.tenant.headers))


def test_keys_are_stored_as_sha256_not_plaintext(service: Service) -> None:
    with service.container.db.session() as session:
        rows = session.scalars(select(ApiKey)).all()
        assert len(rows) == 1
        row = rows[0]
        assert row.key_hash == hashlib.sha256(service.tenant.key.encode()).hexdigest()
        assert re.fullmatch(r"[0-9a-f]{64}", row.key_hash)
        secret = service.tenant.key.rsplit("_", 1)[1]
        stored = [row.key_hash, row.prefix, row.name]
        assert all(secret not in value for value in stored)


# -- users and tokens ------------------------------------------------------------------------


def test_password_is_stored_as_argon2id(service: Service) -> None:
    add_user(service)
    with service.container.db.session() as session:
        user = session.scalars(select(User).where(User.username == "alice")).one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_token_from_json_body(service: Service) -> None:
    add_user(service)
    before = utcnow()
    response = service.client.post("/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accessToken"]
    assert body["expiresIn"] == service.settings.token_ttl_seconds
    assert body["expiresAt"].endswith("Z") or body["expiresAt"].endswith("+00:00")
    from datetime import datetime

    expires = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    expected = before + timedelta(seconds=service.settings.token_ttl_seconds)
    assert abs((expires - expected).total_seconds()) < 30
    # only a hash of the token is stored
    with service.container.db.session() as session:
        row = session.scalars(select(AccessToken)).one()
        assert row.token_hash == hashlib.sha256(body["accessToken"].encode()).hexdigest()


def test_token_from_form_body(service: Service) -> None:
    add_user(service)
    response = service.client.post("/v1/auth/token", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"accessToken", "expiresAt", "expiresIn"} <= body.keys()
    headers = {"Authorization": f"Bearer {body['accessToken']}"}
    assert service.client.get("/v1/imports", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD), ("alice", "")]
)
def test_wrong_credentials_are_401(service: Service, username: str, password: str) -> None:
    add_user(service)
    response = service.client.post("/v1/auth/token", json={"username": username, "password": password})
    assert_401(response)


def test_token_request_without_password_is_400(service: Service) -> None:
    response = service.client.post("/v1/auth/token", json={"username": "alice"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


def test_token_works_in_both_headers_and_sees_the_users_environment(service: Service) -> None:
    upload = service.client.post(
        "/v1/ingest/uploads",
        headers=service.tenant.headers,
        files={"files": ("a.pdf", make_pdf(), "application/pdf")},
    )
    assert upload.status_code == 201
    add_user(service)
    token = login(service)
    for headers in (
        {"x-access-token": token},
        {"Authorization": f"Bearer {token}"},
        {"authorization": f"bearer {token}"},
    ):
        response = service.client.get("/v1/imports", headers=headers)
        assert response.status_code == 200, (headers, response.text)
        assert [i["id"] for i in response.json()["items"]] == [upload.json()["importId"]]


def test_bad_token_is_401(service: Service) -> None:
    assert_401(service.client.get("/v1/imports", headers={"x-access-token": "dit_not-a-token"}))
    assert_401(service.client.get("/v1/imports", headers={"Authorization": "Bearer dit_nope"}))


def test_basic_authorization_is_not_a_credential(service: Service) -> None:
    assert_401(service.client.get("/v1/imports", headers={"Authorization": "Basic YWxpY2U6cHc="}))


def test_expired_token_is_401(service: Service) -> None:
    add_user(service)
    token = login(service)
    assert service.client.get("/v1/imports", headers={"x-access-token": token}).status_code == 200
    with service.container.db.session() as session:
        row = session.scalars(select(AccessToken)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert_401(service.client.get("/v1/imports", headers={"x-access-token": token}))
    assert_401(service.client.get("/v1/imports", headers={"Authorization": f"Bearer {token}"}))


@pytest.mark.parametrize("settings_overrides", [{"token_ttl_seconds": -1}])
def test_token_with_elapsed_ttl_is_401(service: Service) -> None:
    add_user(service)
    token = login(service)
    assert_401(service.client.get("/v1/imports", headers={"x-access-token": token}))


# -- /v1/api-keys ----------------------------------------------------------------------------


def test_api_key_lifecycle_for_a_user(service: Service, user_headers: dict[str, str]) -> None:
    client = service.client
    created = client.post("/v1/api-keys", headers=user_headers, json={"name": "erp"})
    assert created.status_code == 201, created.text
    body = created.json()
    key, prefix = body["key"], body["prefix"]
    assert re.fullmatch(r"dik_[0-9a-f]{8}_[0-9a-f]{64}", key)
    assert key.startswith(prefix + "_")
    assert body["name"] == "erp"
    assert body["environmentId"] == service.tenant.environment_id

    # the new key works, in the user's environment
    assert client.get("/v1/imports", headers={"x-api-key": key}).status_code == 200

    listed = client.get("/v1/api-keys", headers=user_headers)
    assert listed.status_code == 200
    items = {item["prefix"]: item for item in listed.json()}
    assert prefix in items
    assert items[prefix]["name"] == "erp"
    assert "lastUsedAt" in items[prefix]
    assert items[prefix]["revokedAt"] is None
    secret = key.rsplit("_", 1)[1]
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    assert secret not in listed.text
    assert key_hash not in listed.text
    assert all("key" not in item and "keyHash" not in item for item in listed.json())

    revoked = client.delete(f"/v1/api-keys/{prefix}", headers=user_headers)
    assert revoked.status_code == 204
    assert_401(client.get("/v1/imports", headers={"x-api-key": key}))
    after = {item["prefix"]: item for item in client.get("/v1/api-keys", headers=user_headers).json()}
    assert after[prefix]["revokedAt"] is not None


def test_user_revokes_the_fixture_key(service: Service, user_headers: dict[str, str]) -> None:
    prefix = service.tenant.key.rsplit("_", 1)[0]
    assert service.client.delete(f"/v1/api-keys/{prefix}", headers=user_headers).status_code == 204
    assert_401(service.client.get("/v1/imports", headers=service.tenant.headers))


def test_revoking_unknown_or_foreign_prefix_is_404(service: Service, user_headers: dict[str, str]) -> None:
    other = service.new_tenant("other", "production")
    other_prefix = other.key.rsplit("_", 1)[0]
    for prefix in ("dik_00000000", other_prefix):
        response = service.client.delete(f"/v1/api-keys/{prefix}", headers=user_headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
    # the other tenant's key still works
    assert service.client.get("/v1/imports", headers=other.headers).status_code == 200


def test_user_lists_only_their_environments_keys(service: Service, user_headers: dict[str, str]) -> None:
    other = service.new_tenant("other", "production")
    listed = service.client.get("/v1/api-keys", headers=user_headers).json()
    prefixes = {item["prefix"] for item in listed}
    assert service.tenant.key.rsplit("_", 1)[0] in prefixes
    assert other.key.rsplit("_", 1)[0] not in prefixes


def test_api_key_callers_get_403_on_api_keys(service: Service) -> None:
    client, headers = service.client, service.tenant.headers
    prefix = service.tenant.key.rsplit("_", 1)[0]
    for response in (
        client.get("/v1/api-keys", headers=headers),
        client.post("/v1/api-keys", headers=headers, json={"name": "x"}),
        client.delete(f"/v1/api-keys/{prefix}", headers=headers),
    ):
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "forbidden"
    # the 403'd DELETE did not revoke anything
    assert client.get("/v1/imports", headers=headers).status_code == 200


def test_api_keys_need_credentials(service: Service) -> None:
    assert_401(service.client.get("/v1/api-keys"))


def test_last_used_at_updates_after_use(service: Service, user_headers: dict[str, str]) -> None:
    client = service.client
    prefix = service.tenant.key.rsplit("_", 1)[0]

    def last_used() -> str | None:
        items = {i["prefix"]: i for i in client.get("/v1/api-keys", headers=user_headers).json()}
        value = items[prefix]["lastUsedAt"]
        assert value is None or isinstance(value, str)
        return value

    assert last_used() is None
    assert client.get("/v1/imports", headers=service.tenant.headers).status_code == 200
    first = last_used()
    assert first is not None
    # resolution is coarse (writes are throttled); move it back and it is refreshed on the next use
    with service.container.db.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        row.last_used_at = utcnow() - timedelta(hours=1)
    stale = last_used()
    assert client.get("/v1/imports", headers=service.tenant.headers).status_code == 200
    fresh = last_used()
    assert fresh is not None and stale is not None and fresh > stale


# -- credentials before the body -------------------------------------------------------------


def _call_asgi(
    app: Any,
    headers: list[tuple[bytes, bytes]],
    path: str = "/v1/ingest/uploads",
    content_type: bytes = b"multipart/form-data; boundary=xyz",
) -> Any:
    receive_calls = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal receive_calls
        receive_calls += 1
        await anyio.sleep(0)
        # the start of a huge body, one chunk at a time: it must never be asked for (and, should
        # the app ask anyway, it ends early so a failing test fails instead of eating memory)
        return {"type": "http.request", "body": b"x" * 1024 * 1024, "more_body": receive_calls < 4}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = asgi_scope(
        "POST",
        path,
        [(b"content-type", content_type), (b"content-length", str(200 * 1024 * 1024).encode()), *headers],
    )
    scope["state"] = {}

    async def run() -> None:
        with anyio.fail_after(10):
            await app(scope, receive, send)

    anyio.run(run)
    return receive_calls, sent


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"x-api-key", b"dik_00000000_" + b"0" * 64)],
        [(b"authorization", b"Bearer nope")],
        [(b"idempotency-key", b"k1")],
    ],
)
def test_credentials_are_checked_before_the_body_is_read(
    service: Service, headers: list[tuple[bytes, bytes]]
) -> None:
    receive_calls, sent = _call_asgi(service.client.app, headers)
    assert receive_calls == 0
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 401
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    assert response_headers["content-type"] == PROBLEM
    assert response_headers["x-request-id"]


def test_anonymous_token_request_is_size_capped_before_reading(service: Service) -> None:
    """The one endpoint without credentials must not read an unbounded body either."""
    receive_calls, sent = _call_asgi(
        service.client.app, [], path="/v1/auth/token", content_type=b"application/json"
    )
    assert receive_calls == 0
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413


@pytest.mark.parametrize("form", [False, True])
def test_anonymous_oversized_streamed_token_request_is_413(service: Service, form: bool) -> None:
    add_user(service)
    pad = "x" * (200 * 1024)
    if form:
        body = f"username=alice&password={PASSWORD}&pad={pad}".encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        body = f'{{"username": "alice", "password": "{PASSWORD}", "pad": "{pad}"}}'.encode()
        content_type = "application/json"
    response = service.client.post(
        "/v1/auth/token",
        headers={"content-type": content_type},
        content=iter([body[i : i + 8192] for i in range(0, len(body), 8192)]),
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "accessToken" not in response.text
