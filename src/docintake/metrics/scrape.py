"""One scrape of ``GET /metrics``: what the shared state says now, plus the machine's sample files.

Counts of files come from the database and the queue's depth from the queue, at scrape time, so
every API process on every machine reports the same global numbers (each scrape costs one grouped
count over the files' (environment, status) index). A source that does not answer is reported as
``docintake_metrics_source_up{source=...} 0`` rather than failing the whole scrape.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from docintake.domain import FileStatus
from docintake.metrics import shared
from docintake.services.container import Container
from docintake.storage.models import File

log = logging.getLogger(__name__)


def file_counts(container: Container) -> dict[str, dict[str, int]]:
    """environment id -> status -> number of files."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    with container.db.session() as session:
        rows = session.execute(
            select(File.environment_id, File.status, func.count()).group_by(File.environment_id, File.status)
        )
        for environment_id, status, number in rows:
            counts[environment_id][status] = int(number)
    return counts


class StateCollector:
    """Gauges computed from the database and the queue at each scrape."""

    def __init__(self, container: Container) -> None:
        self.c = container

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "docintake_metrics_source_up",
            "Whether a source of these metrics answered this scrape (1) or not (0).",
            labels=["source"],
        )
        try:
            counts = file_counts(self.c)
        except Exception as exc:  # a scrape must still show the rest (and this) when the database is down
            log.warning("metrics: the database did not answer: %s", type(exc).__name__)
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            yield from _file_metrics(counts)
        try:
            depth = self.c.queue.depth()
        except Exception as exc:
            log.warning("metrics: the queue did not answer: %s", type(exc).__name__)
            up.add_metric(["queue"], 0)
        else:
            up.add_metric(["queue"], 1)
            yield GaugeMetricFamily("docintake_queue_depth", "Tasks waiting in the queue.", value=depth)
        yield GaugeMetricFamily(
            "docintake_queue_max_depth",
            "Queue depth above which intake answers 503 (DOCINTAKE_MAX_QUEUE_DEPTH; 0 means no limit).",
            value=self.c.settings.max_queue_depth,
        )
        yield up


def _file_metrics(counts: dict[str, dict[str, int]]) -> Iterable[Metric]:
    files = GaugeMetricFamily(
        "docintake_files",
        "Files by status and environment, counted in the database (all machines).",
        labels=["environment", "status"],
    )
    processing = GaugeMetricFamily(
        "docintake_processing_files",
        "Files being processed right now, per environment: the environment's concurrency.",
        labels=["environment"],
    )
    for environment_id in sorted(counts):
        by_status = counts[environment_id]
        for status in FileStatus:
            files.add_metric([environment_id, status.value], by_status.get(status.value, 0))
        processing.add_metric([environment_id], by_status.get(FileStatus.processing.value, 0))
    yield files
    yield processing


class SharedFilesCollector:
    """The samples that this machine's API and worker processes wrote to the metrics directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterable[Metric]:
        for attempt in (1, 2):
            try:
                files = shared.sample_files(self.directory)
                return list(MultiProcessCollector.merge(files))  # type: ignore[no-untyped-call]
            except (OSError, RuntimeError) as exc:  # a file removed or still being written mid-read
                if attempt == 2:
                    log.warning("metrics: could not read the sample files: %s", exc)
        return []


def render(container: Container) -> bytes:
    """The Prometheus text exposition of everything above."""
    registry = CollectorRegistry()
    registry.register(StateCollector(container))
    registry.register(SharedFilesCollector(container.settings.resolved_metrics_dir.resolve()))
    return generate_latest(registry)
