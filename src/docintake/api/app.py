"""The application factory: settings in, a wired FastAPI app out (no globals, so tests build many)."""

from __future__ import annotations

from fastapi import FastAPI

from docintake import __version__
from docintake.api import problems
from docintake.api.middleware import AuthMiddleware, IdempotencyMiddleware, RequestContextMiddleware
from docintake.api.routes import auth, documents, health, imports, ingest
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
    problems.install(app)
    for router in (ingest.router, imports.router, documents.router, auth.router, health.router):
        app.include_router(router)
    # Added innermost first: requests pass RequestContext -> Auth -> Idempotency -> routes.
    app.add_middleware(IdempotencyMiddleware, container=container)
    app.add_middleware(AuthMiddleware, container=container)
    app.add_middleware(RequestContextMiddleware)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for uvicorn's --factory (each API worker process builds its own app)."""
    return create_app(get_settings())
