"""GET /metrics: Prometheus text, no credentials, counts from the database and the queue, and the
timings recorded by whichever process ran the pipeline (inline here; a worker process live)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_intake import upload
from tests.conftest import Service, make_pdf
from tests.helpers import created
from tests.integration.live import live_server, wait_for_import

Samples = list[tuple[str, dict[str, str], float]]


def parse(text: str) -> Samples:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def scrape(client: Any) -> Samples:
    response = client.get("/metrics")  # no credentials: a scraper has none
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels`` (None when there is none)."""
    found = [value for n, have, value in samples if n == name and labels.items() <= have.items()]
    assert found, f"no sample {name}{labels}"
    return sum(found)


def test_metrics_after_processing_an_upload(service: Service) -> None:
    other = service.new_tenant("globex", "staging")
    created(upload(service, [("a.pdf", make_pdf(seed=1), "application/pdf")]))
    created(upload(service, [("b.pdf", make_pdf(seed=2), "application/pdf")]))
    created(upload(service, [("c.pdf", make_pdf(seed=3), "application/pdf")], tenant=other))

    samples = scrape(service.client)

    mine, theirs = service.tenant.environment_id, other.environment_id
    assert total(samples, "docintake_files", status="processed", environment=mine) == 2
    assert total(samples, "docintake_files", status="processed", environment=theirs) == 1
    assert total(samples, "docintake_files", status="failed", environment=mine) == 0
    assert total(samples, "docintake_processing_files", environment=mine) == 0
    assert total(samples, "docintake_queue_depth") == 0  # tasks ran inline
    assert total(samples, "docintake_queue_max_depth") == service.settings.max_queue_depth
    assert total(samples, "docintake_metrics_source_up", source="database") == 1
    assert total(samples, "docintake_metrics_source_up", source="queue") == 1
    for stage in ("pages", "text", "split", "extract"):
        assert total(samples, "docintake_stage_duration_seconds_count", stage=stage, mode="speed") == 3
    text_seconds = total(samples, "docintake_stage_duration_seconds_sum", stage="text")
    assert text_seconds > 0
    assert total(samples, "docintake_stage_duration_seconds_bucket", stage="text", le="+Inf") == 3
    assert total(samples, "docintake_worker_busy_seconds_total", mode="speed") >= text_seconds


def test_metrics_count_each_file_once_per_status(service: Service) -> None:
    created(upload(service, [("one.pdf", make_pdf(), "application/pdf")]))
    first = total(scrape(service.client), "docintake_files", status="processed")
    created(upload(service, [("two.pdf", make_pdf(), "application/pdf")]))
    samples = scrape(service.client)
    assert total(samples, "docintake_files", status="processed") == first + 1
    assert total(samples, "docintake_files", status="queued") == 0


def _dead_process_file(directory: Path, seconds: float) -> Path:
    """A sample file as a worker process that has since died would have left it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "counter_gone-host-4242.db"
    samples = MmapedDict(str(path))
    key = mmap_key(
        "docintake_worker_busy_seconds",
        "docintake_worker_busy_seconds_total",
        ["mode"],
        ["speed"],
        "Seconds worker processes spent running the pipeline on files, by processing mode.",
    )
    samples.write_value(key, seconds, 0.0)
    samples.close()
    return path


@pytest.mark.slow
def test_live_service_shows_its_worker_process_metrics(tmp_path: Path) -> None:
    """`docintake serve` with its embedded worker: the pipeline runs in another process, and its
    timings still reach the API's /metrics; samples of processes that died before are dropped."""
    data_dir = tmp_path / "data"
    stale = _dead_process_file(data_dir / "metrics", 1e6)
    with live_server(data_dir) as server, server.client() as client:
        answer = client.post(
            "/v1/ingest/uploads", files=[("files", ("live.pdf", make_pdf(), "application/pdf"))]
        )
        assert answer.status_code == 201, answer.text
        assert wait_for_import(client, answer.json()["importId"])["status"] == "completed"
        with httpx.Client(base_url=server.base_url, trust_env=False) as anonymous:
            samples = scrape(anonymous)
        assert not stale.exists()
        assert total(samples, "docintake_files", status="processed") == 1
        assert total(samples, "docintake_stage_duration_seconds_count", stage="text") == 1
        busy = total(samples, "docintake_worker_busy_seconds_total")
        assert 0 < busy < 1e6, server.logs()
        assert total(samples, "docintake_queue_depth") == 0
