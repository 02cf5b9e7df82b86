"""Access tokens for people, and API key management for logged-in users."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from docintake.api.deps import ContainerDep, UserDep
from docintake.errors import ValidationFailed
from docintake.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, TokenOut, TokenRequest
from docintake.services import auth as auth_service
from docintake.services.container import Container
from docintake.storage.models import ApiKey

router = APIRouter(prefix="/v1", tags=["auth"])


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        prefix=key.prefix,
        name=key.name,
        environment_id=key.environment_id,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


@router.post(
    "/auth/token",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": TokenRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": TokenRequest.model_json_schema()},
            }
        }
    },
)
async def token(request: Request, container: ContainerDep) -> TokenOut:
    """Exchange a username and password (JSON or form) for an expiring access token."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raw: object = dict(await request.form())
    else:
        try:
            raw = await request.json()
        except ValueError:
            raise ValidationFailed('send JSON {"username": ..., "password": ...}') from None
    try:
        body = TokenRequest.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed(f"username and password are required ({exc.error_count()} errors)") from None

    def issue() -> TokenOut:
        ttl = container.settings.token_ttl_seconds
        with container.db.session() as session:
            row, plaintext = auth_service.issue_token(session, body.username, body.password, ttl)
            return TokenOut(access_token=plaintext, expires_at=row.expires_at, expires_in=ttl)

    return await run_in_threadpool(issue)


def _create_key(container: Container, environment_id: str, name: str) -> ApiKeyCreated:
    with container.db.session() as session:
        key, plaintext = auth_service.create_api_key(
            session, environment_id, name, container.settings.api_key_prefix
        )
        return ApiKeyCreated(**_key_out(key).model_dump(), key=plaintext)


@router.post("/api-keys", status_code=201)
async def create_api_key(body: ApiKeyCreate, user: UserDep, container: ContainerDep) -> ApiKeyCreated:
    """A new server-to-server key for the user's environment; the key is shown this once."""
    return await run_in_threadpool(_create_key, container, user.environment_id, body.name)


@router.get("/api-keys")
async def list_api_keys(user: UserDep, container: ContainerDep) -> list[ApiKeyOut]:
    def run() -> list[ApiKeyOut]:
        with container.db.session() as session:
            return [_key_out(k) for k in auth_service.list_api_keys(session, user.environment_id)]

    return await run_in_threadpool(run)


@router.delete("/api-keys/{prefix}", status_code=204)
async def revoke_api_key(prefix: str, user: UserDep, container: ContainerDep) -> Response:
    def run() -> None:
        with container.db.session() as session:
            auth_service.revoke_api_key(session, prefix, user.environment_id)

    await run_in_threadpool(run)
    return Response(status_code=204)
