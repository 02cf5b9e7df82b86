"""Background work: the TaskQueue contract and its Huey implementation.

The queue is picked by the scheme of ``DOCINTAKE_QUEUE_URL`` through ``QUEUE_BACKENDS`` (SQLite by
default; the scale-out work adds Redis). Tasks carry ids only, never bytes: the database is the
source of truth and a task that runs twice finds the file already final and does nothing.
"""

from __future__ import annotations

import logging
import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from huey import Huey, SqliteHuey, crontab
from huey.exceptions import TaskTimeout

from docintake.errors import DocintakeError, ServiceUnavailable
from docintake.settings import Settings

if TYPE_CHECKING:
    from docintake.services.container import Container

log = logging.getLogger(__name__)
PRIORITY_HIGH = 10
PRIORITY_NORMAL = 0


class TaskQueue(Protocol):
    """Contract of the background queue.

    - ``enqueue_file`` SHALL durably queue the processing of one file id before returning (raising
      ``ServiceUnavailable`` when it cannot), high-priority work first; it may run more than once.
    - ``bind`` gives the queue the container its tasks run with in this process (inline mode);
      worker processes build their own.
    - ``run_consumer`` blocks, executing tasks with ``workers`` processes, until stopped.
    - ``check`` raises when the queue's storage is unreachable; ``depth`` counts waiting tasks.
    """

    def bind(self, container: Container) -> None: ...

    def enqueue_file(self, file_id: str, *, priority: bool = False) -> None: ...

    def run_consumer(self, workers: int) -> None: ...

    def check(self) -> None: ...

    def depth(self) -> int: ...


def _sqlite_huey(url: str, immediate: bool) -> Huey:
    path = Path(urlparse(url).path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name="docintake", filename=str(path), immediate=immediate, results=False, utc=True)


# Scheme of DOCINTAKE_QUEUE_URL -> Huey factory(url, immediate).
QUEUE_BACKENDS: dict[str, Callable[[str, bool], Huey]] = {"sqlite": _sqlite_huey}


class HueyQueue:
    """TaskQueue on Huey. ``immediate=True`` runs tasks inline (tests, `extract`)."""

    def __init__(self, settings: Settings, *, immediate: bool = False) -> None:
        scheme = urlparse(settings.resolved_queue_url).scheme
        try:
            factory = QUEUE_BACKENDS[scheme]
        except KeyError:
            raise DocintakeError(f"unsupported queue URL scheme {scheme!r}") from None
        self.settings = settings
        self.huey = factory(settings.resolved_queue_url, immediate)
        self._container: Container | None = None
        self._container_pid = 0
        self._process = self.huey.task(name="process_file", timeout=settings.task_timeout_seconds)(
            self._run_process_file
        )
        self.huey.on_startup(name="limit_memory")(self._limit_memory)
        self.huey.periodic_task(crontab(minute="*"), name="recover_stale_files")(self._run_recover_stale)

    def bind(self, container: Container) -> None:
        self._container, self._container_pid = container, os.getpid()

    def _worker_container(self) -> Container:
        # Forked worker processes must not reuse the parent's database connections.
        if self._container is None or self._container_pid != os.getpid():
            from docintake.services.container import Container

            self._container = Container.from_settings(self.settings, queue=self)
        return self._container

    def _limit_memory(self) -> None:
        limit = self.settings.worker_memory_mb
        if limit > 0:
            resource.setrlimit(resource.RLIMIT_AS, (limit * 1024 * 1024, resource.RLIM_INFINITY))

    def _run_process_file(self, file_id: str) -> None:
        from docintake.services import processing

        container = self._worker_container()
        try:
            processing.process_file(container, file_id)
        except TaskTimeout:
            processing.fail_file(
                container,
                file_id,
                "timeout",
                f"processing took longer than {self.settings.task_timeout_seconds} s",
            )
        except MemoryError:
            processing.fail_file(
                container, file_id, "out_of_memory", "processing exhausted the worker's memory"
            )

    def _run_recover_stale(self) -> None:
        from docintake.services import processing

        processing.recover_stale(self._worker_container(), self.settings.processing_lease_seconds)

    def enqueue_file(self, file_id: str, *, priority: bool = False) -> None:
        try:
            self.huey.enqueue(
                self._process.s(file_id, priority=PRIORITY_HIGH if priority else PRIORITY_NORMAL)
            )
        except Exception as exc:
            if isinstance(exc, DocintakeError):
                raise
            log.exception("could not enqueue file %s", file_id)
            raise ServiceUnavailable("the task queue is unavailable", headers={"Retry-After": "5"}) from exc

    def run_consumer(self, workers: int) -> None:
        consumer = self.huey.create_consumer(workers=workers, worker_type="process", periodic=True)
        consumer.run()

    def check(self) -> None:
        self.huey.pending_count()

    def depth(self) -> int:
        return int(self.huey.pending_count())


def create_queue(settings: Settings, **options: Any) -> TaskQueue:
    return HueyQueue(settings, **options)
