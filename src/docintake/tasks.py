"""Background work: the TaskQueue contract and its Huey implementation.

The queue is picked by the scheme of ``DOCINTAKE_QUEUE_URL`` through ``QUEUE_BACKENDS``: a SQLite
file by default (one machine), Redis to scale out (any number of `docintake worker` processes on
any machine pop from one sorted set, high priority first). Tasks carry ids only, never bytes: the
database is the source of truth and a task that runs twice finds the file already claimed or
final and does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from huey import Huey, PriorityRedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer, Scheduler
from huey.exceptions import TaskTimeout

from docintake.errors import DocintakeError, ServiceUnavailable
from docintake.settings import Settings
from docintake.storage import spool

if TYPE_CHECKING:
    from docintake.services.container import Container
    from docintake.services.processing import RetryLater

log = logging.getLogger(__name__)
PRIORITY_HIGH = 10
PRIORITY_NORMAL = 0
WATCHDOG_EXIT_CODE = 75
PR_SET_PDEATHSIG = 1


class TaskQueue(Protocol):
    """Contract of the background queue.

    - ``enqueue_file`` SHALL durably queue the processing of one file id before returning (raising
      ``ServiceUnavailable`` when it cannot), high-priority work first; it may run more than once.
    - ``enqueue_delivery`` SHALL queue one attempt of a webhook delivery, ``delay`` seconds from now,
      at high priority (a receiver waits for it; it is one short request), raising
      ``ServiceUnavailable`` when it cannot; it may run more than once (the attempt is claimed).
    - ``bind`` gives the queue the container its tasks run with in this process (inline mode);
      worker processes build their own.
    - ``run_consumer`` blocks, executing tasks with ``workers`` processes, until stopped.
    - ``check`` raises when the queue's storage is unreachable; ``depth`` counts waiting tasks.
    """

    def bind(self, container: Container) -> None: ...

    def enqueue_file(self, file_id: str, *, priority: bool = False, delay: float = 0) -> None: ...

    def enqueue_delivery(self, delivery_id: str, *, delay: float = 0) -> None: ...

    def run_consumer(self, workers: int) -> None: ...

    def check(self) -> None: ...

    def depth(self) -> int: ...


REDIS_CONNECT_TIMEOUT = 5.0
REDIS_SOCKET_TIMEOUT = 10.0  # longer than Huey's 1 s blocking pop
REDIS_HEALTH_CHECK_SECONDS = 30


def _sqlite_huey(settings: Settings, immediate: bool) -> Huey:
    # The name is stored with each queued row: the default ("docintake") keeps existing queues readable.
    path = Path(urlparse(settings.resolved_queue_url).path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        name=settings.queue_name, filename=str(path), immediate=immediate, results=False, utc=True
    )


def _redis_huey(settings: Settings, immediate: bool) -> Huey:
    """Timeouts so a Redis that vanishes makes enqueue fail fast (503) instead of hanging a
    request; the health check replaces connections a failover left half-open."""
    from redis import ConnectionPool

    pool = ConnectionPool.from_url(
        settings.resolved_queue_url,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        socket_timeout=REDIS_SOCKET_TIMEOUT,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
    )
    return PriorityRedisHuey(
        name=settings.queue_name, connection_pool=pool, immediate=immediate, results=False, utc=True
    )


# Scheme of DOCINTAKE_QUEUE_URL -> Huey factory(settings, immediate).
QUEUE_BACKENDS: dict[str, Callable[[Settings, bool], Huey]] = {
    "sqlite": _sqlite_huey,
    "redis": _redis_huey,
    "rediss": _redis_huey,
}


def _die_with_parent() -> None:
    """Linux: a worker process whose consumer was killed exits too, instead of lingering as a
    consumer-less orphan (a file it was processing is recovered by the stale-file sweep)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class _Scheduler(Scheduler):  # type: ignore[misc]
    """Huey's scheduler process, made to exit with its consumer like the workers do."""

    def initialize(self) -> None:
        _die_with_parent()
        super().initialize()


class _Consumer(Consumer):  # type: ignore[misc]
    scheduler_class = _Scheduler


def _preload_pipeline() -> None:
    """Import the pipeline and load the field ranker's models when a worker starts, not inside
    the first file's time limit (they take about half a second). OCR engines stay lazy: which one
    a worker needs depends on the files it gets."""
    from docintake.extraction.ranker import shared_ranker
    from docintake.pipeline import stages  # noqa: F401 - imported for its side effect: loading

    shared_ranker().bundle  # noqa: B018 - loads the models


class HueyQueue:
    """TaskQueue on Huey. ``immediate=True`` runs tasks inline (tests, `extract`)."""

    def __init__(self, settings: Settings, *, immediate: bool = False) -> None:
        scheme = urlparse(settings.resolved_queue_url).scheme
        try:
            factory = QUEUE_BACKENDS[scheme]
        except KeyError:
            raise DocintakeError(f"unsupported queue URL scheme {scheme!r}") from None
        self.settings = settings
        self.huey = factory(settings, immediate)
        self._container: Container | None = None
        self._container_pid = 0
        self._process = self.huey.task(
            name="process_file", timeout=settings.task_timeout_seconds, context=True
        )(self._run_process_file)
        self._isolated = False
        self.huey.on_startup(name="isolate_worker")(self._isolate_worker)
        self.huey.on_startup(name="preload_pipeline")(_preload_pipeline)
        self.huey.periodic_task(crontab(minute="*"), name="recover_stale_files")(self._run_recover_stale)
        self._deliver = self.huey.task(name="deliver_webhook")(self._run_deliver)
        self.huey.periodic_task(crontab(minute="*"), name="sweep_webhook_deliveries")(
            self._run_sweep_deliveries
        )

    def bind(self, container: Container) -> None:
        self._container, self._container_pid = container, os.getpid()

    def _worker_container(self) -> Container:
        # A forked worker process builds its own: the parent's database pools are already dropped
        # (storage/database.py), and blob store clients are not safe to share across fork either.
        if self._container is None or self._container_pid != os.getpid():
            from docintake.services.container import Container

            self._container = Container.from_settings(self.settings, queue=self)
        return self._container

    def _isolate_worker(self) -> None:
        """In a worker *process*: cap its memory, and allow the watchdog to end it (see below)."""
        if multiprocessing.parent_process() is None:
            return  # thread workers share the service's process: never limit or kill it
        self._isolated = True
        _die_with_parent()
        limit = self.settings.worker_memory_mb
        if limit > 0:
            resource.setrlimit(resource.RLIMIT_AS, (limit * 1024 * 1024, resource.RLIM_INFINITY))

    def _start_watchdog(self, container: Container, file_id: str) -> threading.Timer | None:
        """Huey's timeout is a SIGALRM, which Python only sees between bytecodes: a file that hangs
        inside C code (pdfium, Pillow, OCR) would never be stopped. Past the timeout plus a grace
        period the watchdog records the failure and ends the worker process; the consumer starts
        a fresh one."""
        if not self._isolated:
            return None
        timeout = self.settings.task_timeout_seconds
        deadline = timeout + max(2.0, timeout * 0.1)

        def abandon() -> None:
            from docintake.services import processing

            log.error(
                "file %s is stuck past %.0f s: ending worker process %d", file_id, deadline, os.getpid()
            )
            try:
                processing.fail_file(
                    container, file_id, "timeout", f"processing took longer than {timeout} s"
                )
            finally:
                os._exit(WATCHDOG_EXIT_CODE)

        timer = threading.Timer(deadline, abandon)
        timer.daemon = True
        timer.start()
        return timer

    def _run_process_file(
        self, file_id: str, claimed: int | None = None, run: int = 0, task: Any = None
    ) -> None:
        """``run`` counts this file's transient retries; ``claimed`` is the claim the previous run
        could not hand back (see ``processing.process_file``)."""
        from docintake.services import processing

        container = self._worker_container()
        watchdog = self._start_watchdog(container, file_id)
        try:
            retry = processing.process_file(container, file_id, claimed=claimed)
            if retry is not None:
                self._retry(container, file_id, retry, run + 1, getattr(task, "priority", None))
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
        finally:
            if watchdog is not None:
                watchdog.cancel()

    def _retry(
        self, container: Container, file_id: str, retry: RetryLater, runs: int, priority: int | None
    ) -> None:
        """Queue the file again after an exponential backoff, a bounded number of times. This only
        needs the queue: the database may be what is down, so nothing here depends on writing it
        (a retry that cannot be queued either is left to the stale-file sweep)."""
        from docintake.services import processing

        if runs >= processing.TRANSIENT_ATTEMPTS:
            processing.give_up(container, file_id, retry.error, runs)
            return
        delay = processing.retry_delay(runs)
        log.warning("file %s: %s; retry %d in %.0f s", file_id, retry.error.message, runs, delay)
        # Immediate (inline) mode has no scheduler to wait for: it retries at once.
        delay_or_none = None if self.huey.immediate else delay
        self.huey.enqueue(
            self._process.s(file_id, claimed=retry.claimed, run=runs, priority=priority, delay=delay_or_none)
        )

    def _run_recover_stale(self) -> None:
        from docintake.services import processing

        processing.recover_stale(self._worker_container(), self.settings.processing_lease_seconds)
        spool.sweep(self.settings.tmp_dir)

    def _run_deliver(self, delivery_id: str) -> None:
        from docintake.webhooks import deliver

        deliver(self._worker_container(), delivery_id)

    def _run_sweep_deliveries(self) -> None:
        from docintake.webhooks import sweep_deliveries

        sweep_deliveries(self._worker_container())

    def enqueue_delivery(self, delivery_id: str, *, delay: float = 0) -> None:
        if delay > 0 and self.huey.immediate:
            return  # inline mode has no scheduler: the sweep (or the caller) runs it when it is due
        try:
            if delay > 0:
                self.huey.enqueue(self._deliver.s(delivery_id, priority=PRIORITY_HIGH, delay=delay))
            else:
                self.huey.enqueue(self._deliver.s(delivery_id, priority=PRIORITY_HIGH))
        except Exception as exc:
            if isinstance(exc, DocintakeError):
                raise
            log.exception("could not enqueue webhook delivery %s", delivery_id)
            raise ServiceUnavailable("the task queue is unavailable", headers={"Retry-After": "5"}) from exc

    def enqueue_file(self, file_id: str, *, priority: bool = False, delay: float = 0) -> None:
        level = PRIORITY_HIGH if priority else PRIORITY_NORMAL
        try:
            if delay > 0 and not self.huey.immediate:
                self.huey.enqueue(self._process.s(file_id, priority=level, delay=delay))
            else:
                self.huey.enqueue(self._process.s(file_id, priority=level))
        except Exception as exc:
            if isinstance(exc, DocintakeError):
                raise
            log.exception("could not enqueue file %s", file_id)
            raise ServiceUnavailable("the task queue is unavailable", headers={"Retry-After": "5"}) from exc

    def run_consumer(self, workers: int) -> None:
        consumer = _Consumer(self.huey, workers=workers, worker_type="process", periodic=True)
        consumer.run()

    def check(self) -> None:
        self.huey.pending_count()

    def depth(self) -> int:
        return int(self.huey.pending_count())


def create_queue(settings: Settings, **options: Any) -> TaskQueue:
    return HueyQueue(settings, **options)
