"""Annotated dependencies: routes ask for what they need and never build it themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from docintake.errors import Forbidden, Unauthorized
from docintake.services.auth import Principal
from docintake.services.container import Container
from docintake.services.intake import IntakeService
from docintake.services.resources import Resources


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise Unauthorized("authentication required")
    return principal


def get_user(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.user_id is None:
        raise Forbidden("this endpoint needs a logged-in user's access token, not an API key")
    return principal


def get_resources(container: Annotated[Container, Depends(get_container)]) -> Resources:
    return Resources(container)


def get_intake(container: Annotated[Container, Depends(get_container)]) -> IntakeService:
    """The intake service, once the queue has room: a full queue refuses the request before its
    body is read, so a big upload is not spooled only to be thrown away."""
    intake = IntakeService(container)
    intake.check_capacity()
    return intake


ContainerDep = Annotated[Container, Depends(get_container)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
UserDep = Annotated[Principal, Depends(get_user)]
ResourcesDep = Annotated[Resources, Depends(get_resources)]
IntakeDep = Annotated[IntakeService, Depends(get_intake)]
LimitQuery = Annotated[int, Query(ge=1, le=200, description="Items per page")]
CursorQuery = Annotated[str | None, Query(description="nextCursor of the previous page")]
