"""The application factory: settings in, a wired FastAPI app out (no globals, so tests build many)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from docintake import __version__, metrics
from docintake.api import problems
from docintake.api.middleware import AuthMiddleware, IdempotencyMiddleware, RequestContextMiddleware
from docintake.api.problems import PROBLEM_JSON
from docintake.api.routes import auth, documents, health, imports, ingest, webhooks
from docintake.api.routes import metrics as metrics_route
from docintake.schemas import Problem
from docintake.services.container import Container
from docintake.settings import Settings, get_settings

DESCRIPTION = """Self-hosted document intake and extraction.

Authenticate with `x-api-key: <key>` (server to server) or with an access token from
`POST /v1/auth/token` in `x-access-token` or `Authorization: Bearer`. Errors are RFC 9457 problem
details. POSTs accept an `Idempotency-Key` header."""


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or get_settings()
    container = container or Container.from_settings(settings)
    app = FastAPI(title="docintake", version=__version__, description=DESCRIPTION)
    app.state.container = container
    # Samples this process records (inline tasks, refused intake) join the workers' in the directory.
    metrics.use_directory(settings.resolved_metrics_dir)
    problems.install(app)
    routers = (
        ingest.router,
        imports.router,
        documents.router,
        auth.router,
        health.router,
        metrics_route.router,
        webhooks.router,
    )
    for router in routers:
        app.include_router(router)
    # Added innermost first: requests pass RequestContext -> Auth -> Idempotency -> routes.
    app.add_middleware(IdempotencyMiddleware, container=container)
    app.add_middleware(AuthMiddleware, container=container)
    app.add_middleware(RequestContextMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, told the truth about errors: problem details, and 400 where it says 422."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    reference = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["400"] = {"description": "Invalid request", "content": reference}
            if path.startswith("/v1/") and path != "/v1/auth/token":
                responses["401"] = {"description": "Missing or invalid credentials", "content": reference}
    app.openapi_schema = schema
    return schema


def app_from_environment() -> FastAPI:
    """Entry point for uvicorn's --factory (each API worker process builds its own app)."""
    return create_app(get_settings())
