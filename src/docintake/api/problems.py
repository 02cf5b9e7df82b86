"""The one mapping from errors to RFC 9457 problem details (``application/problem+json``).

Route handlers, dependencies and the raw ASGI middlewares all answer errors through
``problem_response``, so a client sees one shape whatever failed and wherever.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from docintake.errors import DocintakeError
from docintake.logs import request_id_var
from docintake.schemas import Problem, ProblemItem

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    500: "Internal error",
    503: "Service unavailable",
}


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[ProblemItem] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    return Problem(
        type=f"/problems/{code}",
        title=title or _TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        code=code,
        request_id=request_id_var.get(),
        instance=instance,
        errors=errors or [],
    ).model_dump(mode="json", by_alias=True, exclude_none=True)


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[ProblemItem] | None = None,
    headers: Mapping[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body = problem_body(status, code, detail, title=title, errors=errors, instance=instance)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_error(exc: DocintakeError, instance: str | None = None) -> JSONResponse:
    errors = [ProblemItem(file=e.file, code=e.code, message=e.message) for e in exc.errors]
    headers = exc.headers
    if exc.status == 401:  # every 401 names the scheme to use (RFC 9110, section 15.5.2)
        headers = {"WWW-Authenticate": 'Bearer realm="docintake"', **headers}
    return problem_response(
        exc.status,
        exc.code,
        exc.message,
        title=exc.title,
        errors=errors,
        headers=headers,
        instance=instance,
    )


async def _docintake_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DocintakeError)
    if exc.status >= 500:
        log.error("request failed: %s", exc.message)
    return from_error(exc, request.url.path)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    messages = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
        messages.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return problem_response(
        400,
        "validation_error",
        "; ".join(messages) or "invalid request",
        title="Invalid request",
        instance=request.url.path,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        exc.status_code, "http_error"
    )
    return problem_response(
        exc.status_code, code, str(exc.detail), headers=exc.headers, instance=request.url.path
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "internal_error",
        "an unexpected error occurred; the request id helps us find it",
        instance=request.url.path,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DocintakeError, _docintake_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
