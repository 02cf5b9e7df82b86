"""What docintake measures, and the few calls that record it.

Two kinds of numbers reach ``GET /metrics``:

- counted where the work happens (stage durations, busy time, refused intake): the pipeline runs in
  worker processes, not in the API, so these go through prometheus_client's multiprocess files in
  ``DOCINTAKE_METRICS_DIR`` (``shared``), which the API merges at scrape time;
- read at scrape time from the shared state (``scrape``): files by status from the database and the
  queue's depth, so they are the same whichever API process or machine answers.

Recording never fails the work it measures: a full disk or a removed metrics directory costs a
sample, not a file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from prometheus_client import Counter, Histogram

from docintake.metrics import shared

log = logging.getLogger(__name__)

shared.install()  # before the metrics below make their first values

# OCR of a scan takes seconds to minutes, a text layer milliseconds: buckets span both.
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300)

STAGE_SECONDS = Histogram(
    "docintake_stage_duration_seconds",
    "Time one pipeline stage took on one file, by stage and processing mode.",
    ["stage", "mode"],
    buckets=STAGE_BUCKETS,
    registry=None,
)
BUSY_SECONDS = Counter(
    "docintake_worker_busy_seconds",
    "Seconds worker processes spent running the pipeline on files, by processing mode.",
    ["mode"],
    registry=None,
)
INTAKE_REFUSED = Counter(
    "docintake_intake_refused",
    "Intake requests answered 503 instead of accepting work, by reason.",
    ["reason"],
    registry=None,
)


def start_process(directory: Path, *, clean: bool = True) -> None:
    """Called when `docintake serve` or `docintake worker` starts: drop the files of processes that
    ended, then record into the directory (forked worker processes inherit the choice)."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if clean:
        shared.remove_dead_files(directory)
    shared.use_directory(directory)


def use_directory(directory: Path) -> None:
    shared.use_directory(directory)


def observe_stage(stage: str, mode: str, seconds: float) -> None:
    try:
        STAGE_SECONDS.labels(stage, mode).observe(seconds)
    except (OSError, ValueError) as exc:
        log.warning("could not record a stage duration: %s", exc)


def add_busy_time(mode: str, seconds: float) -> None:
    try:
        BUSY_SECONDS.labels(mode).inc(seconds)
    except (OSError, ValueError) as exc:
        log.warning("could not record worker busy time: %s", exc)


def count_refusal(reason: str) -> None:
    try:
        INTAKE_REFUSED.labels(reason).inc()
    except (OSError, ValueError) as exc:
        log.warning("could not count a refused request: %s", exc)
