"""The Prometheus scrape target (no authentication, like the probes: counts and timings only)."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.responses import Response

from docintake.api.deps import ContainerDep
from docintake.metrics import scrape

router = APIRouter(tags=["health"])
# The classic text format, which every Prometheus reads; our names need none of 1.0.0's escaping.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition format", "content": {CONTENT_TYPE: {}}}},
)
def metrics(container: ContainerDep) -> Response:
    """Files by status, queue depth, stage durations, worker busy time; a plain function, so the
    database count and the file reads run in the thread pool, not on the event loop."""
    return Response(scrape.render(container), media_type=CONTENT_TYPE)
