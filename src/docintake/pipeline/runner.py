"""The pipeline runner: runs small stages in order and owns failure handling.

A stage is a callable that reads and extends a ``PipelineContext``. When a stage raises, the runner
records a categorised ``StageError`` and decides: a *required* stage (one later stages cannot do
without, like reading the pages) ends the run as failed; an optional one is skipped so the
document keeps what earlier stages produced (a partial result beats no result).

Every stage's duration and the whole run's time are also recorded as metrics, here, because this is
the process that does the work (a worker process; the API only reads them back).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from huey.exceptions import TaskTimeout

from docintake import metrics
from docintake.errors import DocintakeError
from docintake.pipeline.model import PageText

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageError:
    stage: str
    code: str
    message: str


@dataclass
class DocumentPart:
    """A page range of the file that holds one logical document, and what was found in it."""

    page_start: int
    page_end: int
    type: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class PipelineContext:
    path: Path
    media_type: str
    filename: str
    password: str | None = None
    type_hint: str | None = None
    processing_pref: str = "speed"
    page_count: int = 0
    page_sizes: list[tuple[float, float]] = field(default_factory=list)
    pages: list[PageText] = field(default_factory=list)
    documents: list[DocumentPart] = field(default_factory=list)
    errors: list[StageError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class Stage(Protocol):
    """A pipeline step. It SHALL read and extend the context and raise a ``DocintakeError`` (with a
    code a user can act on) when it cannot do its work; ``required`` stages stop the run on failure."""

    name: str
    required: bool

    def __call__(self, ctx: PipelineContext) -> None: ...


@dataclass
class PipelineOutcome:
    page_count: int
    documents: list[DocumentPart]
    errors: list[StageError]
    timings: dict[str, float]
    fatal: StageError | None
    pages: list[PageText] = field(default_factory=list)


def run_pipeline(stages: Sequence[Stage], ctx: PipelineContext) -> PipelineOutcome:
    run_started = time.perf_counter()
    try:
        fatal = _run_stages(stages, ctx)
    finally:
        metrics.add_busy_time(ctx.processing_pref, time.perf_counter() - run_started)
    return PipelineOutcome(ctx.page_count, ctx.documents, ctx.errors, ctx.timings, fatal, ctx.pages)


def _run_stages(stages: Sequence[Stage], ctx: PipelineContext) -> StageError | None:
    """Run the stages in order; the first failed required stage ends the run and is returned."""
    for stage in stages:
        started = time.perf_counter()
        try:
            stage(ctx)
        except (MemoryError, TaskTimeout):
            raise  # the worker's limits end the whole run; the task records them (tasks.py)
        except DocintakeError as exc:
            error = StageError(stage.name, exc.code, exc.message)
            ctx.errors.append(error)
            if stage.required:
                return error
        except Exception as exc:  # a bug or a library choking on hostile input: record, never crash
            log.exception("stage %s failed on %s", stage.name, ctx.filename)
            error = StageError(stage.name, "internal_error", f"{type(exc).__name__}: {exc}")
            ctx.errors.append(error)
            if stage.required:
                return error
        finally:
            elapsed = time.perf_counter() - started
            ctx.timings[stage.name] = round(elapsed * 1000, 2)
            metrics.observe_stage(stage.name, ctx.processing_pref, elapsed)
    return None
