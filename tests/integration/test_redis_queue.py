"""Scale-out queue and crash safety on real servers: PostgreSQL + Redis, `docintake worker`
consumers in their own processes (process workers, as deployed).

Each test gets its own database and Redis queue name and removes both afterwards. They skip, with
the reason, where PostgreSQL or Redis is absent.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from docintake.api.app import create_app
from docintake.clock import utcnow
from docintake.errors import ServiceUnavailable, StorageUnavailable
from docintake.services import processing
from docintake.services.container import Container
from docintake.settings import Settings
from docintake.storage.blobs import BLOB_STORES, LocalBlobStore
from docintake.storage.migrate import upgrade
from docintake.storage.models import Document, File, PageTextRow
from docintake.tasks import HueyQueue, create_queue
from tests.conftest import Service, Tenant, make_pdf
from tests.servers import PG_ADMIN_URL, REDIS_URL, postgres_database, require_redis

pytestmark = pytest.mark.slow
WAIT_SECONDS = 90.0
BROKEN_PDF = b"%PDF-1.4\nnot really a pdf\n"


@dataclass
class Stack:
    """The API wired to PostgreSQL + Redis (nothing runs tasks until a test starts a consumer)."""

    service: Service
    tmp_path: Path
    database: str

    @property
    def queue(self) -> HueyQueue:
        assert isinstance(self.service.container.queue, HueyQueue)
        return self.service.container.queue

    def settings_for_worker(self, **changes: object) -> dict[str, object]:
        settings = self.service.settings
        return {
            "data_dir": settings.data_dir,
            "database_url": settings.database_url,
            "queue_url": settings.queue_url,
            "queue_name": settings.queue_name,
            **changes,
        }

    def upload(self, count: int = 1, *, priority: bool = False, content: bytes | None = None) -> list[str]:
        files = [
            ("files", (f"f{n}.pdf", content or make_pdf(1, seed=n), "application/pdf")) for n in range(count)
        ]
        data = {"priority_flag": "true"} if priority else {}
        answer = self.service.client.post(
            "/v1/ingest/uploads", files=files, data=data, headers=self.service.tenant.headers
        )
        assert answer.status_code == 201, answer.text
        return [str(f["id"]) for f in answer.json()["files"]]

    def files(self, ids: list[str]) -> dict[str, File]:
        with self.service.container.db.session() as session:
            return {row.id: row for row in session.scalars(select(File).where(File.id.in_(ids)))}

    def count(self, model: type[Document] | type[PageTextRow], file_id: str) -> int:
        with self.service.container.db.session() as session:
            return int(session.scalar(select(func.count()).where(model.file_id == file_id)) or 0)

    def wait_final(self, ids: list[str]) -> dict[str, File]:
        final = ("processed", "failed", "rejected")
        wait_until(lambda: all(f.status in final for f in self.files(ids).values()), "files to finish")
        return self.files(ids)

    def set_database_online(self, online: bool) -> None:
        """A real outage of this test's database: refuse new connections and end the open ones."""
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(
                    text(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS {str(online).lower()}')
                )
                if not online:
                    conn.execute(
                        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                        {"name": self.database},
                    )
        finally:
            admin.dispose()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    require_redis()
    with postgres_database() as database_url:
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            queue_url=REDIS_URL,
            queue_name=f"test-{uuid.uuid4().hex[:8]}",
        )
        upgrade(database_url)
        container = Container.from_settings(settings)
        queue = container.queue
        assert isinstance(queue, HueyQueue)
        try:
            with TestClient(create_app(settings, container)) as client:
                service = Service(client, container, settings, Tenant("", ""))
                service.tenant = service.new_tenant("acme", "production")
                yield Stack(service, tmp_path, str(make_url(database_url).database))
        finally:
            _forget_queue(queue)
            container.close()


def _forget_queue(queue: HueyQueue) -> None:
    storage = queue.huey.storage
    storage.flush_all()
    keys = list(storage.conn.scan_iter(match=f"*{storage.name}*"))
    if keys:
        storage.conn.delete(*keys)


class OutageBlobStore(LocalBlobStore):
    """Local blobs whose reads wait while ``<root>.hold`` exists, then fail while ``<root>.down``
    exists: a blob store outage the test switches on and off from outside the worker."""

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        hold, down = self.root.with_suffix(".hold"), self.root.with_suffix(".down")
        deadline = time.monotonic() + WAIT_SECONDS
        while hold.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if down.exists():
            raise StorageUnavailable("the blob store did not answer (test outage)")
        return super().local_path(key)


def _consume(options: dict[str, object], workers: int, retry_base: float, log_path: str) -> None:
    """A `docintake worker` (what the CLI command runs), in a fresh spawned process."""
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(process)d %(name)s %(message)s")
    processing.RETRY_BASE_SECONDS = retry_base
    BLOB_STORES["outage"] = lambda url, *_: OutageBlobStore(Path(urlparse(url).path))
    create_queue(Settings(**options)).run_consumer(workers)  # type: ignore[arg-type]


@contextmanager
def consumer(options: dict[str, object], log_path: Path, *, retry_base: float = 1.0) -> Iterator[None]:
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=_consume, args=(options, 1, retry_base, str(log_path)))
    process.start()
    try:
        yield
    finally:
        process.terminate()
        process.join(20)
        if process.is_alive():
            process.kill()
            process.join()


def executed(log_path: Path) -> int:
    if not log_path.exists():
        return 0
    return sum("process_file" in line and "executed in" in line for line in log_path.read_text().splitlines())


def test_priority_upload_runs_before_earlier_normal_work(stack: Stack) -> None:
    """GIVEN four normal files queued, then a priority one WHEN a worker starts THEN the priority
    file is processed first; the queue's depth counts the waiting tasks and drops to zero."""
    normal = stack.upload(4)
    (urgent,) = stack.upload(1, priority=True)
    stack.queue.check()
    assert stack.queue.depth() == 5
    with consumer(stack.settings_for_worker(), stack.tmp_path / "worker.log"):
        files = stack.wait_final([*normal, urgent])
    assert {f.status for f in files.values()} == {"processed"}
    first = min(files.values(), key=lambda f: f.processed_at or datetime.max)
    assert first.id == urgent
    assert stack.queue.depth() == 0


def test_two_workers_share_the_queue_and_a_duplicated_task_has_one_effect(stack: Stack) -> None:
    """GIVEN two worker processes on one Redis queue WHEN every file's task is queued twice (a
    redelivery) THEN both workers take tasks, and each file is processed once: one claim, one
    document, one set of page texts."""
    logs = [stack.tmp_path / "worker-a.log", stack.tmp_path / "worker-b.log"]
    with consumer(stack.settings_for_worker(), logs[0]), consumer(stack.settings_for_worker(), logs[1]):
        wait_until(lambda: all(p.exists() and "consumer started" in p.read_text() for p in logs), "workers")
        time.sleep(2)  # the workers' start-up hooks (model loading) finish
        ids = stack.upload(6)
        for file_id in ids:
            stack.queue.enqueue_file(file_id)
        files = stack.wait_final(ids)
        wait_until(lambda: sum(executed(p) for p in logs) == 12, "all twelve tasks to run")
    assert {f.status for f in files.values()} == {"processed"}
    assert {f.attempts for f in files.values()} == {1}
    assert all(stack.count(Document, i) == 1 and stack.count(PageTextRow, i) == 1 for i in ids)
    assert all(executed(p) > 0 for p in logs), [executed(p) for p in logs]


def test_concurrent_runs_of_one_file_on_postgresql_claim_it_once(stack: Stack) -> None:
    """GIVEN one queued file WHEN four threads process it at the same moment THEN exactly one
    claims it: one attempt, one document, one set of page texts."""
    (file_id,) = stack.upload(1)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            processing.process_file(stack.service.container, file_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert errors == []
    row = stack.files([file_id])[file_id]
    assert (row.status, row.attempts) == ("processed", 1)
    assert (stack.count(Document, file_id), stack.count(PageTextRow, file_id)) == (1, 1)


def test_file_stuck_past_the_lease_is_requeued_and_processed_once(stack: Stack) -> None:
    """GIVEN a file left `processing` an hour ago (its worker died) WHEN the sweep runs THEN it is
    queued again on Redis, and the original task plus the sweep's process it once."""
    (file_id,) = stack.upload(1)
    with stack.service.container.db.session() as session:
        an_hour_ago = utcnow() - timedelta(hours=1)
        session.execute(
            update(File)
            .where(File.id == file_id)
            .values(status="processing", attempts=1, updated_at=an_hour_ago)
        )
    assert processing.recover_stale(stack.service.container, lease_seconds=60) == [file_id]
    assert stack.queue.depth() == 2
    log = stack.tmp_path / "worker.log"
    with consumer(stack.settings_for_worker(), log):
        row = stack.wait_final([file_id])[file_id]
        wait_until(lambda: executed(log) == 2, "both tasks to run")
    assert (row.status, row.attempts) == ("processed", 2)
    assert (stack.count(Document, file_id), stack.count(PageTextRow, file_id)) == (1, 1)


def test_database_outage_is_retried_with_backoff_then_the_file_is_processed(stack: Stack) -> None:
    """GIVEN the database down when a worker takes a file WHEN it comes back THEN the retry the
    worker queued (without writing anything: it could not) processes the file; a corrupt file
    queued beside it fails at once, after one attempt, with the pipeline's error."""
    (good,) = stack.upload(1)
    (broken,) = stack.upload(1, content=BROKEN_PDF)
    stack.set_database_online(False)
    try:
        with consumer(stack.settings_for_worker(), stack.tmp_path / "worker.log", retry_base=2.0):
            wait_until(lambda: stack.queue.huey.scheduled_count() >= 2, "the retries to be scheduled")
            stack.set_database_online(True)
            files = stack.wait_final([good, broken])
    finally:
        stack.set_database_online(True)
    assert (files[good].status, files[good].attempts, files[good].error_code) == ("processed", 1, None)
    assert (files[broken].status, files[broken].attempts) == ("failed", 1)
    assert files[broken].error_code not in (None, "database_unavailable", "storage_unavailable")
    assert stack.count(Document, good) == 1


def test_retry_takes_the_file_back_when_the_outage_kept_it_from_releasing_it(stack: Stack) -> None:
    """GIVEN a worker that claimed a file, then lost the blob store and the database at once (so the
    file stays `processing`) WHEN both come back THEN its retry takes the file over and processes
    it once, long before the stale-file lease would."""
    blobs = stack.service.settings.data_dir / "blobs"
    hold, down = blobs.with_suffix(".hold"), blobs.with_suffix(".down")
    hold.touch()
    down.touch()
    (file_id,) = stack.upload(1)
    options = stack.settings_for_worker(blob_url=f"outage://{blobs}")
    try:
        with consumer(options, stack.tmp_path / "worker.log", retry_base=2.0):
            wait_until(lambda: stack.files([file_id])[file_id].status == "processing", "the claim")
            stack.set_database_online(False)
            hold.unlink()
            wait_until(lambda: stack.queue.huey.scheduled_count() >= 1, "the retry to be scheduled")
            down.unlink()
            stack.set_database_online(True)
            row = stack.wait_final([file_id])[file_id]
    finally:
        stack.set_database_online(True)
    assert (row.status, row.attempts, row.error_code) == ("processed", 2, None)
    assert (stack.count(Document, file_id), stack.count(PageTextRow, file_id)) == (1, 1)


def test_unreachable_redis_fails_fast_as_unavailable(tmp_path: Path) -> None:
    """A queue URL nobody answers: the readiness check raises and enqueueing is a retryable 503,
    within the connect timeout rather than hanging the request."""
    settings = Settings(data_dir=tmp_path / "data", queue_url="redis://127.0.0.1:1/0", queue_name="test-down")
    queue = HueyQueue(settings)
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - the client's connection error, whatever its class
        queue.check()
    with pytest.raises(ServiceUnavailable):
        queue.enqueue_file("f_missing")
    assert time.monotonic() - started < 10
