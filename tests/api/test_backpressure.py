"""Backpressure: while more tasks wait than DOCINTAKE_MAX_QUEUE_DEPTH, every intake door answers 503
with Retry-After and stores nothing; 0 means no limit.

These services run a real SQLite queue that nothing consumes, so every accepted file stays queued
and the queue grows with each upload, as it does when workers fall behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from docintake.api.app import create_app
from docintake.services.container import Container
from docintake.storage.migrate import upgrade
from docintake.tasks import HueyQueue
from tests.api.test_intake import upload
from tests.api.test_metrics import scrape, total
from tests.conftest import Service, Tenant, build_settings, make_pdf, make_png
from tests.helpers import assert_problem, created, get


@contextmanager
def backlogged_service(tmp_path: Path, max_queue_depth: int) -> Iterator[Service]:
    settings = build_settings(tmp_path, max_queue_depth=max_queue_depth)
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    container = Container.from_settings(settings, queue=HueyQueue(settings))  # queued, never run
    with TestClient(create_app(settings, container)) as client:
        service = Service(client, container, settings, Tenant("", ""))
        service.tenant = service.new_tenant("acme", "production")
        yield service
    container.close()


def blobs(service: Service) -> list[Path]:
    return [path for path in (service.settings.data_dir / "blobs").rglob("*") if path.is_file()]


def pdf(n: int) -> tuple[str, bytes, str]:
    return (f"doc-{n}.pdf", make_pdf(seed=n), "application/pdf")


def test_intake_answers_503_while_the_queue_is_over_its_limit(tmp_path: Path) -> None:
    with backlogged_service(tmp_path, max_queue_depth=2) as service:
        # Depth 0, 1 and 2 are not over the limit of 2: all three are accepted (depth is then 3).
        for n in range(3):
            created(upload(service, [pdf(n)]))
        stored = blobs(service)
        assert len(stored) == 3

        refused = upload(service, [pdf(3), ("scan.png", make_png(), "image/png")])

        body = assert_problem(refused, 503, "queue_full")
        assert int(refused.headers["retry-after"]) > 0
        assert "queue" in body["detail"] and "3" in body["detail"] and "2" in body["detail"]
        assert blobs(service) == stored  # nothing of the refused request was kept
        assert len(get(service, "/v1/imports")["items"]) == 3
        samples = scrape(service.client)
        assert total(samples, "docintake_queue_depth") == 3
        assert total(samples, "docintake_intake_refused_total", reason="queue_full") == 1


def test_every_intake_door_is_refused_when_the_queue_is_full(tmp_path: Path) -> None:
    with backlogged_service(tmp_path, max_queue_depth=1) as service:
        created(upload(service, [pdf(0), pdf(1)]))  # one request, two tasks: depth 2 > 1
        headers = service.tenant.headers
        answers = [
            upload(service, [pdf(2)], path="/v1/ingest/document", field="file"),
            upload(service, [pdf(3)], path="/v1/batches", field="file"),
            service.client.post(
                "/v1/ingest/by-url", json={"urls": ["https://example.org/a.pdf"]}, headers=headers
            ),
            service.client.post(
                "/v1/ingest/document/by-url", json={"url": "https://example.org/b.pdf"}, headers=headers
            ),
        ]
        for answer in answers:
            assert_problem(answer, 503, "queue_full")
            assert answer.headers["retry-after"].isdigit()
        # Reading is never refused: the backlog stays visible.
        assert len(get(service, "/v1/imports")["items"]) == 1
        assert len(blobs(service)) == 2


def test_a_refused_request_with_an_idempotency_key_can_be_retried(tmp_path: Path) -> None:
    """A 503 is not remembered as the answer to its Idempotency-Key, so the client's retry is
    judged afresh (and refused again while the queue is still full)."""
    with backlogged_service(tmp_path, max_queue_depth=1) as service:
        created(upload(service, [pdf(0), pdf(1)]))
        headers = {**service.tenant.headers, "Idempotency-Key": "retry-me"}
        body = {"urls": ["https://example.org/c.pdf"]}
        for _ in range(2):
            answer = service.client.post("/v1/ingest/by-url", json=body, headers=headers)
            assert_problem(answer, 503, "queue_full")
            assert "idempotent-replayed" not in answer.headers


def test_zero_means_no_limit(tmp_path: Path) -> None:
    with backlogged_service(tmp_path, max_queue_depth=0) as service:
        for n in range(4):
            created(upload(service, [pdf(2 * n), pdf(2 * n + 1)]))
        samples = scrape(service.client)
        assert total(samples, "docintake_queue_depth") == 8
        assert total(samples, "docintake_queue_max_depth") == 0
